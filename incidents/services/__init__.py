"""Every write to incidents goes through these functions."""

from incidents.services.records import (
    checklist_from_runbook,
    incident_note,
    incident_open,
    incident_transition,
    incident_update,
    next_reference,
    record_event,
    sla_due_times,
)

__all__ = [
    "checklist_from_runbook",
    "incident_note",
    "incident_open",
    "incident_transition",
    "incident_update",
    "next_reference",
    "record_event",
    "sla_due_times",
]
