"""Obligations: computed by the regulatory clock from the incident's facts, recomputed when they change, and
marked submitted or not applicable by a compliance officer.

Recomputing never drops a submitted obligation: one the facts no longer call for keeps its record and says so.
An open obligation that no longer applies is marked not applicable by the clock with the reason, and reopens if
the facts change back.

A recompute is a compute step (`obligations_plan`: the rules, in Python, on rows already read) and an apply step
(`obligations_apply`: the writes, their history and the timeline events, in bulk). A change to one incident runs
them for it (`obligations_sync`); a change to an AI system in the inventory runs them once for every open incident
involving it (`obligations_sync_many`), in the same number of queries whatever their number.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from incidents.models import Incident, TimelineEvent
from incidents.services import event_values, record_event
from portal.core import roles
from portal.core.bulk import insert_rows, update_rows
from portal.core.concurrency import check_version
from portal.core.history import history_in_bulk, save_tracked
from reporting import clock
from reporting.models import Obligation
from reporting.services.facts import checked_clock_facts, regulatory_facts_for, system_profiles

Status = Obligation.Status

# The fields the clock computes (everything else on an obligation is what people recorded).
COMPUTED = (
    "regime", "regime_name", "provision", "stage", "stage_name", "recipient", "jurisdiction", "clock_start_event",
    "clock_starts_at", "due_at", "rule", "unit", "verification", "uncertain", "note", "source", "depends_on",
    "reference_data_version", "content_items",
)


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    kept_submitted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.reopened or self.closed or self.kept_submitted)


def bank_holidays() -> frozenset:
    return frozenset(parse_date(d) for d in settings.REGULATORY_BANK_HOLIDAYS)


def _earlier(a, b) -> bool:
    """Is spec `a` due before `b` (None is never earlier)?"""
    return a.due_at is not None and (b.due_at is None or a.due_at < b.due_at)


def incident_specs(incident, *, submitted=None) -> list:
    """The obligations the clock computes for `incident`: one evaluation per (operator role, risk class) pair of
    its AI systems, merged by key keeping the earliest due time."""
    regulatory = regulatory_facts_for(incident)
    merged = {}
    for profile in system_profiles(incident):
        facts = checked_clock_facts(incident, profile=profile, regulatory=regulatory, submitted=submitted)
        for spec in clock.evaluate(facts, bank_holidays=bank_holidays()):
            if spec.key not in merged or _earlier(spec, merged[spec.key]):
                merged[spec.key] = spec
    return list(merged.values())


def _computed_values(spec, version: str) -> dict:
    return {
        "regime": spec.regime, "regime_name": spec.regime_name, "provision": spec.provision, "stage": spec.stage,
        "stage_name": spec.stage_name, "recipient": spec.recipient, "jurisdiction": spec.jurisdiction or "",
        "clock_start_event": spec.clock_start_event, "clock_starts_at": spec.clock_starts_at,
        "due_at": spec.due_at, "rule": spec.rule, "unit": spec.unit or "", "verification": spec.verification or "",
        "uncertain": spec.uncertain, "note": spec.note or "", "source": spec.source or "",
        "depends_on": spec.depends_on or "", "reference_data_version": version,
        "content_items": [dict(item) for item in spec.content],
    }


def _apply(obligation, values: dict) -> list[str]:
    changed = [name for name, value in values.items() if getattr(obligation, name) != value]
    for name in changed:
        setattr(obligation, name, values[name])
    return changed


def _submitted_map(obligations) -> dict:
    return {o.key: o.submitted_at.isoformat() for o in obligations
            if o.status == Status.SUBMITTED and o.submitted_at}


@dataclass
class Plan:
    """What the clock's rules change on one incident's obligations: computed from the facts, not yet written."""

    incident: Incident
    result: SyncResult
    created: list = field(default_factory=list)  # new Obligation instances (unsaved)
    changed: list = field(default_factory=list)  # (obligation, [changed field names]) with the values set


def obligations_plan(incident, existing, *, reason: str, version: str) -> Plan:
    """The compute step of a recompute, shared by one incident and many: `incident` with its systems,
    jurisdictions and regulatory facts loaded, `existing` its obligations; no query, no write.

    The rules: a spec without an obligation creates one; an open obligation takes the computed values, and one the
    clock had closed reopens; a submitted one stays as filed (only a stale "no longer applies" is cleared); an
    open obligation the facts no longer call for is marked not applicable by the clock with the reason, and a
    submitted one is kept and marked no longer called for."""
    existing = {o.key: o for o in existing}
    specs = incident_specs(incident, submitted=_submitted_map(existing.values()))
    plan = Plan(incident=incident, result=SyncResult())
    result = plan.result
    for spec in specs:
        values = _computed_values(spec, version)
        obligation = existing.pop(spec.key, None)
        if obligation is None:
            plan.created.append(Obligation(incident=incident, key=spec.key, **values))
            result.created.append(spec.key)
            continue
        if obligation.status == Status.SUBMITTED:
            # As filed: the record of what was owed and when stays; only a stale "no longer applies" is cleared.
            if obligation.no_longer_applies:
                obligation.no_longer_applies = ""
                _change(plan, obligation, ["no_longer_applies"])
                result.updated.append(spec.key)
            continue
        changed = _apply(obligation, values)
        if obligation.status == Status.NOT_APPLICABLE and obligation.closed_by_clock:
            obligation.status, obligation.rationale, obligation.closed_by_clock = Status.OPEN, "", False
            changed += ["status", "rationale", "closed_by_clock"]
            result.reopened.append(spec.key)
        elif changed:
            result.updated.append(spec.key)
        if changed:
            _change(plan, obligation, changed)
    why = f"No longer applies after the facts changed ({reason})." if reason else \
        "No longer applies to the incident's current facts."
    for key, obligation in existing.items():
        if obligation.status == Status.OPEN:
            obligation.status, obligation.rationale, obligation.closed_by_clock = Status.NOT_APPLICABLE, why, True
            _change(plan, obligation, ["status", "rationale", "closed_by_clock"])
            result.closed.append(key)
        elif obligation.status == Status.SUBMITTED and not obligation.no_longer_applies:
            obligation.no_longer_applies = why
            _change(plan, obligation, ["no_longer_applies"])
            result.kept_submitted.append(key)
    return plan


def _change(plan: Plan, obligation, fields: list[str]) -> None:
    obligation.version += 1
    plan.changed.append((obligation, [*fields, "version"]))


def obligations_apply(plans, *, actor, reason: str, version: str, cause: dict | None = None) -> None:
    """The apply step, shared by one incident and many: every new and changed obligation validated, written in
    one insert and one update statement, with its history rows (naming `actor`) chained in one batch each, and
    one timeline event per incident whose obligations changed, in one insert. A bounded number of queries,
    whatever the number of incidents and obligations. Call it inside the transaction that locked the rows."""
    now = timezone.now()
    created = [o for plan in plans for o in plan.created]
    changed = [o for plan in plans for o, _ in plan.changed]
    for obligation in created:
        obligation.created_at = obligation.updated_at = now
    for obligation in changed:
        obligation.updated_at = now
    for obligation in (*created, *changed):  # the checks a save_tracked would run (the unique key is the table's)
        obligation.full_clean(exclude=["incident", "submitted_by"], validate_unique=False,
                              validate_constraints=False)
    if created:
        fields = [f for f in Obligation._meta.concrete_fields if not f.primary_key]
        insert_rows(Obligation, [{f.attname: getattr(o, f.attname) for f in fields} for o in created])
        ids = {(incident_id, key): pk for pk, incident_id, key in Obligation.objects.filter(
            incident_id__in={o.incident_id for o in created}).order_by().values_list("pk", "incident_id", "key")}
        for obligation in created:
            obligation.pk = ids[(obligation.incident_id, obligation.key)]
            obligation._state.adding, obligation._state.db = False, "default"
        history_in_bulk(Obligation, created, actor=actor)
    if changed:
        names = sorted({name for plan in plans for _, fields in plan.changed for name in fields} | {"updated_at"})
        attnames = [Obligation._meta.get_field(name).attname for name in names]
        update_rows(Obligation, [{"id": o.pk, **{a: getattr(o, a) for a in attnames}} for o in changed],
                    fields=attnames)
        history_in_bulk(Obligation, changed, actor=actor, update=True)
    events = [_event_row(plan, actor=actor, reason=reason, version=version, cause=cause, at=now)
              for plan in plans if plan.result.changed]
    insert_rows(TimelineEvent, events)


def _event_row(plan: Plan, *, actor, reason, version, cause, at) -> dict:
    result = plan.result
    parts = [f"{len(v)} {label}" for label, v in (
        ("new", result.created), ("updated", result.updated), ("reopened", result.reopened),
        ("no longer applicable", result.closed), ("submitted, no longer called for", result.kept_submitted),
    ) if v]
    payload = {"created": result.created, "updated": result.updated, "reopened": result.reopened,
               "closed": result.closed, "kept_submitted": result.kept_submitted,
               "reason": reason, "reference_data_version": version}
    if cause:
        payload["cause"] = cause
    summary = f"Regulatory obligations recomputed: {', '.join(parts)}" + (f" ({reason})" if reason else "")
    # A duty that arrives from a change elsewhere (the inventory), not from an edit of the incident itself, is
    # flagged so that the people on the incident notice it.
    flagged = bool(cause and (result.created or result.reopened))
    return {**event_values(plan.incident.pk, TimelineEvent.Kind.OBLIGATION, actor=actor, summary=_cut(summary),
                           payload=payload, flagged=flagged), "at": at}


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _locked_incidents(incidents):
    """The incidents (a queryset), locked in id order, with what the clock reads, and their obligations, locked:
    four queries, whatever their number."""
    locked = list(Incident.objects.select_for_update(of=("self",)).filter(pk__in=incidents.values("pk"))
                  .prefetch_related("systems", "jurisdictions").select_related("regulatory_facts").order_by("pk"))
    obligations = {}
    for obligation in Obligation.objects.select_for_update().filter(incident__in=[i.pk for i in locked]).order_by(
            "incident_id", "pk"):
        obligations.setdefault(obligation.incident_id, []).append(obligation)
    return [(incident, obligations.get(incident.pk, [])) for incident in locked]


def obligations_sync(*, actor, incident, reason: str = "") -> SyncResult:
    """Recompute the incident's obligations from its current facts (see the module docstring), in the one
    transaction of `obligations_sync_many`."""
    return obligations_sync_many(actor=actor, incidents=Incident.objects.filter(pk=incident.pk),
                                 reason=reason)[0]


@transaction.atomic(savepoint=False)  # called inside `incident_open`'s transaction, which rolls back as one
def obligations_sync_opened(*, actor, incident, systems, jurisdictions,
                            reason: str = "incident opened") -> SyncResult:
    """`obligations_sync` for an incident `incident_open` has just written in this transaction, from the
    in-memory incident and the AI systems and jurisdictions it was linked to (instances): nothing to re-read or
    lock (the row is the transaction's own and has no obligation or regulatory facts yet), the same plan and
    writes."""
    cached = getattr(incident, "_prefetched_objects_cache", None)
    incident._prefetched_objects_cache = {**(cached or {}), "systems": list({s.pk: s for s in systems}.values()),
                                          "jurisdictions": list({j.pk: j for j in jurisdictions}.values())}
    had_facts = Incident.regulatory_facts.related.is_cached(incident)
    if not had_facts:  # no row yet: the organisation's profile defaults (`regulatory_facts_for`)
        Incident.regulatory_facts.related.set_cached_value(incident, None)
    try:
        version = clock.reference_data_version()
        plan = obligations_plan(incident, [], reason=reason, version=version)
        obligations_apply([plan], actor=actor, reason=reason, version=version)
    finally:  # the caller's incident is left as it came: its relations read from the database again
        if cached is None:
            del incident._prefetched_objects_cache
        else:
            incident._prefetched_objects_cache = cached
        if not had_facts:
            Incident.regulatory_facts.related.delete_cached_value(incident)
    return plan.result


@transaction.atomic
def obligations_sync_many(*, actor, incidents, reason: str = "", cause: dict | None = None) -> list[SyncResult]:
    """Recompute the obligations of every incident of the queryset `incidents` (in id order), with the rules of
    `obligations_plan`, in a bounded number of queries (`obligations_apply`). An incident whose obligations do
    not change gets no timeline event; the others get one giving `reason` (and `cause`, a JSON-able dict saying
    which record changed, in its payload)."""
    version = clock.reference_data_version()
    plans = [obligations_plan(incident, existing, reason=reason, version=version)
             for incident, existing in _locked_incidents(incidents)]
    obligations_apply(plans, actor=actor, reason=reason, version=version, cause=cause)
    return [plan.result for plan in plans]


def _item_labels(obligation, keys) -> str:
    labels = {item["key"]: item.get("label", item["key"]) for item in obligation.content_items}
    return "; ".join(labels.get(key, key.replace("_", " ")) for key in keys)


def _save(obligation, actor, fields):
    obligation.version += 1
    save_tracked(obligation, actor=actor, update_fields=[*fields, "version"])


def _require_compliance(actor, what: str):
    if roles.COMPLIANCE_OFFICER not in roles.user_roles(actor):
        raise ValidationError(f"Only a compliance officer can {what}.", code="role")


def _locked(obligation, expected_version, *, required=False):
    locked = Obligation.objects.select_for_update().select_related("incident").get(pk=obligation.pk)
    check_version(locked, expected_version, label=f"{locked} of {locked.incident.reference}", required=required)
    return locked


@transaction.atomic
def obligation_submit(*, actor, obligation, submitted_at=None, authority_reference: str = "",
                      expected_version=None) -> Obligation:
    """Record that the obligation was met: when it was submitted and the authority's reference. Chained stages
    (e.g. the NIS2 final report one month after the notification) then get their due times. Bound to the version
    of the obligation the officer read (`expected_version`, required)."""
    _require_compliance(actor, "mark an obligation submitted")
    locked = _locked(obligation, expected_version, required=True)
    submitted_at = submitted_at or timezone.now()
    if locked.status == Status.SUBMITTED:
        raise ValidationError({"status": f"Already submitted on {locked.submitted_at:%Y-%m-%d %H:%M} UTC."})
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": "The submission time cannot be in the future."})
    if locked.clock_starts_at and submitted_at < locked.clock_starts_at:
        raise ValidationError({"submitted_at": "The submission time is before the clock started "
                                               f"({locked.clock_starts_at:%Y-%m-%d %H:%M} UTC)."})
    locked.status, locked.submitted_at, locked.submitted_by = Status.SUBMITTED, submitted_at, actor
    locked.authority_reference, locked.rationale, locked.closed_by_clock = authority_reference.strip(), "", False
    _save(locked, actor, ["status", "submitted_at", "submitted_by", "authority_reference", "rationale",
                          "closed_by_clock"])
    late = locked.due_at is not None and submitted_at > locked.due_at
    record_event(locked.incident, TimelineEvent.Kind.OBLIGATION, actor=actor, flagged=late,
                 summary=f"Submitted: {locked}" + (" (late)" if late else "")
                         + (f", reference {locked.authority_reference}" if locked.authority_reference else ""),
                 payload={"obligation": locked.pk, "key": locked.key, "submitted_at": submitted_at.isoformat(),
                          "due_at": locked.due_at.isoformat() if locked.due_at else None, "late": late,
                          "authority_reference": locked.authority_reference})
    obligations_sync(actor=actor, incident=locked.incident, reason=f"{locked.key} submitted")
    obligation.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def obligation_mark_not_applicable(*, actor, obligation, rationale: str, expected_version=None) -> Obligation:
    """A compliance officer's decision that an obligation does not apply, with the rationale (kept for audit).
    Bound to the version of the obligation the officer read (`expected_version`, required)."""
    _require_compliance(actor, "mark an obligation not applicable")
    locked = _locked(obligation, expected_version, required=True)
    if not rationale.strip():
        raise ValidationError({"rationale": "Say why the obligation does not apply."})
    if locked.status == Status.SUBMITTED:
        raise ValidationError({"status": "A submitted obligation cannot be marked not applicable."})
    locked.status, locked.rationale, locked.closed_by_clock = Status.NOT_APPLICABLE, rationale.strip(), False
    _save(locked, actor, ["status", "rationale", "closed_by_clock"])
    record_event(locked.incident, TimelineEvent.Kind.OBLIGATION, actor=actor,
                 summary=f"Not applicable: {locked}: {locked.rationale}"[:300],
                 payload={"obligation": locked.pk, "key": locked.key, "rationale": locked.rationale})
    obligation.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def obligation_reopen(*, actor, obligation, reason: str, expected_version=None) -> Obligation:
    """Undo a submission or a not-applicable decision recorded by mistake (the history keeps both)."""
    _require_compliance(actor, "reopen an obligation")
    locked = _locked(obligation, expected_version)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the obligation is reopened."})
    if locked.status == Status.OPEN:
        raise ValidationError({"status": "The obligation is already open."})
    previous = locked.status
    locked.status, locked.rationale, locked.closed_by_clock = Status.OPEN, "", False
    locked.submitted_at = locked.submitted_by = None
    locked.authority_reference = ""
    _save(locked, actor, ["status", "rationale", "closed_by_clock", "submitted_at", "submitted_by",
                          "authority_reference"])
    record_event(locked.incident, TimelineEvent.Kind.OBLIGATION, actor=actor, flagged=True,
                 summary=f"Reopened ({previous}): {locked}: {reason.strip()}"[:300],
                 payload={"obligation": locked.pk, "key": locked.key, "from": previous, "reason": reason.strip()})
    obligations_sync(actor=actor, incident=locked.incident, reason=f"{locked.key} reopened")
    obligation.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def obligation_content_update(*, actor, obligation, content: dict, expected_version=None) -> Obligation:
    """The notification content a compliance officer enters (the items the regime asks for that the incident
    record does not hold)."""
    _require_compliance(actor, "edit a notification's content")
    locked = _locked(obligation, expected_version)
    allowed = {item["key"] for item in locked.content_items if item.get("source") == "entered"}
    if unknown := set(content) - allowed:
        raise ValidationError({"content": f"Not an item this notification asks for: {', '.join(sorted(unknown))}."})
    new = {**locked.content, **{k: str(v).strip() for k, v in content.items()}}
    new = {k: v for k, v in new.items() if v}
    if new == locked.content:
        return locked
    changed = sorted(k for k in set(new) | set(locked.content) if new.get(k) != locked.content.get(k))
    locked.content = new
    _save(locked, actor, ["content"])
    record_event(locked.incident, TimelineEvent.Kind.OBLIGATION, actor=actor,
                 summary=f"Notification content edited: {locked}: {_item_labels(locked, changed)}"[:300],
                 payload={"obligation": locked.pk, "key": locked.key, "items": changed})
    obligation.__dict__.update(locked.__dict__)
    return locked
