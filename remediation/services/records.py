"""Adding one affected record by hand (the admin's add form, the API): checked like an imported row, with its
history row and a timeline event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from portal.core.history import save_tracked
from remediation.models import AffectedRecord
from remediation.services.bulk import check_reviewer
from remediation.services.moves import require_worker
from remediation.states import State

FIELDS = ("kind", "external_id", "subject_ref", "jurisdiction", "contact_channel", "occurred_at", "system",
          "component", "note", "reviewer")


@transaction.atomic
def affected_record_create(*, actor, incident: Incident, **values) -> AffectedRecord:
    """Add one affected record to `incident` in the state identified."""
    require_worker(actor, "add an affected record")
    if unknown := sorted(set(values) - set(FIELDS)):
        raise ValidationError({unknown[0]: "This field cannot be set on a new affected record."})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if values.get("reviewer") is not None:
        values["reviewer"] = check_reviewer(values["reviewer"])
    if isinstance(values.get("jurisdiction"), str):
        values["jurisdiction"] = values["jurisdiction"].strip().upper()  # checked by the field (UK: GB)
    record = AffectedRecord(incident=incident, state=State.IDENTIFIED, state_changed_at=timezone.now(),
                            state_changed_by=actor, **values)
    save_tracked(record, actor=actor)
    record_event(incident, TimelineEvent.Kind.UPDATED, actor=actor,
                 summary=f"Affected {record.get_kind_display().lower()} {record.external_id} added to the ledger",
                 payload={"affected_record": record.pk})
    return record
