"""Per incident: the AI Incident Database export (sanitized JSON, only with an approved decision to disclose to the
AIID or the public; 409 without) and the regulatory facts, whose change recomputes the incident's obligations."""

import json

import pytest

from incidents.models import Incident
from inventory.tests.factories import ComponentFactory
from reporting import services
from reporting.models import RegulatoryFacts
from reporting.tests.api.conftest import (
    AUDITOR,
    COMPLIANCE,
    LEADERSHIP,
    LEGAL,
    RESPONDER,
    errors,
    incident_url,
    put,
)
from reporting.tests.factories import breach_incident, high_risk_system

pytestmark = pytest.mark.django_db

SECRET = "Privileged: counsel thinks we were negligent."


@pytest.fixture
def disclosed(compliance, role_users):
    system = high_risk_system(affected_populations="job applicants, recruiters")
    model = ComponentFactory(name="screening-model", supplier="Acme Models")
    incident = breach_incident(compliance, systems=[system], components=[model], summary="Internal summary.",
                               responsibility_notes="Internal blame notes")
    decision = services.disclosure_record(
        actor=compliance, incident=incident, audience="aiid", decision="disclose", rationale="Transparency.",
        legal_basis="Voluntary disclosure", shareable_summary="A screening model leaked applicant data.",
        privileged_analysis=SECRET)
    services.disclosure_approve(actor=role_users[LEGAL], decision=decision, expected_version=decision.version)
    return incident


@pytest.mark.parametrize("role", [AUDITOR, LEADERSHIP, COMPLIANCE])
def test_the_aiid_export_has_the_submission_shape_and_nothing_privileged(client_as, compliance, disclosed, role):
    response = client_as(role).get(incident_url(disclosed, "aiid-export/"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"date", "title", "description", "AllegedDeployerOfAISystem",
                         "AllegedDeveloperOfAISystem", "AllegedHarmedOrNearlyHarmedParties", "implicated_systems",
                         "classifications", "submission"}
    assert body["date"] == "2026-09-02" and body["description"] == "A screening model leaked applicant data."
    assert body["AllegedDeveloperOfAISystem"] == ["acme-models", "test-organisation-ltd"]
    assert body["AllegedHarmedOrNearlyHarmedParties"] == ["job-applicants", "recruiters"]
    assert set(body["classifications"]) == {"MIT", "CSETv1", "MITRE-ATLAS", "OWASP-LLM-2025"}
    assert body["submission"]["incident_reference"] == disclosed.reference
    assert body["submission"]["disclosure_approved"] is True
    text = json.dumps(body)
    for private in (SECRET, "Internal blame notes", "Internal summary.", compliance.username, "privileged"):
        assert private not in text


@pytest.mark.parametrize("role", [AUDITOR, COMPLIANCE])
def test_the_aiid_export_without_an_approved_disclosure_is_a_409_naming_what_is_missing(client_as, compliance,
                                                                                        breach, role):
    services.disclosure_record(actor=compliance, incident=breach, audience="aiid", decision="disclose",
                               rationale="Transparency.", legal_basis="Voluntary disclosure",
                               shareable_summary="Transcripts were exposed.")  # proposed, not approved
    response = client_as(role).get(incident_url(breach, "aiid-export/"))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert breach.reference in detail
    assert "no approved decision to disclose to the AI Incident Database or the public" in detail
    assert breach.summary not in response.content.decode()


def test_the_aiid_export_of_an_unknown_incident_is_a_404(client_as):
    assert client_as(AUDITOR).get(incident_url("AIIR-1999-0001", "aiid-export/")).status_code == 404


def obligation_keys(body):
    return {row["key"] for row in body["obligations"] if row["status"] != "not_applicable"}


def test_the_facts_read_as_profile_defaults_until_recorded(client_as, breach):
    response = client_as(AUDITOR).get(incident_url(breach, "regulatory-facts/"))
    assert response.status_code == 200
    body = response.json()
    assert (body["recorded"], body["version"], body["incident"]) == (False, None, breach.reference)
    assert body["nis2_entity"] is False and "ETag" not in response
    assert obligation_keys(body) == {"gdpr.notification", "gdpr.record"}


def test_recording_nis2_facts_recomputes_the_obligations(client_as, breach):
    client = client_as(COMPLIANCE)
    url = incident_url(breach, "regulatory-facts/")
    response = put(client, url, {"nis2_entity": True, "significant_incident": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["recorded"], body["version"], body["nis2_entity"]) == (True, 1, True)
    assert response["ETag"] == '"1"'
    nis2 = {key for key in obligation_keys(body) if key.startswith("nis2.")}
    assert len(nis2) >= 2
    assert nis2 <= set(Incident.objects.get(pk=breach.pk).obligations.values_list("key", flat=True))

    response = put(client, url, {"significant_incident": False, "version": 1})
    assert response.status_code == 200, response.content
    assert not {k for k in obligation_keys(response.json()) if k.startswith("nis2.")}
    assert response.json()["nis2_entity"] is True  # a fact not sent keeps its value


def test_changing_recorded_facts_needs_the_version_read(client_as, compliance, breach):
    services.regulatory_facts_update(actor=compliance, incident=breach, risk_to_individuals="risk")
    client = client_as(COMPLIANCE)
    url = incident_url(breach, "regulatory-facts/")
    assert put(client, url, {"nis2_entity": True}).status_code == 428
    services.regulatory_facts_update(actor=compliance, incident=breach, expected_version=1, sec_registrant=True)
    response = put(client, url, {"nis2_entity": True}, headers={"If-Match": '"1"'})
    assert response.status_code == 409
    assert RegulatoryFacts.objects.get(incident=breach).nis2_entity is False


def test_an_invalid_fact_is_a_400_naming_it(client_as, breach):
    response = put(client_as(COMPLIANCE), incident_url(breach, "regulatory-facts/"),
                   {"risk_to_individuals": "catastrophic"})
    assert errors(response) == {"risk_to_individuals"}


@pytest.mark.parametrize("role", [RESPONDER, LEGAL, LEADERSHIP, AUDITOR])
def test_only_compliance_officers_record_the_facts(client_as, breach, role):
    client = client_as(role)
    url = incident_url(breach, "regulatory-facts/")
    assert client.get(url).status_code == 200
    assert put(client, url, {"nis2_entity": True}).status_code == 403
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()
