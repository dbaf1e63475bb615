"""Disclosure decisions over the API: a compliance officer records them, a legal reviewer (someone else) approves
or returns them, changes name the version they were based on, and the privileged analysis is only ever shown to
compliance officers and legal reviewers."""

import json

import pytest

from portal.core import roles
from portal.tests.factories import make_user
from reporting import services
from reporting.models import DisclosureDecision
from reporting.tests.api.conftest import (
    AUDITOR,
    COMPLIANCE,
    LEADERSHIP,
    LEGAL,
    RESPONDER,
    decision_url,
    errors,
    patch,
    post,
)

pytestmark = pytest.mark.django_db
SECRET = "Counsel: the encryption claim may not hold up."


def payload(incident, **fields):
    return {"incident": incident.reference, "audience": "regulator", "decision": "do_not_disclose",
            "rationale": "The leaked records were encrypted with keys that were not exposed.",
            "legal_basis": "GDPR Art. 33(1): unlikely to result in a risk", "privileged_analysis": SECRET,
            **fields}


@pytest.fixture
def decision(compliance, breach):
    return services.disclosure_record(actor=compliance, **{**payload(breach), "incident": breach})


def reload(decision):
    return DisclosureDecision.objects.get(pk=decision.pk)


def test_a_compliance_officer_records_a_decision_awaiting_approval(client_as, breach, notification):
    response = post(client_as(COMPLIANCE), decision_url(), payload(breach, obligation=notification.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["decided_by_username"], body["incident"], body["obligation"]) == (
        "proposed", "compliance", breach.reference, notification.pk)
    assert body["is_gdpr_33_5_record"] is True and body["privileged_analysis"] == SECRET
    assert response["ETag"] == '"1"'


def test_recording_a_decision_breaking_the_service_rules_is_a_400_naming_the_fields(client_as, breach):
    response = post(client_as(COMPLIANCE), decision_url(),
                    payload(breach, audience="public", decision="disclose", shareable_summary=""))
    assert errors(response) == {"shareable_summary"}
    response = post(client_as(COMPLIANCE), decision_url(), payload(breach, decision="defer"))
    assert errors(response) == {"revisit_by"}
    assert not DisclosureDecision.objects.exists()


@pytest.mark.parametrize("role", [RESPONDER, LEGAL, LEADERSHIP, AUDITOR])
def test_only_compliance_officers_record_decisions(client_as, breach, role):
    assert post(client_as(role), decision_url(), payload(breach)).status_code == 403


@pytest.mark.parametrize("action", ["approve/", "return/"])
def test_a_compliance_officer_cannot_approve_or_return(client_as, decision, action):
    response = post(client_as(COMPLIANCE), decision_url(decision, action), {"version": decision.version,
                                                                             "note": "Fine by me."})
    assert response.status_code == 403
    assert reload(decision).status == "proposed"


@pytest.mark.parametrize("role", [LEGAL, LEADERSHIP, AUDITOR, RESPONDER])
def test_only_compliance_officers_change_a_decision(client_as, decision, role):
    response = patch(client_as(role), decision_url(decision), {"rationale": "Other.", "version": 1})
    assert response.status_code == 403
    assert reload(decision).rationale != "Other."


def test_a_legal_reviewer_approves_with_a_note(client_as, decision):
    response = post(client_as(LEGAL), decision_url(decision, "approve/"),
                    {"version": decision.version, "note": "Agreed."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["approved_by_username"], body["review_note"]) == ("approved", "legal", "Agreed.")
    assert response["ETag"] == f'"{body["version"]}"'


def test_the_person_who_decided_cannot_approve_even_holding_both_roles(client_as, breach):
    from django.test import Client

    both = make_user("both", roles.COMPLIANCE_OFFICER)
    both.groups.add(*both.groups.model.objects.filter(name=roles.LEGAL_REVIEWER))
    client = Client()
    client.force_login(both)
    decision = post(client, decision_url(), payload(breach)).json()

    response = post(client, decision_url(decision["id"], "approve/"), {"version": decision["version"]})

    assert response.status_code == 400
    assert "second person" in json.dumps(response.json())
    assert DisclosureDecision.objects.get(pk=decision["id"]).status == "proposed"


def test_approving_needs_the_version_read(client_as, compliance, decision):
    client = client_as(LEGAL)
    assert post(client, decision_url(decision, "approve/")).status_code == 428
    services.disclosure_update(actor=compliance, decision=decision, rationale="Reworded after review.")
    assert post(client, decision_url(decision, "approve/"), {"version": 1}).status_code == 409
    assert reload(decision).status == "proposed"


def test_a_legal_reviewer_returns_a_decision_with_a_note_and_compliance_changes_it(client_as, decision):
    legal = client_as(LEGAL)
    assert errors(post(legal, decision_url(decision, "return/"), {"version": decision.version})) == {"note"}
    response = post(legal, decision_url(decision, "return/"),
                    {"version": decision.version, "note": "Cite the key-management evidence."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"

    compliance = client_as(COMPLIANCE)
    url = decision_url(decision)
    assert patch(compliance, url, {"rationale": "Keys held in an HSM (evidence E-4)."}).status_code == 428
    response = patch(compliance, url, {"rationale": "Keys held in an HSM (evidence E-4)."},
                     headers={"If-Match": compliance.get(url)["ETag"]})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rationale"]) == ("proposed",
                                                                         "Keys held in an HSM (evidence E-4).")


def test_a_stale_patch_is_a_409_and_an_approved_decision_is_final(client_as, role_users, decision):
    compliance = client_as(COMPLIANCE)
    response = patch(compliance, decision_url(decision), {"legal_basis": "GDPR Art. 33(1)", "version": 7})
    assert response.status_code == 409

    services.disclosure_approve(actor=role_users[LEGAL], decision=decision, expected_version=decision.version)
    response = patch(compliance, decision_url(decision), {"legal_basis": "GDPR Art. 33(1)",
                                                          "version": reload(decision).version})
    assert response.status_code == 400 and "final" in json.dumps(response.json())


def test_the_incident_of_a_decision_cannot_be_changed(client_as, compliance, decision):
    from reporting.tests.factories import breach_incident

    other = breach_incident(compliance, jurisdictions=("FR",))
    response = patch(client_as(COMPLIANCE), decision_url(decision),
                     {"incident": other.reference, "version": decision.version})
    assert errors(response) == {"incident"}


@pytest.mark.parametrize("role", [LEADERSHIP, AUDITOR, RESPONDER])
def test_the_privileged_analysis_is_absent_for_roles_outside_compliance_and_legal(client_as, decision, role):
    client = client_as(role)
    detail = client.get(decision_url(decision))
    listed = client.get(decision_url())
    assert detail.status_code == listed.status_code == 200
    assert "privileged_analysis" not in detail.json()
    assert all("privileged_analysis" not in row for row in listed.json()["results"])
    assert SECRET not in detail.content.decode() and SECRET not in listed.content.decode()


@pytest.mark.parametrize("role", [LEGAL, COMPLIANCE, "admin"])
def test_the_privileged_analysis_is_shown_to_compliance_and_legal(client_as, decision, role):
    client = client_as(role)
    assert client.get(decision_url(decision)).json()["privileged_analysis"] == SECRET
    assert client.get(decision_url()).json()["results"][0]["privileged_analysis"] == SECRET


def test_the_answer_to_a_legal_reviewers_approval_carries_the_privileged_analysis(client_as, decision):
    response = post(client_as(LEGAL), decision_url(decision, "approve/"), {"version": decision.version})
    assert response.json()["privileged_analysis"] == SECRET


def test_the_decision_list_filters_by_incident_status_audience_and_decision(client_as, compliance, breach,
                                                                             decision):
    services.disclosure_record(actor=compliance, **{**payload(breach, audience="aiid", decision="disclose",
                                                              shareable_summary="A summary."), "incident": breach})
    client = client_as(AUDITOR)

    def count(query):
        response = client.get(decision_url() + f"?{query}")
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count(f"incident={breach.reference}") == 2
    assert count("incident=AIIR-1999-0001") == 0
    assert count("audience=aiid") == 1 and count("decision=do_not_disclose") == 1
    assert count("status=proposed") == 2 and count("status=approved") == 0
