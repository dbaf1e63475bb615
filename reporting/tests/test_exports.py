"""The AI Incident Database export: the submission shape, sanitized, with the approved shareable summary; refused
without an approved decision to disclose to the AIID or the public."""

import json

import pytest
from django.core.exceptions import ValidationError

from inventory.tests.factories import ComponentFactory
from portal.core import roles
from reporting import services
from reporting.exports import NotDisclosed, aiid_submission
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
    assert export["AllegedDeployerOfAISystem"] == ["test-organisation-ltd"]  # settings_test.ORGANISATION_NAME
    assert export["AllegedDeveloperOfAISystem"] == ["acme-models", "test-organisation-ltd"]
    assert export["AllegedHarmedOrNearlyHarmedParties"] == ["job-applicants", "recruiters"]
    assert export["classifications"]["MIT"]["Risk Domain"] == "2. Privacy & Security"
    assert export["submission"]["disclosure_approved"] is True
    text = json.dumps(export)
    for private in (SECRET, "Internal blame notes", "Internal summary.", compliance.username):
        assert private not in text


def _decide(compliance, incident, *, audience="aiid", decision="disclose", summary="What may be published."):
    return services.disclosure_record(actor=compliance, incident=incident, audience=audience, decision=decision,
                                      rationale="Transparency.", legal_basis="Voluntary disclosure",
                                      shareable_summary=summary)


def _approve(role_users, decision):
    return services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                       expected_version=decision.version)


@pytest.mark.parametrize("scene", ["none", "proposed", "do_not_disclose", "returned", "regulator_only"])
def test_without_an_approved_decision_to_disclose_to_the_aiid_or_public_the_export_is_refused(
    role_users, compliance, scene
):
    incident = breach_incident(compliance, summary="Internal summary.")
    if scene == "proposed":
        _decide(compliance, incident)
    elif scene == "do_not_disclose":
        _approve(role_users, _decide(compliance, incident, decision="do_not_disclose", summary=""))
    elif scene == "returned":
        decision = _decide(compliance, incident)
        services.disclosure_return(actor=role_users[roles.LEGAL_REVIEWER], decision=decision, note="Not yet.",
                                   expected_version=decision.version)
    elif scene == "regulator_only":
        _approve(role_users, _decide(compliance, incident, audience="regulator"))

    with pytest.raises(NotDisclosed) as excinfo:
        aiid_submission(incident)

    message = excinfo.value.messages[0]
    assert incident.reference in message
    assert "no approved decision to disclose to the AI Incident Database or the public" in message
    assert "Internal summary." not in message


def test_an_approved_public_disclosure_allows_the_export_with_its_shareable_summary(role_users, compliance):
    incident = breach_incident(compliance, summary="Internal summary.")
    _approve(role_users, _decide(compliance, incident, audience="public", summary="Customer data was exposed."))
    export = aiid_submission(incident)
    assert export["description"] == "Customer data was exposed."
    assert export["submission"]["disclosure_audience"] == "public"
    assert "Internal summary." not in json.dumps(export)


def test_a_decision_to_disclose_to_the_aiid_needs_the_shareable_summary(compliance):
    incident = breach_incident(compliance)
    with pytest.raises(ValidationError) as excinfo:
        _decide(compliance, incident, summary=" ")
    assert "AI Incident Database" in excinfo.value.message_dict["shareable_summary"][0]
