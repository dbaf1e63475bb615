"""Scenes for reporting tests: incidents whose facts call for known obligations, written through the services."""

from datetime import UTC, datetime

from incidents.tests.factories import open_incident
from inventory.tests.factories import AISystemFactory

# A Wednesday in 2026 after the EU AI Act's Art. 73 applies (2026-08-02).
AWARE = datetime(2026, 9, 2, 10, 0, tzinfo=UTC)


def high_risk_system(**fields):
    values = {"risk_class": "high_risk_annex_iii", "annex_iii_area": "employment", "operator_role": "provider",
              "risk_rationale": "Screens job applicants (Annex III point 4).", **fields}
    return AISystemFactory(**values)


def breach_incident(actor, *, jurisdictions=("DE",), aware_at=AWARE, **fields):
    """A personal-data breach in `jurisdictions`: GDPR Art. 33 (72 h) and Art. 33(5) apply in the EEA."""
    values = {"detected_at": aware_at, "aware_at": aware_at, "personal_data_involved": True,
              "data_subjects_affected": 1200, "jurisdictions": list(jurisdictions),
              "incident_class": "data_leakage", **fields}
    return open_incident(actor, **values)


def keys(incident, status=None):
    obligations = incident.obligations.all()
    if status:
        obligations = obligations.filter(status=status)
    return sorted(o.key for o in obligations)
