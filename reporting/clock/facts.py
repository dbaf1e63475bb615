"""The facts of an incident that the regulatory clock reads, and their validation.

`parse_facts(mapping)` turns a JSON object into a frozen `Facts`, or raises `FactsError` naming every bad key at
once. The allowed values live here and nowhere else (`OPERATOR_ROLES`, `RISK_CLASSES`, `HARMS`, ...); they match
the choices the inventory and the incident record store (EU AI Act Art. 3(3)-(8) roles, Art. 5/6/50/51 classes,
Art. 3(49) serious-incident limbs).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from portal.core.inputs import moment_out_of_range
from reporting.clock.places import country_problem, location_problem

# EU AI Act operator roles (Art. 3(3)-(8)); the inventory's OperatorRole choices.
OPERATOR_ROLES = (
    "provider",
    "deployer",
    "importer",
    "distributor",
    "authorised_representative",
    "product_manufacturer",
)
# EU AI Act risk classes (Art. 5, 6(1) + Annex I, 6(2) + Annex III, 50, 53, 51/55); the inventory's RiskClass choices.
RISK_CLASSES = (
    "prohibited",
    "high_risk_annex_i",
    "high_risk_annex_iii",
    "transparency",
    "minimal",
    "gpai",
    "gpai_systemic_risk",
    "out_of_scope",
)
HIGH_RISK_CLASSES = ("high_risk_annex_i", "high_risk_annex_iii")
# The limbs of a serious incident, EU AI Act Art. 3(49)(a)-(d).
SERIOUS_HARMS = (
    "death",
    "serious_health_harm",
    "critical_infrastructure_disruption",
    "fundamental_rights_infringement",
    "serious_property_or_environmental_harm",
)
# Other harm values the incident record stores: accepted, and no clock depends on them.
OTHER_HARMS = ("financial_loss", "discrimination", "privacy", "psychological", "reputational")
HARMS = SERIOUS_HARMS + OTHER_HARMS
# Likely risk of a personal-data breach to people's rights and freedoms (GDPR Art. 33(1), 34(1)).
RISK_LEVELS = ("none", "risk", "high")
# DORA entity types for the weekend/holiday relief of Del. Reg. (EU) 2025/301 Art. 5(4)-(6).
DORA_ENTITY_TYPES = ("credit_institution", "central_counterparty", "trading_venue", "other")
# The organisation's role in the processing of personal data (GDPR / UK GDPR Art. 4(7)-(8), Art. 33(1)-(2)).
GDPR_ROLES = ("controller", "processor")
# The organisation's role under the HIPAA Breach Notification Rule (45 CFR 160.103, 164.404-164.410).
HIPAA_ROLES = ("covered_entity", "business_associate")

DATETIME_KEYS = (
    "aware_at",
    "occurred_at",
    "classified_major_at",
    "materiality_determined_at",
    "determined_at",
    "extortion_payment_at",
    "sec_delay_until",
    "corrective_measure_available_at",
    "nis2_intermediate_requested_at",
    "handling_completed_at",
    "algorithmic_discrimination_discovered_at",
    "adverse_decision_at",
)
# Moments that come after the organisation became aware of the incident (and so after it occurred): a
# classification, a determination, a payment, a request or a measure made because of the incident.
# `adverse_decision_at` is not among them: the adverse decision may be what the incident is about. Each is refused
# when it comes before awareness or occurrence, naming both facts; `submitted` moments are checked the same way.
AFTER_AWARENESS_KEYS = tuple(key for key in DATETIME_KEYS
                             if key not in ("aware_at", "occurred_at", "adverse_decision_at"))
BOOLEAN_KEYS = (
    "widespread_infringement",
    "personal_data_breach",
    "nis2_entity",
    "significant_incident",
    "dora_financial_entity",
    "sec_registrant",
    "frontier_developer",
    "critical_safety_incident",
    "imminent_risk_of_death_or_injury",
    "covered_defense_information",
    "phi_breach",
    "nydfs_covered_entity",
    "critical_information_infrastructure",
    "cn_relatively_major_or_above",
    "provider_unreachable",
    "deemed_provider",
    "legacy_gpai_model",
    "cra_manufacturer",
    "actively_exploited_vulnerability",
    "severe_incident",
    "service_recipients_affected",
    "ongoing_at_final_report",
)
CHOICE_KEYS = {
    "operator_role": OPERATOR_ROLES,
    "risk_class": RISK_CLASSES,
    "risk_to_individuals": RISK_LEVELS,
    "dora_entity_type": DORA_ENTITY_TYPES,
    "gdpr_role": GDPR_ROLES,
    "hipaa_role": HIPAA_ROLES,
}
# Where the rules read local time (README, "Regulatory clock: local time"): IANA zone names, and the entity's country.
TIME_ZONE_KEYS = ("entity_time_zone", "incident_time_zone")
COUNTRY_KEYS = ("entity_country",)
# Non-negative integers. `state_residents_affected`: the most residents of any one State or jurisdiction
# (HIPAA 164.406).
COUNT_KEYS = ("individuals_affected", "state_residents_affected")
OTHER_KEYS = ("locations", "harms", "submitted")
KNOWN_KEYS = frozenset(DATETIME_KEYS + BOOLEAN_KEYS + tuple(CHOICE_KEYS) + COUNT_KEYS + TIME_ZONE_KEYS + COUNTRY_KEYS
                       + OTHER_KEYS)

# ISO 3166-1 alpha-2 ("DE") or ISO 3166-2 ("US-CA", "DE-BY"; subdivision part of one to three letters or digits).
LOCATION_PATTERN = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
# An obligation key: "<regime>.<stage>" or "<regime>.<stage>@<jurisdiction>".
OBLIGATION_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(@[A-Z]{2}(-[A-Z0-9]{1,3})?)?$")

# A date and a time (a date alone is not a moment); `datetime.fromisoformat` parses the rest.
DATETIME_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}")
NOT_A_DATETIME = "not an ISO 8601 date-time with a time zone"
NOT_A_BOOLEAN = "must be a JSON boolean (true or false)"


class FactsError(ValueError):
    """Malformed facts. `errors` maps every bad key to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(sorted(errors.items()))
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()))


@dataclass(frozen=True)
class Facts:
    """Validated facts; datetimes are aware and in UTC, lists are tuples, `submitted` is read-only."""

    aware_at: datetime
    occurred_at: datetime | None = None
    locations: tuple[str, ...] = ()
    operator_role: str | None = None
    risk_class: str | None = None
    harms: tuple[str, ...] = ()
    widespread_infringement: bool = False
    personal_data_breach: bool = False
    risk_to_individuals: str | None = None
    nis2_entity: bool = False
    significant_incident: bool = False
    dora_financial_entity: bool = False
    dora_entity_type: str = "other"
    classified_major_at: datetime | None = None
    sec_registrant: bool = False
    materiality_determined_at: datetime | None = None
    frontier_developer: bool = False
    critical_safety_incident: bool = False
    imminent_risk_of_death_or_injury: bool = False
    covered_defense_information: bool = False
    phi_breach: bool = False
    individuals_affected: int | None = None
    nydfs_covered_entity: bool = False
    determined_at: datetime | None = None
    critical_information_infrastructure: bool = False
    cn_relatively_major_or_above: bool = False
    provider_unreachable: bool = False
    deemed_provider: bool = False
    legacy_gpai_model: bool = False
    gdpr_role: str | None = None
    hipaa_role: str | None = None
    state_residents_affected: int | None = None
    extortion_payment_at: datetime | None = None
    sec_delay_until: datetime | None = None
    cra_manufacturer: bool = False
    actively_exploited_vulnerability: bool = False
    severe_incident: bool = False
    corrective_measure_available_at: datetime | None = None
    service_recipients_affected: bool = False
    nis2_intermediate_requested_at: datetime | None = None
    ongoing_at_final_report: bool = False
    handling_completed_at: datetime | None = None
    algorithmic_discrimination_discovered_at: datetime | None = None
    adverse_decision_at: datetime | None = None
    # The entity's time zone and country (DORA relief calendar, local years and months), and the time zone where the
    # incident was discovered (applies-from dates), which defaults to the entity's.
    entity_time_zone: str = "UTC"
    incident_time_zone: str | None = None
    entity_country: str | None = None
    submitted: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def entity_zone(self) -> ZoneInfo:
        return ZoneInfo(self.entity_time_zone)

    @property
    def incident_zone(self) -> ZoneInfo:
        return ZoneInfo(self.incident_time_zone or self.entity_time_zone)

    def local_date(self, moment: datetime) -> date:
        """The date of `moment` where the incident was discovered (how applies-from dates are read)."""
        return moment.astimezone(self.incident_zone).date()

    def get(self, key: str) -> Any:
        """The value of a fact by name (conditions in the regime files refer to facts by name)."""
        if key not in KNOWN_KEYS:
            raise KeyError(key)
        return getattr(self, key)


def parse_datetime(value: Any) -> tuple[datetime | None, str | None]:
    """An ISO 8601 date-time with an offset or `Z`, as UTC; or the error message."""
    if not isinstance(value, str) or not DATETIME_PREFIX.match(value):
        return None, NOT_A_DATETIME
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, NOT_A_DATETIME
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None, f"{NOT_A_DATETIME} (naive date-time: add Z or an offset such as +01:00)"
    if problem := moment_out_of_range(moment):  # before converting: year 1 at +14:00 overflows
        return None, problem
    return moment.astimezone(UTC), None


def _parse_locations(value, errors):
    if not isinstance(value, list):
        errors["locations"] = "must be a list of ISO 3166-1 alpha-2 or ISO 3166-2 codes (e.g. DE, US-CA)"
        return ()
    codes, bad = [], []
    for item in value:
        code = item.strip().upper() if isinstance(item, str) else None
        if code is None or not LOCATION_PATTERN.match(code):
            bad.append(f"{item!r} is not an ISO 3166 code")
        elif problem := location_problem(code):
            bad.append(problem)
        elif code not in codes:
            codes.append(code)
    if bad:
        errors["locations"] = "; ".join(bad)
    return tuple(codes)


@lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    """The IANA zone names this installation knows (the system's tz database or the tzdata package)."""
    return frozenset(available_timezones())


OFFSET_LIKE = re.compile(r"^(UTC|GMT)?\s*[+-]\d")


def time_zone_problem(value) -> str | None:
    """Why `value` is not an IANA time zone name, or None. Names are checked against the zone database's list (never
    opened as a path); an offset alone ("+01:00") is refused: it cannot say when the clocks change."""
    if not isinstance(value, str) or not value.strip():
        return "must be an IANA time zone name (e.g. Europe/Berlin)"
    if value in iana_zones():
        return None
    shown = repr(value if len(value) <= 64 else value[:64] + "...")
    if OFFSET_LIKE.match(value.strip()):
        return (f"{shown} is an offset, not an IANA time zone name (e.g. Europe/Berlin): an offset alone is not "
                "enough across a clock change")
    return f"{shown} is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)"


def _parse_harms(value, errors):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["harms"] = f"must be a list of: {', '.join(HARMS)}"
        return ()
    unknown = sorted(set(value) - set(HARMS))
    if unknown:
        errors["harms"] = f"unknown harm(s) {', '.join(unknown)}; allowed: {', '.join(HARMS)}"
        return ()
    return tuple(dict.fromkeys(value))


def _parse_submitted(value, errors, known_keys):
    if not isinstance(value, dict):
        errors["submitted"] = ("must be an object mapping obligation keys to ISO 8601 date-times, "
                               'e.g. {"nis2.notification": "2027-03-05T10:00:00Z"}')
        return {}
    result = {}
    for key, moment in value.items():
        if not isinstance(key, str) or not OBLIGATION_KEY_PATTERN.match(key):
            errors[f"submitted.{key}"] = 'not an obligation key ("<regime>.<stage>" or "<regime>.<stage>@<code>")'
            continue
        if known_keys is not None and (problem := _unknown_obligation(key, known_keys)):
            errors[f"submitted.{key}"] = problem
            continue
        parsed, message = parse_datetime(moment)
        if message:
            errors[f"submitted.{key}"] = message
        else:
            result[key] = parsed
    return result


def _unknown_obligation(key: str, known_keys: dict) -> str | None:
    """Why `key` names no obligation of the loaded regimes, or None. `known_keys`: {"<regime>.<stage>": frozenset of
    the location codes it takes after @ (empty: none)}."""
    base, at, place = key.partition("@")
    if base not in known_keys:
        return f"unknown obligation key; known keys: {', '.join(sorted(known_keys))}"
    places = known_keys[base]
    if at and place not in places:
        if not places:
            return f"{base} is not counted per location; send it without @{place}"
        return f"{base} is counted per country of: {', '.join(sorted(places))} (not {place})"
    if not at and places:
        return f"{base} is counted per country: name it, e.g. {base}@{sorted(places)[0]}"
    return None


def obligation_keys(regimes: Iterable) -> dict[str, frozenset[str]]:
    """{"<regime>.<stage>": the countries a per-location stage is keyed by (empty otherwise)} of `regimes`."""
    return {f"{regime.code}.{stage.code}": frozenset(stage.per_location_countries) if stage.per_location else
            frozenset() for regime in regimes for stage in regime.stages}


def _parse_count(value, errors, key):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors[key] = "must be a non-negative integer"
        return None
    return value


def parse_facts(mapping: Any, *, regimes: Iterable | None = None) -> Facts:
    """Validate a JSON object of facts and return `Facts`; raise `FactsError` naming every bad key at once.

    `aware_at` is required. A JSON null counts as "not given" for every optional key, and so does an empty string
    for a choice (`operator_role`, `risk_class`, `risk_to_individuals`, `dora_entity_type`, `gdpr_role`,
    `hipaa_role`) and for a time zone or country. Keys of `submitted` must name obligations of `regimes` (default:
    the shipped regime files). Moments that cannot come before awareness or occurrence (AFTER_AWARENESS_KEYS,
    submissions) are refused naming both.
    """
    if not isinstance(mapping, dict):
        raise FactsError({"facts": "must be a JSON object"})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in sorted(set(mapping) - KNOWN_KEYS, key=str):
        errors[str(key)] = "unknown fact"
    if mapping.get("aware_at") is None:
        errors["aware_at"] = "required (when the organisation became aware of the incident)"
    for key, value in mapping.items():
        if key not in KNOWN_KEYS or value is None:
            continue
        if key in DATETIME_KEYS:
            values[key], message = parse_datetime(value)
            if message:
                errors[key] = message
        elif key in BOOLEAN_KEYS:
            if isinstance(value, bool):
                values[key] = value
            else:
                errors[key] = NOT_A_BOOLEAN
        elif key in CHOICE_KEYS:
            if value == "":  # a blank choice, as Django stores it: not given
                continue
            if isinstance(value, str) and value in CHOICE_KEYS[key]:
                values[key] = value
            else:
                errors[key] = f"{value!r} is not one of: {', '.join(CHOICE_KEYS[key])}"
        elif key == "locations":
            values[key] = _parse_locations(value, errors)
        elif key == "harms":
            values[key] = _parse_harms(value, errors)
        elif key in COUNT_KEYS:
            values[key] = _parse_count(value, errors, key)
        elif key in TIME_ZONE_KEYS:
            if value == "":
                continue
            if problem := time_zone_problem(value):
                errors[key] = problem
            else:
                values[key] = value
        elif key in COUNTRY_KEYS:
            if value == "":
                continue
            code = value.strip().upper() if isinstance(value, str) else value
            if problem := country_problem(code):
                errors[key] = problem
            else:
                values[key] = code
        elif key == "submitted":
            if regimes is None:
                from reporting.clock.regimes import load_regimes

                regimes = load_regimes()
            values[key] = MappingProxyType(_parse_submitted(value, errors, obligation_keys(regimes)))
    occurred_at, aware_at = values.get("occurred_at"), values.get("aware_at")
    if occurred_at and aware_at and occurred_at > aware_at and "occurred_at" not in errors:
        errors["occurred_at"] = "is after aware_at (an incident cannot be known before it occurs)"
    _check_order(values, errors)
    if errors:
        raise FactsError(errors)
    return Facts(**values)


def _check_order(values: dict, errors: dict) -> None:
    """Refuse a moment before awareness or occurrence, naming both facts (e.g. a classification before awareness)."""
    anchors = [(name, values[name]) for name in ("aware_at", "occurred_at") if values.get(name)]
    moments = [(key, values.get(key)) for key in AFTER_AWARENESS_KEYS]
    moments += [(f"submitted.{key}", moment) for key, moment in (values.get("submitted") or {}).items()]
    for key, moment in moments:
        if moment is None or key in errors:
            continue
        for anchor, at in anchors:
            if moment < at:
                errors[key] = (f"{iso(moment)} is before {anchor} ({iso(at)}): it cannot come before the "
                               f"organisation became aware of the incident" if anchor == "aware_at" else
                               f"{iso(moment)} is before {anchor} ({iso(at)}): it cannot come before the incident "
                               "occurred")
                break


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
