"""Optimistic locking over HTTP: the ETag carries the version, changes name the version they were based on
(body `version` or If-Match), a change without one is refused with 428 and a stale one with 409 naming who changed
the incident and when. Transitions refused by the lifecycle get a 400 naming the allowed next states."""

import pytest

from incidents import services
from incidents.tests.api.conftest import incident_url
from portal.core import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder(client_for):
    return client_for("responder")


def reload(incident):
    incident.refresh_from_db()
    return incident


def test_the_detail_carries_its_version_as_etag(responder, incident):
    response = responder.get(incident_url(incident))
    assert response.status_code == 200
    assert response["ETag"] == '"1"' and response.json()["version"] == 1
    assert "ETag" not in responder.get("/api/v1/incidents/")  # a list has no single version


def test_a_stale_patch_is_refused_with_409_naming_who_changed_it_and_when(responder, incident, role_users):
    services.incident_update(actor=role_users[roles.COMPLIANCE_OFFICER], incident=incident, title="Renamed")

    response = responder.patch(incident_url(incident), {"summary": "My analysis", "version": 1}, format="json")

    assert response.status_code == 409
    message = response.json()["detail"]
    assert "changed by compliance at" in message and "now version 2" in message and "version 1" in message
    assert (reload(incident).summary, incident.version) == ("", 2)


def test_a_patch_without_any_version_is_refused_with_428_and_nothing_changes(responder, incident):
    rows = incident.history.count()
    response = responder.patch(incident_url(incident), {"summary": "Blind overwrite"}, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert (reload(incident).summary, incident.version) == ("", 1)
    assert incident.history.count() == rows


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "1"])
def test_if_match_with_the_etag_works_instead_of_a_body_version(responder, incident, header):
    response = responder.patch(incident_url(incident), {"summary": "Analysis"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"' and reload(incident).summary == "Analysis"


def test_a_stale_if_match_gets_409(responder, incident, role_users):
    etag = responder.get(incident_url(incident))["ETag"]
    services.incident_note(actor=role_users["admin"], incident=incident, text="Notes do not change the version.")
    first = responder.patch(incident_url(incident), {"summary": "A"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    response = responder.patch(incident_url(incident), {"summary": "B"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 409 and "changed by responder" in response.json()["detail"]


def test_a_body_version_and_an_if_match_that_disagree_are_refused(responder, incident):
    response = responder.patch(incident_url(incident), {"summary": "A", "version": 1}, format="json",
                               HTTP_IF_MATCH='"2"')
    assert response.status_code == 400 and set(response.json()) == {"version"}


@pytest.mark.parametrize(("header", "status"), [("*", 428), ('"abc"', 400), ('"1", "2"', 400)])
def test_an_if_match_that_names_no_single_version_is_refused(responder, incident, header, status):
    response = responder.patch(incident_url(incident), {"summary": "A"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == status
    assert reload(incident).version == 1


def test_a_transition_needs_the_version_too(responder, incident):
    url = incident_url(incident, "transition/")
    assert responder.post(url, {"to": "triaged"}, format="json").status_code == 428
    assert responder.post(url, {"to": "triaged"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    stale = responder.post(url, {"to": "contained", "version": 1}, format="json")
    assert stale.status_code == 409 and "changed by responder" in stale.json()["detail"]
    assert reload(incident).status == "triaged"


def test_a_transition_the_lifecycle_refuses_gets_400_naming_the_allowed_states(responder, incident):
    response = responder.post(incident_url(incident, "transition/"), {"to": "closed", "version": 1}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"to"}
    message = response.json()["to"][0]
    assert "cannot go from detected to closed" in message and "allowed next states: triaged, dismissed" in message
    assert reload(incident).status == "detected"


def test_dismissing_needs_a_note_saying_why(responder, incident):
    url = incident_url(incident, "transition/")
    response = responder.post(url, {"to": "dismissed", "version": 1}, format="json")
    assert response.status_code == 400 and "why this is not an incident" in response.json()["to"][0]
    response = responder.post(url, {"to": "dismissed", "note": "Red-team exercise.", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert response.json()["sla_state"] is None and response.json()["allowed_transitions"] == []


def test_an_unknown_target_status_is_refused_naming_to(responder, incident):
    response = responder.post(incident_url(incident, "transition/"), {"to": "solved", "version": 1}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"to"}
