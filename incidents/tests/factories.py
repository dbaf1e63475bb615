"""Helpers for incident tests. They write through the services, so every row has history and a timeline event."""

from django.db.models import Max

from incidents import services
from incidents.lifecycle import Status
from incidents.models import ChecklistItem, Phase
from portal.core.history import save_tracked

INCIDENT_DEFAULTS = {
    "title": "Prompt injection in the support bot",
    "track": "security",
    "incident_class": "prompt_injection",
    "severity": "p1",
}

# The main path of the lifecycle up to recovery (the later steps have guards a test sets up on purpose).
MAIN_PATH = (Status.DETECTED, Status.TRIAGED, Status.CONTAINED, Status.INVESTIGATING, Status.RECOVERING)


def open_incident(actor, **overrides):
    """An incident opened through `services.incident_open`; any field can be overridden."""
    return services.incident_open(actor=actor, **{**INCIDENT_DEFAULTS, **overrides})


def advance(incident, actor, to):
    """Walk an incident along the main path (detected ... recovering) up to `to`."""
    start = MAIN_PATH.index(incident.status)
    for status in MAIN_PATH[start + 1: MAIN_PATH.index(to) + 1]:
        services.incident_transition(actor=actor, incident=incident, to=status)
    return incident


def checklist_item(incident, *, actor=None, order=None, title="Disable the affected tool", phase=Phase.CONTAIN):
    """A checklist step on `incident` (as if copied from its runbook), after any steps it already has."""
    if order is None:
        order = (incident.checklist.aggregate(last=Max("order"))["last"] or 0) + 1
    return save_tracked(ChecklistItem(incident=incident, order=order, phase=phase, title=title), actor=actor)


def passed_validation(incident, actor, **outcomes):
    """A recovery validation with every test passed (override single outcomes as keyword arguments)."""
    values = {"functional": "passed", "stress": "passed", "bias": "passed", "security": "passed", **outcomes}
    return services.recovery_validation_record(actor=actor, incident=incident, **values)


def signed_validation(incident, *, engineering, compliance):
    """A passed validation signed off by `engineering` (a responder) and `compliance` (a compliance officer)."""
    validation = passed_validation(incident, engineering)
    services.recovery_signoff(actor=engineering, validation=validation, as_role="engineering",
                              expected_version=validation.version)
    services.recovery_signoff(actor=compliance, validation=validation, as_role="compliance",
                              expected_version=validation.version)
    return validation
