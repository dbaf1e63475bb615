"""Recovery validation, the two-person sign-off, the post-incident review and its action items through the API,
and an incident walked from detection to closure over HTTP only."""

import pytest

from incidents.models import ActionItem, PostIncidentReview, RecoveryValidation, TimelineEvent
from incidents.tests.api.conftest import field_errors, incident_url

pytestmark = pytest.mark.django_db

PASSED = {"functional": "passed", "stress": "passed", "bias": "not_applicable", "security": "passed"}


@pytest.fixture
def responder(client_for):
    return client_for("responder")


@pytest.fixture
def compliance(client_for):
    return client_for("compliance")


def test_outcomes_are_recorded_and_updated_and_a_change_clears_the_sign_offs(responder, compliance, incident):
    created = responder.post(incident_url(incident, "validations/"), PASSED, format="json")
    assert created.status_code == 201, created.content
    url = incident_url(incident, f"validations/{created.json()['id']}/")
    assert created.json()["all_tests_passed"] is True

    signed = responder.post(f"{url}signoff/", {"as_role": "engineering", "version": created.json()["version"]},
                            format="json")
    assert signed.status_code == 200 and signed.json()["engineering_signoff_by_username"] == "responder"
    response = compliance.patch(url, {"stress": "failed", "notes": "Latency regression."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stress"], body["engineering_signoff_by"], body["all_tests_passed"]) == ("failed", None, False)
    assert field_errors(responder.patch(url, {"bias": "maybe"}, format="json")) == {"bias"}


def test_the_two_person_rule_is_enforced_naming_as_role(responder, compliance, incident):
    validation = responder.post(incident_url(incident, "validations/"), PASSED, format="json").json()
    url = incident_url(incident, f"validations/{validation['id']}/signoff/")
    wrong_role = compliance.post(url, {"as_role": "engineering", "version": 1}, format="json")
    assert field_errors(wrong_role) == {"as_role"} and "incident responder role" in wrong_role.json()["as_role"][0]
    assert field_errors(responder.post(url, {"as_role": "boss", "version": 1}, format="json")) == {"as_role"}

    signed = responder.post(url, {"as_role": "engineering", "version": 1}, format="json")
    assert signed.status_code == 200 and signed["ETag"] == '"2"'
    response = compliance.post(url, {"as_role": "compliance"}, format="json", headers={"If-Match": signed["ETag"]})
    assert response.status_code == 200 and response.json()["is_signed"] is True


def test_a_sign_off_needs_the_version_read_and_a_stale_one_is_a_409_naming_who_changed_what(
    responder, compliance, incident
):
    created = responder.post(incident_url(incident, "validations/"), PASSED, format="json").json()
    url = incident_url(incident, f"validations/{created['id']}/")
    assert responder.get(url)["ETag"] == '"1"'
    assert responder.post(f"{url}signoff/", {"as_role": "engineering"}, format="json").status_code == 428
    assert compliance.patch(url, {"notes": "Stress run on 10% of traffic only."}, format="json").status_code == 200
    validation = RecoveryValidation.objects.get(pk=created["id"])
    rows, events = validation.history.count(), TimelineEvent.objects.filter(incident=incident).count()

    stale = responder.post(f"{url}signoff/", {"as_role": "engineering", "version": 1}, format="json")

    assert stale.status_code == 409
    assert "was changed by compliance at" in stale.json()["detail"] and "(notes)" in stale.json()["detail"]
    validation.refresh_from_db()
    assert validation.engineering_signoff_by is None
    assert (validation.history.count(), TimelineEvent.objects.filter(incident=incident).count()) == (rows, events)
    fresh = responder.post(f"{url}signoff/", {"as_role": "engineering"}, format="json",
                           headers={"If-Match": responder.get(url)["ETag"]})
    assert fresh.status_code == 200 and fresh.json()["engineering_signoff_by_username"] == "responder"


def test_an_update_naming_a_stale_version_is_a_409(responder, compliance, incident):
    created = responder.post(incident_url(incident, "validations/"), PASSED, format="json").json()
    url = incident_url(incident, f"validations/{created['id']}/")
    compliance.patch(url, {"notes": "Checked."}, format="json")
    assert responder.patch(url, {"bias": "failed", "version": 1}, format="json").status_code == 409
    assert RecoveryValidation.objects.get(pk=created["id"]).bias == "not_applicable"


def test_the_review_is_absent_until_recorded_then_updated_in_place(responder, compliance, incident):
    url = incident_url(incident, "review/")
    assert responder.get(url).status_code == 404
    assert field_errors(responder.put(url, {"root_cause": " "}, format="json")) == {"root_cause"}

    created = responder.put(url, {"root_cause": "No input filter on the CRM tool.", "lessons": "Filter inputs."},
                            format="json")
    assert created.status_code == 200, created.content
    assert created.json()["reviewed_by_username"] == "responder"
    updated = compliance.put(url, {"root_cause": "No input filter on the CRM tool.", "runbook_updated": True},
                             format="json")
    assert updated.json()["runbook_updated"] is True and updated.json()["reviewed_by_username"] == "compliance"
    review = PostIncidentReview.objects.get(incident=incident)
    assert [(r.history_user, r.history_source) for r in review.history.all()] == [
        (compliance.user, "api"), (responder.user, "api")]
    assert responder.get(url).json()["lessons"] == ""  # a PUT replaces the review's text fields


def test_action_items_need_a_review_and_are_completed_once(responder, incident, role_users):
    url = incident_url(incident, "review/action-items/")
    item = {"description": "Add a regression case", "owner": role_users["admin"].pk, "due_on": "2026-12-01"}
    assert field_errors(responder.post(url, item, format="json")) == {"review"}

    responder.put(incident_url(incident, "review/"), {"root_cause": "No filter."}, format="json")
    created = responder.post(url, item, format="json")
    assert created.status_code == 201 and created.json()["owner_username"] == "admin"
    assert field_errors(responder.post(url, {**item, "owner": 99999}, format="json")) == {"owner"}
    complete = f"{url}{created.json()['id']}/complete/"
    assert responder.post(complete, format="json").json()["done_at"] is not None
    assert field_errors(responder.post(complete, format="json")) == {"done_at"}
    assert responder.get(incident_url(incident, "review/")).json()["action_items"][0]["done_at"] is not None
    assert ActionItem.objects.get().history.first().history_source == "api"


def test_an_incident_walks_from_detection_to_closure_over_the_api(responder, compliance, incident):
    def move(to, client=responder, **extra):
        version = client.get(incident_url(incident)).json()["version"]
        return client.post(incident_url(incident, "transition/"), {"to": to, "version": version, **extra},
                           format="json")

    for status in ("triaged", "contained", "investigating", "recovering"):
        assert move(status).status_code == 200, status
    refused = move("review")
    assert field_errors(refused) == {"to"} and "signed off by an engineering lead" in refused.json()["to"][0]

    validation = responder.post(incident_url(incident, "validations/"), PASSED, format="json").json()
    signoff = incident_url(incident, f"validations/{validation['id']}/signoff/")
    signed = responder.post(signoff, {"as_role": "engineering", "version": validation["version"]}, format="json")
    compliance.post(signoff, {"as_role": "compliance", "version": signed.json()["version"]}, format="json")
    assert move("review").status_code == 200
    assert "post-incident review" in move("closed").json()["to"][0]
    responder.put(incident_url(incident, "review/"), {"root_cause": "No filter."}, format="json")
    closed = move("closed", client=compliance)

    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    body = closed.json()
    assert body["sla_state"] is None and body["metrics"]["mttr"] is not None
    assert [row["state"] for row in body["sla"]] == ["met", "met", "met"]
    late = responder.post(incident_url(incident, "validations/"), PASSED, format="json")
    assert field_errors(late) == {"incident"}  # nothing more is recorded on a closed incident
