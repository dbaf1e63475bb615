"""The AI Incident Database export: the submission shape, sanitized, with the approved shareable summary."""

import json

import pytest

from inventory.tests.factories import ComponentFactory
from portal.core import roles
from reporting import services
from reporting.exports import aiid_submission
from reporting.tests.factories import breach_incident, high_risk_system

pytestmark = pytest.mark.django_db

SECRET = "privileged: counsel thinks we were negligent"


def test_export_has_the_aiid_shape_and_no_privileged_fields(role_users, compliance):
    system = high_risk_system(affected_populations="job applicants, recruiters")
    model = ComponentFactory(name="screening-model", supplier="Acme Models")
    incident = breach_incident(compliance, systems=[system], components=[model], summary="Internal summary.",
                               responsibility_notes="Internal blame notes", deaths=0)
    decision = services.disclosure_record(
        actor=compliance, incident=incident, audience="aiid", decision="disclose", rationale="Transparency.",
        legal_basis="Voluntary disclosure", shareable_summary="A screening model leaked applicant data.",
        privileged_analysis=SECRET)
    services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                expected_version=decision.version)

    export = aiid_submission(incident)
    assert export["date"] == "2026-09-02"
    assert export["title"] == incident.title
    assert export["description"] == "A screening model leaked applicant data."
    assert export["AllegedDeployerOfAISystem"] == ["example-organisation"]
    assert export["AllegedDeveloperOfAISystem"] == ["acme-models", "example-organisation"]
    assert export["AllegedHarmedOrNearlyHarmedParties"] == ["job-applicants", "recruiters"]
    assert export["classifications"]["MIT"]["Risk Domain"] == "2. Privacy & Security"
    assert export["submission"]["disclosure_approved"] is True
    text = json.dumps(export)
    for private in (SECRET, "Internal blame notes", "Internal summary.", compliance.username):
        assert private not in text


def test_without_an_approved_disclosure_the_export_says_so(compliance):
    incident = breach_incident(compliance, summary="What happened.")
    export = aiid_submission(incident)
    assert export["submission"]["disclosure_approved"] is False
    assert export["description"] == "What happened."
