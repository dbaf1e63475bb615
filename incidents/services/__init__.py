"""Every write to incidents goes through these functions."""

from incidents.services.containment import containment_record, containment_revert
from incidents.services.evidence import custody_record, evidence_add, evidence_verify
from incidents.services.intake import AlertResult, alert_receive, severity_from_alert
from incidents.services.records import (
    checklist_from_runbook,
    event_values,
    incident_note,
    incident_open,
    incident_transition,
    incident_update,
    next_reference,
    record_event,
    sla_due_times,
)
from incidents.services.recovery import recovery_signoff, recovery_validation_record, recovery_validation_update
from incidents.services.response import (
    action_item_add,
    action_item_complete,
    checklist_item_complete,
    checklist_item_reopen,
    review_record,
)
from incidents.services.sla_notices import sla_check
from incidents.services.taxonomy import atlas_import

__all__ = [
    "AlertResult",
    "action_item_add",
    "action_item_complete",
    "alert_receive",
    "atlas_import",
    "checklist_from_runbook",
    "checklist_item_complete",
    "checklist_item_reopen",
    "containment_record",
    "containment_revert",
    "custody_record",
    "event_values",
    "evidence_add",
    "evidence_verify",
    "incident_note",
    "incident_open",
    "incident_transition",
    "incident_update",
    "next_reference",
    "record_event",
    "recovery_signoff",
    "recovery_validation_record",
    "recovery_validation_update",
    "review_record",
    "severity_from_alert",
    "sla_check",
    "sla_due_times",
]
