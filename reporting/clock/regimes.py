"""Loading and validating the regime files (`reporting/regimes/*.yaml`), and the reference-data version.

Each regime file states the facts of one reporting regime: when it applies, and for each stage its provision,
recipient, jurisdiction, clock-start event, unit and value, the date it applies from, the source URL, how well the
rule is verified (primary / secondary / uncertain) and the rule in words. `index.yaml` holds the data version and
the location groups (EU Member States, EEA countries). Anything malformed raises `RegimeFileError` naming the file
and the place in it; nothing is half-loaded.
"""

import hashlib
from datetime import date, time
from functools import lru_cache
from pathlib import Path

import yaml

from reporting.clock.conditions import always, compile_condition
from reporting.clock.facts import DATETIME_KEYS, LOCATION_PATTERN
from reporting.clock.model import (
    SUBMITTED_PREFIX,
    BusinessDays,
    Caution,
    ContentItem,
    LaterStart,
    Limit,
    Postponement,
    Regime,
    Relief,
    Stage,
    Variant,
)

REGIMES_DIR = Path(__file__).resolve().parent.parent / "regimes"
INDEX_FILE = "index.yaml"
VERIFICATIONS = ("primary", "secondary", "uncertain")
TIMED_UNITS = ("hours", "days", "calendar_days", "business_days", "months", "days_after_calendar_year_end")
UNTIMED_UNITS = ("immediately", "without_undue_delay", "no_fixed_deadline", "record")
UNITS = TIMED_UNITS + UNTIMED_UNITS
BUSINESS_CALENDARS = ("us_federal",)
# What a notification item is filled from: an incident data path the document builder knows, or `entered` (free
# text the compliance officer fills in). `breach.*`: the breach facts a compliance officer confirmed on the
# incident's regulatory facts (stated as not yet established until then); `authority.*`: the competent supervisory
# authority (reporting/data/supervisory_authorities.yaml).
CONTENT_SOURCES = (
    "incident.reference", "incident.title", "incident.summary", "incident.occurred_at", "incident.detected_at",
    "incident.aware_at", "incident.contained_at", "incident.recovered_at", "incident.severity", "incident.class",
    "incident.harms", "incident.deaths", "incident.serious_injuries", "incident.users_affected",
    "incident.data_subjects_affected", "incident.decisions_affected", "incident.jurisdictions", "incident.systems",
    "incident.components", "incident.personal_data_categories", "incident.containment_actions",
    "incident.financial_loss", "incident.root_cause", "organisation.name", "organisation.contact",
    "breach.personal_data_categories", "breach.data_subjects", "breach.records", "authority.gdpr",
    "authority.uk_gdpr", "entered",
)
STAGE_KEYS = {
    "code", "name", "provision", "recipient", "jurisdiction", "clock_start", "clock_start_default", "unit", "value",
    "applies_from", "source", "verification", "uncertain", "note", "rule", "when", "variants", "no_later_than",
    "relief", "per_location", "content", "cautions", "business_days", "applies_until", "superseded",
    "in_force_by_location", "territory", "applies_from_when", "wait_for_clock_start", "postponed_by",
}
REQUIRED_STAGE_KEYS = (
    "code", "name", "provision", "recipient", "jurisdiction", "clock_start", "unit", "applies_from", "source",
    "verification", "rule",
)
REGIME_KEYS = {"code", "name", "jurisdiction", "source", "when", "defaults", "content", "stages"}


class RegimeFileError(ValueError):
    """A regime file (or index.yaml) is missing or malformed."""

    def __init__(self, path, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path.name}: {message}")


def _text(raw: dict, key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}.{key}: required text")
    return value.strip()


def _date(value, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _clock_time(value, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a time (HH:MM)") from None


def _unit_value(raw: dict, where: str) -> tuple[str, int | None]:
    unit, value = raw.get("unit"), raw.get("value")
    if unit not in UNITS:
        raise ValueError(f"{where}.unit: {unit!r} is not one of {', '.join(UNITS)}")
    if unit in TIMED_UNITS and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValueError(f"{where}.value: a positive integer is required for unit {unit}")
    if unit in UNTIMED_UNITS and value is not None:
        raise ValueError(f"{where}.value: must be null for unit {unit}")
    return unit, value


def _source(value, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("https://"):
        raise ValueError(f"{where}: a source URL (https://...) is required")
    return value


def _content(raw, where: str) -> tuple[ContentItem, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: a non-empty list of content items is required")
    items = []
    for i, item in enumerate(raw):
        place = f"{where}[{i}]"
        if not isinstance(item, dict) or set(item) != {"key", "label", "provision", "source"}:
            raise ValueError(f"{place}: a content item has exactly key, label, provision, source")
        if item["source"] not in CONTENT_SOURCES:
            raise ValueError(f"{place}.source: {item['source']!r} is not one of {', '.join(CONTENT_SOURCES)}")
        items.append(ContentItem(*(_text(item, k, place) for k in ("key", "label", "provision", "source"))))
    if len({item.key for item in items}) != len(items):
        raise ValueError(f"{where}: content keys must be unique")
    return tuple(items)


def _in_force_dates(raw: dict, where: str, groups, per_location, applies_from: date) -> dict:
    """The Stage fields of when a stage is in force beyond its applies_from: applies_until (with `superseded`),
    in_force_by_location (with `territory`) and applies_from_when."""
    until = _date(raw["applies_until"], f"{where}.applies_until") if raw.get("applies_until") is not None else None
    superseded = _text(raw, "superseded", where, required=False)
    if superseded and until is None:
        raise ValueError(f"{where}.superseded: needs applies_until (the last day the rule applied, or would have)")
    if until is not None and until < applies_from and not superseded:
        raise ValueError(f"{where}.applies_until: before applies_from, so the stage never applies; say why in "
                         "`superseded`")
    territory_name = raw.get("territory")
    by_location_raw = raw.get("in_force_by_location")
    if territory_name is not None and (territory_name not in groups or by_location_raw is None):
        raise ValueError(f"{where}.territory: a location group, used with in_force_by_location")
    by_location = {}
    if by_location_raw is not None:
        place = f"{where}.in_force_by_location"
        if per_location is None and territory_name is None:
            raise ValueError(f"{place}: needs per_location or territory (the location group whose countries count)")
        members = groups[per_location or territory_name]
        if not isinstance(by_location_raw, dict) or not by_location_raw:
            raise ValueError(f"{place}: a mapping {{ISO 3166-1 code: {{from: date, until: date}}}}")
        for code, dates in by_location_raw.items():
            if code not in members:
                raise ValueError(f"{place}.{code}: not a country of the location group")
            if not isinstance(dates, dict) or not dates or set(dates) - {"from", "until"}:
                raise ValueError(f"{place}.{code}: a mapping with from and/or until")
            start = _date(dates["from"], f"{place}.{code}.from") if "from" in dates else None
            end = _date(dates["until"], f"{place}.{code}.until") if "until" in dates else None
            if start is not None and start < applies_from:
                raise ValueError(f"{place}.{code}.from: before the stage's applies_from")
            if end is not None and (end < applies_from or (until is not None and end > until)):
                raise ValueError(f"{place}.{code}.until: outside the stage's applies_from/applies_until")
            if start is not None and end is not None and end < start:
                raise ValueError(f"{place}.{code}: until is before from")
            by_location[code] = (start, end)
    later = []
    for i, item in enumerate(raw.get("applies_from_when") or []):
        place = f"{where}.applies_from_when[{i}]"
        if not isinstance(item, dict) or set(item) != {"when", "applies_from", "provision"}:
            raise ValueError(f"{place}: has exactly when, applies_from, provision")
        day = _date(item["applies_from"], f"{place}.applies_from")
        if day < applies_from:
            raise ValueError(f"{place}.applies_from: before the stage's applies_from")
        later.append(LaterStart(compile_condition(item["when"], f"{place}.when", groups), day,
                                _text(item, "provision", place)))
    return {"applies_until": until, "superseded": superseded, "in_force_by_location": by_location,
            "territory": groups[territory_name] if territory_name else frozenset(), "applies_from_when": tuple(later)}


def _waiting_and_postponement(raw: dict, where: str, clock_start: str) -> dict:
    """The Stage fields wait_for_clock_start and postponed_by."""
    wait = raw.get("wait_for_clock_start", False)
    if not isinstance(wait, bool):
        raise ValueError(f"{where}.wait_for_clock_start: must be true or false")
    if wait and (clock_start.startswith(SUBMITTED_PREFIX) or raw.get("clock_start_default") is not None):
        raise ValueError(f"{where}.wait_for_clock_start: only for a clock started by a date-time fact without a "
                         "default")
    postponed = None
    if raw.get("postponed_by") is not None:
        place, item = f"{where}.postponed_by", raw["postponed_by"]
        if (not isinstance(item, dict) or set(item) - {"fact", "provision", "rule", "max_days"}
                or item.get("fact") not in DATETIME_KEYS):
            raise ValueError(f"{place}: has fact (a date-time fact), provision, rule and optionally max_days")
        max_days = item.get("max_days")
        if max_days is not None and (isinstance(max_days, bool) or not isinstance(max_days, int) or max_days <= 0):
            raise ValueError(f"{place}.max_days: a positive integer")
        postponed = Postponement(item["fact"], _text(item, "provision", place), _text(item, "rule", place), max_days)
    return {"wait_for_clock_start": wait, "postponed_by": postponed}


def _stage(raw, where: str, groups, earlier: dict[str, "Stage"], regime_content) -> Stage:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a stage must be a mapping")
    unknown = set(raw) - STAGE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in REQUIRED_STAGE_KEYS:
        if raw.get(key) is None:
            raise ValueError(f"{where}.{key}: required")
    code = _text(raw, "code", where)
    if not code.isidentifier() or code != code.lower():
        raise ValueError(f"{where}.code: {code!r} must be a lower-case identifier")
    unit, value = _unit_value(raw, where)
    clock_start = _text(raw, "clock_start", where)
    if clock_start.startswith(SUBMITTED_PREFIX):
        if clock_start.removeprefix(SUBMITTED_PREFIX) not in earlier:
            raise ValueError(f"{where}.clock_start: {clock_start!r} must name an earlier stage of this regime")
    elif clock_start not in DATETIME_KEYS:
        raise ValueError(f"{where}.clock_start: {clock_start!r} is not a date-time fact or submitted:<stage>")
    default = raw.get("clock_start_default")
    if default is not None and default not in DATETIME_KEYS:
        raise ValueError(f"{where}.clock_start_default: {default!r} is not a date-time fact")
    verification = raw["verification"]
    if verification not in VERIFICATIONS:
        raise ValueError(f"{where}.verification: {verification!r} is not one of {', '.join(VERIFICATIONS)}")
    uncertain = raw.get("uncertain", verification == "uncertain")
    if not isinstance(uncertain, bool):
        raise ValueError(f"{where}.uncertain: must be true or false")
    note = _text(raw, "note", where, required=False)
    if (uncertain or verification != "primary") and not note:
        raise ValueError(f"{where}.note: a stage that is uncertain or not verified from primary text needs a note")
    per_location = raw.get("per_location")
    if per_location is not None and per_location not in groups:
        raise ValueError(f"{where}.per_location: unknown location group {per_location!r}")
    if clock_start.startswith(SUBMITTED_PREFIX):
        per_location = earlier[clock_start.removeprefix(SUBMITTED_PREFIX)].per_location
    business_days = None
    if unit == "business_days":
        bd = raw.get("business_days")
        if not isinstance(bd, dict) or bd.get("calendar") not in BUSINESS_CALENDARS:
            raise ValueError(f"{where}.business_days: needs calendar ({', '.join(BUSINESS_CALENDARS)}), "
                             "time_zone and cutoff")
        business_days = BusinessDays(bd["calendar"], _text(bd, "time_zone", f"{where}.business_days"),
                                     _clock_time(bd.get("cutoff"), f"{where}.business_days.cutoff"))
    variants = []
    for i, item in enumerate(raw.get("variants") or []):
        place = f"{where}.variants[{i}]"
        if not isinstance(item, dict) or set(item) - {"when", "unit", "value", "provision", "rule"}:
            raise ValueError(f"{place}: a variant has when, unit, value, provision, rule")
        v_unit, v_value = _unit_value(item, place)
        variants.append(Variant(compile_condition(item.get("when"), f"{place}.when", groups), v_unit, v_value,
                                _text(item, "provision", place), _text(item, "rule", place)))
    limit = None
    if raw.get("no_later_than") is not None:
        place, cap = f"{where}.no_later_than", raw["no_later_than"]
        if not isinstance(cap, dict) or cap.get("clock_start") not in DATETIME_KEYS:
            raise ValueError(f"{place}: needs clock_start (a date-time fact), unit, value, rule")
        c_unit, c_value = _unit_value(cap, place)
        if c_unit not in ("hours", "days", "calendar_days"):
            raise ValueError(f"{place}.unit: must be hours, days or calendar_days")
        limit = Limit(cap["clock_start"], c_unit, c_value, _text(cap, "rule", place))
    relief = None
    if raw.get("relief") is not None:
        place, item = f"{where}.relief", raw["relief"]
        if not isinstance(item, dict) or set(item) - {"at", "provision", "excluded_when", "note"}:
            raise ValueError(f"{place}: relief has at (HH:MM, the entity's local time), provision, and optionally "
                             "excluded_when and note")
        excluded = item.get("excluded_when")
        relief = Relief(_clock_time(item.get("at"), f"{place}.at"), _text(item, "provision", place),
                        compile_condition(excluded, f"{place}.excluded_when", groups) if excluded else lambda f: False,
                        _text(item, "note", place, required=False))
    cautions = []
    for i, item in enumerate(raw.get("cautions") or []):
        place = f"{where}.cautions[{i}]"
        if not isinstance(item, dict) or set(item) != {"when", "note"}:
            raise ValueError(f"{place}: a caution has when and note")
        cautions.append(Caution(compile_condition(item["when"], f"{place}.when", groups), _text(item, "note", place)))
    content = _content(raw["content"], f"{where}.content") if raw.get("content") is not None else regime_content
    if not content:
        raise ValueError(f"{where}.content: the stage (or its regime) must list its notification content")
    recipient = _text(raw, "recipient", where)
    if "{jurisdiction}" in recipient and per_location is None:
        raise ValueError(f"{where}.recipient: {{jurisdiction}} is only allowed on a per_location stage")
    jurisdiction = _text(raw, "jurisdiction", where)
    if jurisdiction.lower() not in groups and not LOCATION_PATTERN.match(jurisdiction):
        raise ValueError(f"{where}.jurisdiction: {jurisdiction!r} is not an ISO 3166 code or a location group")
    applies_from = _date(raw["applies_from"], f"{where}.applies_from")
    return Stage(
        code=code, name=_text(raw, "name", where), provision=_text(raw, "provision", where), recipient=recipient,
        jurisdiction=jurisdiction, clock_start=clock_start, unit=unit, value=value,
        applies_from=applies_from,
        source=_source(raw["source"], f"{where}.source"), verification=verification, uncertain=uncertain, note=note,
        rule=_text(raw, "rule", where),
        when=compile_condition(raw["when"], f"{where}.when", groups) if raw.get("when") is not None else always,
        variants=tuple(variants), no_later_than=limit, relief=relief, per_location=per_location,
        per_location_countries=groups[per_location] if per_location else frozenset(), content=content,
        cautions=tuple(cautions), clock_start_default=default, business_days=business_days,
        **_in_force_dates(raw, where, groups, per_location, applies_from),
        **_waiting_and_postponement(raw, where, clock_start),
    )


def _regime(raw, path: Path, groups) -> Regime:
    if not isinstance(raw, dict):
        raise ValueError("the file must hold a mapping")
    unknown = set(raw) - REGIME_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    code = _text(raw, "code", "regime")
    if not code.isidentifier() or code != code.lower():
        raise ValueError(f"code: {code!r} must be a lower-case identifier")
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - (STAGE_KEYS - {"code", "name"}):
        raise ValueError("defaults: a mapping of stage keys (not code or name)")
    regime_content = _content(raw["content"], "content") if raw.get("content") is not None else ()
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ValueError("stages: a non-empty list is required")
    stages: dict[str, Stage] = {}
    for i, item in enumerate(stages_raw):
        merged = {**defaults, **item} if isinstance(item, dict) else item
        stage = _stage(merged, f"stages[{i}]", groups, stages, regime_content)
        if stage.code in stages:
            raise ValueError(f"stages[{i}].code: duplicate stage {stage.code!r}")
        stages[stage.code] = stage
    return Regime(
        code=code, name=_text(raw, "name", "regime"), jurisdiction=_text(raw, "jurisdiction", "regime"),
        source=_source(raw.get("source"), "source"),
        when=compile_condition(raw["when"], "when", groups) if raw.get("when") is not None else always,
        stages=tuple(stages.values()), file=path.name,
    )


def _read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegimeFileError(path, f"cannot be read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise RegimeFileError(path, f"is not valid YAML: {exc}") from exc


def load_index(directory: Path | str | None = None) -> dict:
    """`index.yaml`: {"version": str, "location_groups": {name: frozenset of ISO 3166-1 codes}}."""
    path = Path(directory or REGIMES_DIR) / INDEX_FILE
    raw = _read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), str) or not raw["version"].strip():
        raise RegimeFileError(path, "needs a `version` text")
    groups = raw.get("location_groups")
    if not isinstance(groups, dict) or not groups:
        raise RegimeFileError(path, "needs `location_groups`: {name: [ISO 3166-1 codes]}")
    for name, codes in groups.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) and len(c) == 2 and c.isupper() for c in codes):
            raise RegimeFileError(path, f"location_groups.{name}: a list of ISO 3166-1 alpha-2 codes")
    return {"version": raw["version"].strip(), "location_groups": {k: frozenset(v) for k, v in groups.items()}}


def regime_files(directory: Path | str | None = None) -> list[Path]:
    """The regime files of `directory`, sorted by name (index.yaml excluded)."""
    return sorted(p for p in Path(directory or REGIMES_DIR).glob("*.yaml") if p.name != INDEX_FILE)


def load_regimes(directory: Path | str | None = None) -> tuple[Regime, ...]:
    """Every regime of `directory` (default: the shipped `reporting/regimes/`), validated; cached per directory."""
    return _load_regimes(str(Path(directory or REGIMES_DIR).resolve()))


@lru_cache(maxsize=8)
def _load_regimes(directory: str) -> tuple[Regime, ...]:
    groups = load_index(directory)["location_groups"]
    regimes, codes = [], set()
    for path in regime_files(directory):
        try:
            regime = _regime(_read_yaml(path), path, groups)
        except ValueError as exc:
            if isinstance(exc, RegimeFileError):
                raise
            raise RegimeFileError(path, str(exc)) from exc
        if regime.code in codes:
            raise RegimeFileError(path, f"duplicate regime code {regime.code!r}")
        codes.add(regime.code)
        regimes.append(regime)
    if not regimes:
        raise RegimeFileError(Path(directory) / "*.yaml", "no regime files found")
    return tuple(regimes)


def location_groups(directory: Path | str | None = None) -> dict[str, frozenset[str]]:
    return load_index(directory)["location_groups"]


def reference_data_version(directory: Path | str | None = None) -> str:
    """The declared data version and a short SHA-256 of the regime files, e.g. "2026.11 (sha256:1a2b3c4d5e6f)"."""
    directory = Path(directory or REGIMES_DIR).resolve()
    stats = ((path.name, path.stat()) for path in sorted(directory.glob("*.yaml")))
    files = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
    return _reference_data_version(str(directory), files)


@lru_cache(maxsize=32)
def _reference_data_version(directory: str, files: tuple) -> str:
    """Read and hashed once per set of files (name, modification time, size): it is stamped on every evaluation."""
    digest = hashlib.sha256()
    for name, _, _ in files:
        digest.update(name.encode() + b"\0" + (Path(directory) / name).read_bytes() + b"\0")
    return f"{load_index(directory)['version']} (sha256:{digest.hexdigest()[:12]})"
