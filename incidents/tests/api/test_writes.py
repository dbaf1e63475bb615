"""Writes through the incident API go through the services: history rows naming the user with the API as source,
and timeline events with that actor, whether the request signed in with a session or a token."""

from datetime import UTC, datetime

import pytest

from incidents.models import Incident, TimelineEvent
from incidents.tests.api.conftest import API, field_errors, incident_url
from incidents.tests.factories import open_incident

pytestmark = pytest.mark.django_db

AUTH = ["session", "token"]


def new_incident_payload(inventory, taxonomy):
    return {
        "title": "Support bot leaks other customers' tickets", "track": "safety", "incident_class": "data_leakage",
        "severity": "p0", "systems": [inventory.system.slug], "components": [inventory.model.pk],
        "atlas_techniques": [taxonomy.technique.pk], "owasp_risks": [taxonomy.risk.pk],
        "jurisdictions": ["de", "FR"], "detected_at": "2026-03-02T09:00:00Z", "occurred_at": "2026-03-02T08:30:00Z",
        "personal_data_involved": True, "harms": ["privacy"], "summary": "Tickets of other customers quoted.",
    }


def sources_and_users(incident):
    return {(row.history_user, row.history_source) for row in incident.history.all()}


@pytest.mark.parametrize("auth", AUTH)
@pytest.mark.parametrize("role", ["compliance", "responder"])
def test_opening_an_incident_leaves_history_and_an_opened_event_naming_the_user(client_for, inventory, taxonomy,
                                                                                 role, auth):
    client = client_for(role, auth=auth)
    response = client.post(f"{API}incidents/", new_incident_payload(inventory, taxonomy), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("AIIR-2026-") and body["status"] == "detected" and body["version"] == 1
    assert response["ETag"] == '"1"'
    assert (body["systems"], body["components"], body["jurisdictions"]) == (
        ["support-bot"], [inventory.model.pk], ["DE", "FR"])
    assert (body["atlas_techniques"], body["owasp_risks"]) == (["AML.T0051"], ["LLM01:2025"])
    assert body["sla"][0] == {"target": "acknowledge", "due_at": "2026-03-02T09:15:00Z", "met_at": None,
                              "state": "breached"}
    assert body["metrics"]["mttd"] == 1800.0
    incident = Incident.objects.get(reference=body["reference"])
    # The row and the many-to-many values set after it: same user, same source.
    assert sources_and_users(incident) == {(client.user, "api")}
    event = incident.timeline.get(kind="opened")
    assert (event.kind, event.actor, event.source) == ("opened", client.user, "api")
    # Opening also recomputed the regulatory obligations: every event names the same user.
    assert all(e.actor == client.user for e in incident.timeline.all())


@pytest.mark.parametrize("auth", AUTH)
def test_changing_facts_leaves_history_and_events_naming_the_user(client_for, incident, auth):
    client = client_for("responder", auth=auth)
    response = client.patch(incident_url(incident), {"severity": "p0", "users_affected": 120, "version": 1},
                            format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["severity"], response.json()["version"], response["ETag"]) == ("p0", 2, '"2"')
    row = incident.history.first()
    assert (row.history_type, row.history_user, row.history_source, row.severity, row.users_affected) == (
        "~", client.user, "api", "p0", 120)
    kinds = list(incident.timeline.filter(actor=client.user).values_list("kind", "source"))
    assert kinds == [("severity_change", "api"), ("updated", "api")]


def test_changing_systems_techniques_and_jurisdictions_leaves_history_naming_the_user(client_for, incident,
                                                                                      inventory, taxonomy):
    client = client_for("responder", auth="token")
    response = client.patch(incident_url(incident), {
        "components": [inventory.model.pk], "atlas_techniques": [taxonomy.technique.pk], "jurisdictions": ["it"],
    }, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["components"], body["atlas_techniques"], body["jurisdictions"], body["version"]) == (
        [inventory.model.pk], ["AML.T0051"], ["IT"], 2)
    assert incident.timeline.get(kind="updated").payload == {"fields": ["components", "atlas_techniques",
                                                                         "jurisdictions"]}
    new_rows = incident.history.filter(history_user=client.user)
    assert new_rows.exists() and {r.history_source for r in new_rows} == {"api"}


@pytest.mark.parametrize("auth", AUTH)
def test_a_transition_stamps_the_time_and_records_the_status_change_by_the_user(client_for, incident, auth):
    client = client_for("responder", auth=auth)
    response = client.post(incident_url(incident, "transition/"),
                           {"to": "triaged", "note": "Confirmed with the logs.", "version": 1}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["version"], response["ETag"]) == ("triaged", 2, '"2"')
    assert body["acknowledged_at"] is not None and body["allowed_transitions"] == ["contained", "dismissed"]
    row = incident.history.first()
    assert (row.status, row.history_user, row.history_source) == ("triaged", client.user, "api")
    event = incident.timeline.get(kind="status_change")
    assert (event.actor, event.source, event.payload["note"]) == (client.user, "api", "Confirmed with the logs.")


def test_a_transition_may_name_when_it_happened(client_for, role_users):
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    incident = open_incident(role_users["admin"], detected_at=at.replace(hour=9))
    response = client_for("responder").post(incident_url(incident, "transition/"),
                                            {"to": "triaged", "at": at.isoformat(), "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_at"] == "2026-01-05T10:00:00Z"
    assert response.json()["metrics"]["mtta"] == 3600.0


@pytest.mark.parametrize("auth", AUTH)
def test_a_note_is_appended_to_the_timeline_with_the_user_and_needs_text(client_for, incident, auth):
    client = client_for("responder", auth=auth)
    response = client.post(incident_url(incident, "notes/"), {"text": "Vendor contacted."}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "note" and response.json()["actor_username"] == client.user.username
    event = TimelineEvent.objects.get(pk=response.json()["id"])
    assert (event.actor, event.source, event.summary) == (client.user, "api", "Vendor contacted.")

    blank = client.post(incident_url(incident, "notes/"), {"text": "   "}, format="json")
    assert blank.status_code == 400 and set(blank.json()) == {"text"}


def test_an_incident_is_neither_deleted_nor_replaced_wholesale(client_for, incident):
    client = client_for("admin")  # holds every permission: the method itself is refused
    assert client.delete(incident_url(incident)).status_code == 405
    assert client.put(incident_url(incident), {"title": "x", "version": 1}, format="json").status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_the_status_is_not_changed_by_patch(client_for, incident):
    response = client_for("compliance").patch(incident_url(incident), {"status": "closed", "version": 1},
                                              format="json")
    assert response.status_code == 200  # read-only field: ignored, not applied
    incident.refresh_from_db()
    assert (incident.status, incident.version) == ("detected", 1)


def test_bad_facts_are_refused_naming_the_field_and_nothing_is_written(client_for, inventory):
    client = client_for("compliance")
    response = client.post(f"{API}incidents/", {
        "title": "Drift", "track": "safety", "incident_class": "model_drift", "severity": "p2",
        "systems": ["no-such-system"], "jurisdictions": ["XX"],
    }, format="json")
    assert field_errors(response) == {"systems"} and "no-such-system" in str(response.json())
    base = {"title": "Drift", "track": "safety", "incident_class": "model_drift", "severity": "p2"}
    response = client.post(f"{API}incidents/", {**base, "jurisdictions": ["DE", "XX"]}, format="json")
    assert field_errors(response) == {"jurisdictions"} and "XX" in response.json()["jurisdictions"][0]
    response = client.post(f"{API}incidents/", {**base, "occurred_at": "2026-03-02T10:00:00Z",
                                                "detected_at": "2026-03-02T09:00:00Z"}, format="json")
    assert "detected_at" in field_errors(response) and "before occurred at" in response.json()["detected_at"][0]
    assert not Incident.objects.exists() and not TimelineEvent.objects.exists()
