"""Opening, updating and moving incidents through their lifecycle.

Each function runs in a transaction, locks the incident row when it changes one, saves through the history
wrapper with the acting user, bumps the incident's `version` and appends a `TimelineEvent`.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from incidents import lifecycle, sla
from incidents.lifecycle import Guard, Status
from incidents.models import ChecklistItem, Incident, IncidentSequence, RunbookStep, TimelineEvent
from incidents.signals import incident_changed
from portal.core import inputs
from portal.core.audit import current_source
from portal.core.businesstime import BusinessCalendar
from portal.core.concurrency import check_version
from portal.core.display import field_labels
from portal.core.history import history_in_bulk, history_of_created, history_rows_in_bulk, save_tracked

Kind = TimelineEvent.Kind

M2M_FIELDS = ("systems", "components", "atlas_techniques", "owasp_risks", "jurisdictions")


def event_values(incident_id, kind, *, actor, summary, payload=None, flagged=False) -> dict:
    """The column values of a timeline event (by attname): who acted, from where, what happened. `record_event`
    saves one; bulk writers (`portal.core.bulk.insert_rows`) insert many, with `at` added."""
    return {
        "incident_id": incident_id,
        "kind": kind,
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
        "source": current_source(),
        "summary": summary[:300],
        "payload": payload or {},
        "flagged": flagged,
    }


def record_event(incident, kind, *, actor, summary, payload=None, flagged=False) -> TimelineEvent:
    return TimelineEvent.objects.create(**event_values(incident.pk, kind, actor=actor, summary=summary,
                                                       payload=payload, flagged=flagged))


def next_reference(year: int) -> str:
    """AIIR-<year>-<seq>: the year's counter row is created or incremented in one statement (an upsert, which
    holds the row's lock until the transaction ends), so two incidents opened at the same moment get distinct
    numbers (the unique reference is the last line of defence)."""
    table = connection.ops.quote_name(IncidentSequence._meta.db_table)
    last = connection.ops.quote_name("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, {last}) VALUES (%s, 1) "  # noqa: S608  # nosec B608  # the model's names, not input
            f"ON CONFLICT (year) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}", [year])
        number = cursor.fetchone()[0]
    return f"AIIR-{year}-{number:04d}"


def sla_due_times(severity: str, detected_at) -> dict:
    return sla.due_times(severity, detected_at, settings.INCIDENT_SLA, BusinessCalendar.from_settings())


def _set_m2m(incident, values: dict, *, actor) -> list[str]:
    changed = []
    for name, items in values.items():
        items = list(items)
        current = set(getattr(incident, name).values_list("pk", flat=True))
        if {getattr(i, "pk", i) for i in items} != current:
            incident._history_user = actor
            getattr(incident, name).set(items)
            changed.append(name)
    return changed


def _add_links(incident, values: dict) -> dict:
    """Insert the many-to-many links of a new incident (model instances or primary keys, repeats ignored), one
    insert per non-empty field, without simple-history's per-field history rows (the caller writes the incident's
    one history row with them); the through rows created, by field name."""
    created = {}
    for name, items in values.items():
        items = list(items)
        targets = list(dict.fromkeys(getattr(item, "pk", item) for item in items))
        if not targets:
            continue
        field = Incident._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        related = field.related_model
        if wrong := [item for item in items if isinstance(item, models.Model) and not isinstance(item, related)]:
            raise TypeError(f"{name} takes {related.__name__} instances, not {type(wrong[0]).__name__}.")
        rows = [through(**{f"{source}_id": incident.pk, f"{target}_id": pk}) for pk in targets]
        through.objects.bulk_create(rows)
        created[name] = rows
    return created


def checklist_from_runbook(incident, *, actor, history: list | None = None) -> int:
    """Copy the runbook of the incident's class onto the incident as its checklist: one query for the runbook's
    steps, one insert for the items, and their history rows (naming `actor`) chained in one batch. With `history`
    (a list), the batch of history rows is appended to it instead, for the caller to chain with its own
    (`history_of_created(also=...)`)."""
    steps = list(RunbookStep.objects.filter(runbook__incident_class=incident.incident_class)
                 .select_related("runbook").order_by("order", "pk"))
    items = [
        ChecklistItem(
            incident=incident, order=step.order, phase=step.phase, title=step.title, guidance=step.guidance,
            csf_category_id=step.csf_category_id, atlas_technique_id=step.atlas_technique_id,
            runbook_version=step.runbook.version,
        )
        for step in steps
    ]
    # Each item is still checked as a save would, but for its references: they are copied from the runbook step's
    # own foreign keys to the same tables, so they exist (an existence query per step would grow with the runbook).
    for item in items:
        item.full_clean(exclude=["incident", "csf_category", "atlas_technique"], validate_unique=False,
                        validate_constraints=False)
    if not items:
        return 0
    # One insert for the items and one chained batch of their history rows, not a save per step: every new
    # incident gets its checklist, so this is on the path of every alert.
    ChecklistItem.objects.bulk_create(items)
    if history is None:
        history_in_bulk(ChecklistItem, items, actor=actor)
    else:
        history.append(history_rows_in_bulk(ChecklistItem, items, actor=actor))
    return len(items)


def _jurisdictions(codes_or_objects):
    from inventory.models import Jurisdiction

    items = list(codes_or_objects)
    codes = [j if isinstance(j, str) else j.code for j in items]
    found = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    if unknown := [c for c in codes if c not in found]:
        raise ValidationError({"jurisdictions": inputs.unknown_jurisdictions(unknown)})
    return [found[c] for c in codes]


def _system_instances(items: list) -> list:
    """The AI systems named by `items` (instances or primary keys) as instances, each once; a key that names no
    system is left out (its link fails on the foreign key)."""
    from inventory.models import AISystem

    keys = [item for item in items if not isinstance(item, models.Model)]
    found = AISystem.objects.in_bulk(keys) if keys else {}
    systems = {}
    for item in items:
        system = item if isinstance(item, models.Model) else found.get(item)
        if system is not None:
            systems.setdefault(system.pk, system)
    return list(systems.values())


@transaction.atomic
def incident_open(*, actor, title: str, track: str, incident_class: str, severity: str, detected_at=None,
                  systems: Iterable = (), components: Iterable = (), atlas_techniques: Iterable = (),
                  owasp_risks: Iterable = (), jurisdictions: Iterable = (), also_events: Iterable = (),
                  **fields) -> Incident:
    """Open an incident: reference, SLA due times, the runbook as checklist, and an `opened` timeline event
    (followed by `also_events`, each {kind, summary, payload}: what opened it, recorded with it).

    `aware_at` defaults to `detected_at` (most regulatory clocks start at awareness; correct it when the
    organisation became aware later).
    """
    detected_at = detected_at or timezone.now()
    inputs.check_moments(detected_at=detected_at, **fields)  # before the SLA arithmetic
    fields.setdefault("aware_at", detected_at)
    incident = Incident(title=title, track=track, incident_class=incident_class, severity=severity,
                        detected_at=detected_at, **fields)
    if severity in settings.INCIDENT_SLA:
        for name, value in sla_due_times(severity, detected_at).items():
            setattr(incident, name, value)
    refresh_sla(incident)
    incident.full_clean(exclude=["reference"])
    jurisdictions = _jurisdictions(jurisdictions)
    incident.reference = next_reference(detected_at.year)
    # The incident, its links, its checklist and all their history rows in a constant number of queries: the
    # rows are inserted without history, then one "+" history row of the incident (with its links, as
    # simple-history would snapshot them) and the checklist's history rows are chained in one go, naming `actor`.
    try:
        incident.save_without_historical_record()
    except IntegrityError as exc:  # a constraint a concurrent writer got past first (as `save_tracked` reports)
        raise ValidationError(f"The change conflicts with a concurrent change: {exc}") from exc
    systems = list(systems)
    links = _add_links(incident, {"systems": systems, "components": components, "atlas_techniques": atlas_techniques,
                                  "owasp_risks": owasp_risks, "jurisdictions": jurisdictions})
    checklist_history = []
    steps = checklist_from_runbook(incident, actor=actor, history=checklist_history)
    history_of_created(incident, actor=actor, m2m=links, also=checklist_history)
    opened = event_values(incident.pk, Kind.OPENED, actor=actor,
                          summary=f"{incident.reference} opened: {incident.get_severity_display()}, "
                                  f"{incident.get_incident_class_display()}",
                          payload={"severity": severity, "class": incident_class, "checklist_steps": steps,
                                   "detection_source": incident.detection_source})
    # The opening event and the caller's own (an alert's) in one insert, in that order.
    TimelineEvent.objects.bulk_create([
        TimelineEvent(**opened),
        *(TimelineEvent(**event_values(incident.pk, event["kind"], actor=actor, summary=event["summary"],
                                       payload=event.get("payload"))) for event in also_events)])
    incident_changed.send(sender=Incident, incident=incident, actor=actor, fields=[], created=True,
                          links={"systems": _system_instances(systems), "jurisdictions": jurisdictions})
    return incident


def lock(incident) -> Incident:
    """The incident re-read under a row lock (PostgreSQL); every change to an incident starts here."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def refresh_sla(incident) -> list[str]:
    """Recompute the next SLA deadline after timestamps, severity or status changed; the fields that moved."""
    due, warn = sla.next_deadline(incident, settings.INCIDENT_SLA_DUE_SOON_SHARE)
    changed = [name for name, value in (("sla_next_due_at", due), ("sla_next_warn_at", warn))
               if getattr(incident, name) != value]
    incident.sla_next_due_at, incident.sla_next_warn_at = due, warn
    return changed


def bump(incident, *, actor, fields: list[str]) -> Incident:
    """Save changed fields of a locked incident with the next version and a fresh SLA deadline."""
    incident.version += 1
    save_tracked(incident, actor=actor, update_fields=[*fields, *refresh_sla(incident), "version"])
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, expected_version=None, **changes) -> Incident:
    """Change facts of an incident. `expected_version` (from the form or payload) refuses a stale edit, naming
    who changed the incident and when. Severity or detection changes recompute the SLA due times."""
    locked = lock(incident)
    check_version(locked, expected_version, label=locked.reference)
    forbidden = {"status", "reference", "version"} & set(changes)
    if forbidden:
        raise ValidationError(dict.fromkeys(forbidden, "Changed through the lifecycle, not edited directly."))
    inputs.check_moments(**changes)
    m2m = {name: changes.pop(name) for name in M2M_FIELDS if name in changes}
    if "jurisdictions" in m2m:
        m2m["jurisdictions"] = _jurisdictions(m2m["jurisdictions"])
    before = {name: getattr(locked, name) for name in changes}
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if {"severity", "detected_at"} & set(changed) and locked.severity in settings.INCIDENT_SLA:
        for name, value in sla_due_times(locked.severity, locked.detected_at).items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
    m2m_changed = _set_m2m(locked, m2m, actor=actor)
    if not changed and not m2m_changed:
        return locked
    bump(locked, actor=actor, fields=changed)
    if "severity" in changed:
        record_event(locked, Kind.SEVERITY_CHANGE, actor=actor,
                     summary=f"Severity {before['severity'].upper()} -> {locked.severity.upper()}",
                     payload={"from": before["severity"], "to": locked.severity})
    record_event(locked, Kind.UPDATED, actor=actor, summary=f"Updated: {field_labels(Incident, changed + m2m_changed)}",
                 payload={"fields": changed + m2m_changed})
    incident_changed.send(sender=Incident, incident=locked, actor=actor, fields=changed + m2m_changed,
                          created=False)
    incident.__dict__.update(locked.__dict__)
    return locked


def _guard_facts(incident, note: str) -> dict[str, bool]:
    return {
        Guard.SIGNED_RECOVERY_VALIDATION: any(
            v.is_signed and v.all_tests_passed for v in incident.recovery_validations.all()
        ),
        Guard.POST_INCIDENT_REVIEW: hasattr(incident, "review") and bool(incident.review.root_cause.strip()),
        Guard.DISMISSAL_REASON: bool(note.strip()),
    }


@transaction.atomic
def incident_transition(*, actor, incident: Incident, to: str, note: str = "", at=None,
                        expected_version=None) -> Incident:
    """Move an incident to `to` if the lifecycle table allows it and its guards hold; stamp the matching
    timestamp (if not already set) and record the status change."""
    locked = lock(incident)
    check_version(locked, expected_version, label=locked.reference)
    inputs.check_moments(at=at)
    if to not in Status.values:
        raise ValidationError({"status": f"Unknown status {to!r}; one of {', '.join(Status.values)}."})
    try:
        transition = lifecycle.transition_for(locked.status, to, _guard_facts(locked, note))
    except lifecycle.TransitionError as exc:
        raise ValidationError({"status": str(exc)}) from exc
    source = locked.status
    locked.status = to
    fields = ["status"]
    if transition.stamps and getattr(locked, transition.stamps) is None:
        setattr(locked, transition.stamps, at or timezone.now())
        fields.append(transition.stamps)
    bump(locked, actor=actor, fields=fields)
    record_event(locked, Kind.STATUS_CHANGE, actor=actor,
                 summary=f"{Status(source).label} -> {Status(to).label}" + (f": {note}" if note else ""),
                 payload={"from": source, "to": to, "note": note})
    incident.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def incident_note(*, actor, incident: Incident, text: str, kind: str = Kind.NOTE) -> TimelineEvent:
    if not text.strip():
        raise ValidationError({"text": "A note needs some text."})
    return record_event(incident, kind, actor=actor, summary=text.strip()[:300], payload={"text": text.strip()})
