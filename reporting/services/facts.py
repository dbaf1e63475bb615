"""From an incident to the regulatory clock's facts, and changes to the facts the incident does not hold."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from portal.core import roles
from portal.core.concurrency import check_version
from portal.core.history import save_tracked
from reporting.clock.facts import DATETIME_KEYS
from reporting.models import RegulatoryFacts

FACT_FIELDS = (
    "widespread_infringement", "provider_unreachable", "risk_to_individuals", "nis2_entity", "significant_incident",
    "dora_financial_entity", "dora_entity_type", "classified_major_at", "sec_registrant",
    "materiality_determined_at", "frontier_developer", "critical_safety_incident",
    "imminent_risk_of_death_or_injury", "covered_defense_information", "phi_breach", "nydfs_covered_entity",
    "determined_at", "critical_information_infrastructure", "cn_relatively_major_or_above",
    "deemed_provider", "legacy_gpai_model", "gdpr_role", "service_recipients_affected",
    "nis2_intermediate_requested_at", "ongoing_at_final_report", "handling_completed_at", "cra_manufacturer",
    "actively_exploited_vulnerability", "severe_incident", "corrective_measure_available_at", "sec_delay_until",
    "hipaa_role", "state_residents_affected", "extortion_payment_at", "algorithmic_discrimination_discovered_at",
    "adverse_decision_at",
    "entity_time_zone", "entity_country", "incident_time_zone",
)
MOMENTS = frozenset(DATETIME_KEYS)  # the date-time facts, sent to the clock as ISO 8601
# The breach's own facts (GDPR Art. 33(3)(a)): not read by the clock; whoever records them confirms them.
BREACH_FIELDS = ("personal_data_categories", "data_subject_categories", "records_concerned")
CONFIRMATION_FIELDS = ("breach_facts_confirmed_by", "breach_facts_confirmed_at")

# When several AI systems are involved, each (operator role, risk class) pair is evaluated and the results merged.
NO_PROFILE = ("", "")


# Facts the clock names differently from the records that hold them.
RECORD_FIELDS = {"locations": "jurisdictions", "individuals_affected": "data_subjects_affected"}


def facts_refusal(exc, *, fields=None) -> ValidationError:
    """A clock `FactsError` as a ValidationError naming the record's fields (`fields`: the form's own; the rest go
    to the whole record, each message naming its fact)."""
    errors = {}
    for key, message in exc.errors.items():
        field = RECORD_FIELDS.get(key, key)
        if fields is not None and field not in fields:
            errors.setdefault("__all__", []).append(f"{key}: {message}")
        else:
            errors.setdefault(field, []).append(message)
    return ValidationError(errors)


def checked_clock_facts(incident, **kwargs):
    """`clock_facts` parsed by the clock: a ValidationError naming each impossible or malformed fact."""
    from reporting import clock

    try:
        return clock.parse_facts(clock_facts(incident, **kwargs))
    except clock.FactsError as exc:
        raise facts_refusal(exc) from exc


def _iso(moment):
    return moment.isoformat() if moment else None


def regulatory_facts_for(incident) -> RegulatoryFacts:
    """The incident's regulatory facts row, or an unsaved one with the organisation's profile defaults."""
    try:
        return incident.regulatory_facts
    except RegulatoryFacts.DoesNotExist:
        return RegulatoryFacts(incident=incident, **RegulatoryFacts.profile_defaults())


def system_profiles(incident) -> list[tuple[str, str]]:
    """The distinct (operator role, risk class) pairs of the incident's AI systems, or one empty pair."""
    pairs = sorted({(s.operator_role or "", s.risk_class or "") for s in incident.systems.all()})
    return pairs or [NO_PROFILE]


def clock_facts(incident, *, profile=NO_PROFILE, regulatory=None, submitted=None) -> dict:
    """The facts object the regulatory clock reads (the same format `manage.py regulatory_clock` accepts)."""
    regulatory = regulatory or regulatory_facts_for(incident)
    facts = {
        "aware_at": _iso(incident.aware_at or incident.detected_at),
        "locations": sorted(j.code for j in incident.jurisdictions.all()),
        "harms": sorted(incident.harms or []),
        "personal_data_breach": bool(incident.personal_data_involved),
        # Not yet assessed: left out, so the clock shows the notification as due and marks it uncertain.
        "risk_to_individuals": regulatory.risk_to_individuals or None,
    }
    if incident.occurred_at:
        facts["occurred_at"] = _iso(incident.occurred_at)
    if incident.data_subjects_affected is not None:
        facts["individuals_affected"] = incident.data_subjects_affected
    role, risk_class = profile
    if role:
        facts["operator_role"] = role
    if risk_class:
        facts["risk_class"] = risk_class
    for name in FACT_FIELDS:
        if name == "risk_to_individuals":
            continue
        value = getattr(regulatory, name)
        if name in MOMENTS:
            if value:
                facts[name] = _iso(value)
        elif value is None or value == "":  # a count or a choice not given
            continue
        else:
            facts[name] = value
    if submitted:
        facts["submitted"] = dict(submitted)
    return facts


@transaction.atomic
def regulatory_facts_update(*, actor, incident, expected_version=None, **changes) -> RegulatoryFacts:
    """Create or change an incident's regulatory facts, then recompute its obligations.

    The breach facts (`BREACH_FIELDS`) are confirmed by the compliance officer who records them: recording them
    stamps `breach_facts_confirmed_by` and `_at` (also when they are saved unchanged while not yet confirmed, e.g.
    the inventory's proposal accepted as it was shown). An empty list means "not established"; with no breach
    fact established the confirmation is cleared.
    """
    from reporting.services.obligations import obligations_sync

    if roles.COMPLIANCE_OFFICER not in roles.user_roles(actor):
        raise ValidationError("Only a compliance officer can record regulatory facts.", code="role")
    if unknown := set(changes) - set(FACT_FIELDS) - set(BREACH_FIELDS):
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a regulatory fact."))
    for name in ("personal_data_categories", "data_subject_categories"):
        if name in changes and changes[name] in ([], ()):
            changes[name] = None
    Incident.objects.select_for_update().get(pk=incident.pk)
    row = RegulatoryFacts.objects.select_for_update().filter(incident=incident).first()
    created = row is None
    if created:
        row = RegulatoryFacts(incident=incident, **RegulatoryFacts.profile_defaults())
    else:
        check_version(row, expected_version, label=f"The regulatory facts of {incident.reference}")
    changed = [name for name, value in changes.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, changes[name])
    confirmed = _breach_confirmation(row, actor=actor, sent=[n for n in BREACH_FIELDS if n in changes],
                                     changed=changed)
    if not changed and not created and confirmed is None:
        return row
    for profile in system_profiles(incident):  # refused before anything is written, naming the facts
        checked_clock_facts(incident, profile=profile, regulatory=row)
    if not created:
        row.version += 1
    save_tracked(row, actor=actor)
    values = {n: _jsonable(getattr(row, n)) for n in changed}
    labels = ", ".join(str(RegulatoryFacts._meta.get_field(n).verbose_name) for n in changed)
    summary = f"Regulatory facts {'recorded' if created else 'changed'}: {labels or 'defaults'}"
    if confirmed:
        summary += f"; breach facts confirmed by {actor.get_full_name() or actor.get_username()}"
    elif confirmed is False:
        summary += "; breach facts no longer established"
    record_event(incident, TimelineEvent.Kind.OBLIGATION, actor=actor, summary=summary,
                 payload={"fields": changed, "values": values,
                          **({} if confirmed is None else {"breach_facts_confirmed": confirmed})})
    incident.regulatory_facts = row
    if created or set(changed) - set(BREACH_FIELDS):
        obligations_sync(actor=actor, incident=incident, reason=f"regulatory facts changed: {labels}")
    return row


def _breach_confirmation(row, *, actor, sent, changed) -> bool | None:
    """Stamp or clear the breach facts' confirmation on `row`: True when confirmed now, False when cleared, None
    when it stays as it was."""
    if not sent:
        return None
    established = any(getattr(row, name) not in (None, []) for name in BREACH_FIELDS)
    if not established:
        if not row.breach_facts_confirmed:
            return None
        row.breach_facts_confirmed_by, row.breach_facts_confirmed_at = None, None
        return False
    if row.breach_facts_confirmed and not set(sent) & set(changed):
        return None
    row.breach_facts_confirmed_by, row.breach_facts_confirmed_at = actor, timezone.now()
    return True


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
