"""Moving an affected record through its remediation states (`remediation.states`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import TimelineEvent
from incidents.services import record_event
from portal.core import inputs, roles
from portal.core.concurrency import check_version
from portal.core.history import save_tracked
from remediation import states
from remediation.models import AffectedRecord

WORKERS = (roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER)


def require_worker(actor, what: str) -> None:
    """Only compliance officers and incident responders work the ledger."""
    if not set(WORKERS) & set(roles.user_roles(actor)):
        raise ValidationError(f"Only a {' or an '.join(WORKERS)} can {what}.", code="role")


@transaction.atomic
def affected_record_move(*, actor, record: AffectedRecord, to: str, expected_version, note: str = "") -> AffectedRecord:
    """Move `record` to the state `to`, bound to the version the actor read; who and when are recorded on the
    record, its history row names the actor, and the incident's timeline says what happened."""
    require_worker(actor, "move an affected record")
    if inputs.NUL in (note or ""):
        raise ValidationError({"note": inputs.NUL_MESSAGE + "."})
    locked = AffectedRecord.objects.select_for_update().select_related("incident").get(pk=record.pk)
    check_version(locked, expected_version, label=f"Affected record {locked.external_id} of "
                                                   f"{locked.incident.reference}", required=True)
    if problem := states.refusal(locked.state, to):
        raise ValidationError({"state": problem}, code="not_allowed")
    before = locked.state
    locked.state, locked.state_changed_by, locked.state_changed_at = to, actor, timezone.now()
    locked.updated_at = locked.state_changed_at
    locked.note = (note or "").strip()
    locked.version += 1
    save_tracked(locked, actor=actor, update_fields=["state", "state_changed_by", "state_changed_at", "note",
                                                     "updated_at", "version"])
    summary = (f"Affected {locked.get_kind_display().lower()} {locked.external_id}: "
               f"{states.label(before)} → {states.label(to)}")
    record_event(locked.incident, TimelineEvent.Kind.UPDATED, actor=actor, summary=summary,
                 payload={"affected_record": locked.pk, "from": before, "to": to,
                          **({"note": locked.note[:200]} if locked.note else {})})
    record.__dict__.update({k: v for k, v in locked.__dict__.items() if k != "_state"})
    return locked
