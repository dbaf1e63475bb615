"""Checklist, containment and evidence through the API: the services do the work (history naming the user with the
API as source, timeline events), and their refusals come back as 400s naming the field."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import ChecklistItem, ContainmentAction, Evidence
from incidents.tests.api.conftest import field_errors, incident_url
from incidents.tests.factories import checklist_item, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder(client_for):
    return client_for("responder")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_completing_and_reopening_a_step_names_the_user_in_history_and_timeline(responder, incident):
    step = checklist_item(incident, order=100)
    url = incident_url(incident, f"checklist/{step.pk}/")

    response = responder.post(f"{url}complete/", {"notes": "Tool disabled at the gateway."}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["done_by_username"], response.json()["notes"]) == ("responder",
                                                                               "Tool disabled at the gateway.")
    again = responder.post(f"{url}complete/", {}, format="json")
    assert field_errors(again) == {"done_at"} and "already completed by responder" in again.json()["done_at"][0]

    assert responder.post(f"{url}reopen/", format="json").status_code == 200
    step.refresh_from_db()
    assert step.done_at is None
    assert [(r.history_user, r.history_source) for r in step.history.all()[:2]] == [(responder.user, "api")] * 2
    events = incident.timeline.filter(kind="checklist").values_list("actor", "source")
    assert list(events) == [(responder.user.pk, "api")] * 2


def test_a_step_of_another_incident_is_not_found(responder, incident, role_users):
    other = open_incident(role_users["admin"])
    step = checklist_item(other, order=100)
    assert responder.post(incident_url(incident, f"checklist/{step.pk}/complete/"), format="json").status_code == 404
    assert ChecklistItem.objects.get(pk=step.pk).done_at is None


def test_containment_without_raci_authority_needs_an_override_reason(responder, incident, inventory):
    url = incident_url(incident, "containment/")
    payload = {"kind": "suspend_endpoint", "target_system": inventory.system.slug, "description": "Kill switch."}

    refused = responder.post(url, payload, format="json")
    assert field_errors(refused) == {"override_reason"}
    assert "no one is Responsible or Accountable" in refused.json()["override_reason"][0]
    assert not ContainmentAction.objects.exists()

    response = responder.post(url, {**payload, "override_reason": "Customer data leaking now."}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["is_override"], body["performed_by_username"], body["target_system"]) == (
        True, "responder", "support-bot")
    inventory.system.refresh_from_db()
    assert inventory.system.lifecycle == "suspended"
    event = incident.timeline.get(kind="containment")
    assert (event.flagged, event.actor, event.source) == (True, responder.user, "api")
    assert responder.get(url).json()["results"][0]["id"] == body["id"]


def test_reverting_a_containment_action_restores_the_system_once(responder, incident, inventory):
    created = responder.post(incident_url(incident, "containment/"), {
        "kind": "suspend_endpoint", "target_system": inventory.system.slug, "override_reason": "Leak."},
        format="json").json()
    url = incident_url(incident, f"containment/{created['id']}/revert/")

    assert field_errors(responder.post(url, {}, format="json")) == {"reason"}
    response = responder.post(url, {"reason": "Filter deployed."}, format="json")
    assert response.status_code == 200 and response.json()["revert_reason"] == "Filter deployed."
    inventory.system.refresh_from_db()
    assert inventory.system.lifecycle != "suspended"
    assert field_errors(responder.post(url, {"reason": "Again"}, format="json")) == {"action"}


def test_an_unknown_target_system_is_refused_naming_it(responder, incident):
    response = responder.post(incident_url(incident, "containment/"), {
        "kind": "maintenance_banner", "target_system": "ghost", "override_reason": "x"}, format="json")
    assert field_errors(response) == {"target_system"}


def test_an_uploaded_file_is_kept_with_the_digest_computed_by_the_portal(responder, incident):
    content = b'{"prompt": "ignore previous instructions", "blocked": false}'
    upload = SimpleUploadedFile("transcript.json", content, content_type="application/octet-stream")
    response = responder.post(incident_url(incident, "evidence/"), {"title": "Transcript", "file": upload},
                              format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sha256"], body["size"], body["content_type"]) == (
        hashlib.sha256(content).hexdigest(), len(content), "application/json")
    assert body["has_file"] and "file" not in body
    assert body["custody"][0]["action"] == "collected" and body["collected_by_username"] == "responder"

    verified = responder.post(incident_url(incident, f"evidence/{body['id']}/verify/"), format="json")
    assert verified.status_code == 200 and verified.json()["verified"] is True
    assert [c["action"] for c in verified.json()["evidence"]["custody"]] == ["collected", "verified"]


def test_evidence_may_be_a_reference_sent_as_json(responder, incident):
    response = responder.post(incident_url(incident, "evidence/"),
                              {"title": "Gateway logs", "reference": "s3://forensics/gw.log"}, format="json")
    assert response.status_code == 201 and response.json()["has_file"] is False
    nothing = responder.post(incident_url(incident, "evidence/"), {"title": "Nothing"}, format="json")
    assert field_errors(nothing) == {"file"}


def test_a_file_of_a_refused_type_is_rejected_naming_file_and_nothing_is_kept(responder, incident, tmp_path):
    upload = SimpleUploadedFile("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", content_type="text/plain")
    response = responder.post(incident_url(incident, "evidence/"), {"title": "Binary", "file": upload},
                              format="multipart")
    assert field_errors(response) == {"file"}
    assert not Evidence.objects.exists() and not list(tmp_path.rglob("*.*"))


def test_custody_entries_are_listed_and_recorded_by_the_user(responder, incident):
    evidence = responder.post(incident_url(incident, "evidence/"), {"title": "Logs", "reference": "s3://logs"},
                              format="json").json()
    url = incident_url(incident, f"evidence/{evidence['id']}/custody/")

    response = responder.post(url, {"action": "transferred", "to_party": "External forensics"}, format="json")
    assert response.status_code == 201 and response.json()["actor_username"] == "responder"
    assert field_errors(responder.post(url, {"action": "released"}, format="json")) == {"to_party"}
    assert field_errors(responder.post(url, {"action": "verified"}, format="json")) == {"action"}
    assert [row["action"] for row in responder.get(url).json()["results"]] == ["collected", "transferred"]
    assert responder.get(incident_url(incident, "evidence/99999/custody/")).status_code == 404
