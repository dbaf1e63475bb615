"""Alert intake: a monitoring or guardrail tool opens an incident with a token, further alerts with the same dedup
key append to it (raising its severity when higher), severities are mapped, and bad payloads get 400s naming the
field. Only tokens of users who may open incidents are accepted."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from incidents import services
from incidents.api.alerts import GUARDRAIL_BLOCK, OBSERVABILITY_ALERT
from incidents.models import Incident
from incidents.services.intake import SEVERITY_ALIASES
from incidents.tests.api.conftest import field_errors
from inventory import services as inventory_services
from inventory.tests.factories import AISystemFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/alerts/"


@pytest.fixture
def tool(client_for, inventory):
    """The monitoring tool: a token of an incident responder service account."""
    return client_for("responder", auth="token")


def alert(**overrides):
    return {**OBSERVABILITY_ALERT, "observed_at": (timezone.now() - timedelta(minutes=3)).isoformat(), **overrides}


def test_an_alert_opens_an_incident_with_an_alert_event_and_history_naming_the_token_user(tool):
    payload = alert()
    response = tool.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"incident", "created"} and response.json()["created"] is True
    incident = Incident.objects.get(reference=response.json()["incident"])
    assert (incident.severity, incident.track, incident.incident_class, incident.detection_source) == (
        "p2", "safety", "harmful_output", "monitoring")
    assert incident.detected_at.isoformat() == payload["observed_at"]
    assert (incident.dedup_key, incident.source_reference) == ("support-bot:toxicity-rate",
                                                              "datadog:support-bot:toxicity-rate")
    assert list(incident.systems.values_list("slug", flat=True)) == ["support-bot"]
    assert list(incident.timeline.values_list("kind", flat=True)) == ["opened", "alert"]
    event = incident.timeline.get(kind="alert")
    assert (event.actor, event.source) == (tool.user, "api")
    assert event.payload["details"] == payload["details"] and event.payload["mapped_severity"] == "p2"
    assert {(r.history_user, r.history_source) for r in incident.history.all()} == {(tool.user, "api")}


def test_a_guardrail_block_defaults_to_detection_by_guardrail_on_the_security_track(tool, inventory):
    inventory_services.component_update(actor=None, component=inventory.model,
                                        bom_ref="pkg:huggingface/acme/support-llm@1.0")
    response = tool.post(URL, {**GUARDRAIL_BLOCK, "observed_at": timezone.now().isoformat()}, format="json")

    assert response.status_code == 201, response.content
    incident = Incident.objects.get(reference=response.json()["incident"])
    assert (incident.detection_source, incident.track, incident.severity) == ("guardrail", "security", "p1")
    assert list(incident.components.all()) == [inventory.model]
    assert incident.summary == GUARDRAIL_BLOCK["details"]


def test_without_class_and_sources_named_an_alert_opens_an_other_incident_on_the_safety_track(tool):
    payload = alert(incident_class="", source="prometheus", severity="sev2")
    response = tool.post(URL, payload, format="json")
    incident = Incident.objects.get(reference=response.json()["incident"])
    assert (incident.incident_class, incident.track, incident.detection_source, incident.severity) == (
        "other", "safety", "monitoring", "p1")


def test_an_alert_with_the_dedup_key_of_an_open_incident_is_appended_and_raises_its_severity(tool):
    first = tool.post(URL, alert(severity="warning"), format="json").json()["incident"]

    lower = tool.post(URL, alert(severity="info", details="still firing"), format="json")
    assert (lower.status_code, lower.json()) == (200, {"incident": first, "created": False})
    incident = Incident.objects.get(reference=first)
    assert (incident.severity, incident.version) == ("p2", 1)  # never lowered by an alert

    higher = tool.post(URL, alert(severity="critical", details={"value": 0.2}), format="json")
    assert (higher.status_code, higher.json()) == (200, {"incident": first, "created": False})
    incident.refresh_from_db()
    assert (incident.severity, incident.version) == ("p0", 2)
    assert incident.acknowledge_due_at == incident.detected_at + timedelta(minutes=15)  # P0 SLA now
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "opened", "alert", "alert", "alert", "severity_change", "updated"]
    change = incident.timeline.get(kind="severity_change")
    assert (change.actor, change.payload) == (tool.user, {"from": "p2", "to": "p0"})
    assert incident.history.first().history_user == tool.user
    assert Incident.objects.count() == 1


def test_an_appended_alert_adds_newly_named_systems(tool, inventory):
    other = AISystemFactory(slug="voice-bot")
    reference = tool.post(URL, alert(), format="json").json()["incident"]
    response = tool.post(URL, alert(system="", systems=["voice-bot", "support-bot"]), format="json")
    assert response.status_code == 200
    incident = Incident.objects.get(reference=reference)
    assert set(incident.systems.all()) == {other, inventory.system}
    assert incident.timeline.filter(kind="updated").get().payload == {"fields": ["systems"]}


def test_an_alert_after_the_incident_was_closed_or_dismissed_opens_a_new_one(tool, role_users):
    first = Incident.objects.get(reference=tool.post(URL, alert(), format="json").json()["incident"])
    services.incident_transition(actor=role_users["admin"], incident=first, to="dismissed", note="Test monitor.")
    response = tool.post(URL, alert(), format="json")
    assert response.status_code == 201 and response.json()["incident"] != first.reference


@pytest.mark.parametrize(("sent", "severity"), [
    ("critical", "p0"), ("P0", "p0"), ("sev1", "p0"), ("SEV-1", "p0"),
    ("high", "p1"), ("error", "p1"), ("p1", "p1"), ("sev2", "p1"),
    ("medium", "p2"), ("Warning", "p2"), ("p2", "p2"), ("sev 3", "p2"),
    ("low", "p3"), ("info", "p3"), ("p3", "p3"), ("sev4", "p3"),
])
def test_severities_of_monitoring_tools_map_to_p0_to_p3(tool, sent, severity):
    response = tool.post(URL, alert(severity=sent, dedup_key=f"key-{sent}"), format="json")
    assert response.status_code == 201, response.content
    assert Incident.objects.get(reference=response.json()["incident"]).severity == severity


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"title": None}, "title", "required"),
    ({"title": "  "}, "title", "blank"),
    ({"severity": "catastrophic"}, "severity", "accepted: critical"),
    ({"observed_at": "yesterday"}, "observed_at", "format"),
    ({"observed_at": "2026-03-02T09:00:00"}, "observed_at", "time zone"),
    ({"observed_at": "2199-01-01T00:00:00Z"}, "observed_at", "in the future"),
    ({"observed_at": "9999-12-31T23:59:59Z"}, "observed_at", "between 1970-01-01 and 2200-12-31"),
    ({"observed_at": "1969-12-31T23:59:59Z"}, "observed_at", "between 1970-01-01 and 2200-12-31"),
    ({"system": "no-such-bot"}, "system", "no-such-bot"),
    ({"system": "", "systems": ["support-bot", "ghost"]}, "systems", "ghost"),
    ({"system": ""}, "system", "Name the affected AI system"),
    ({"components": ["999999", "pkg:none"]}, "components", "999999, pkg:none"),
    ({"details": [1, 2]}, "details", "text or a JSON object"),
    ({"incident_class": "ufo"}, "incident_class", "valid choice"),
    ({"dedup_key": None}, "dedup_key", "required"),
])
def test_a_malformed_alert_is_refused_naming_the_field_and_opens_nothing(tool, overrides, field, words):
    payload = {k: v for k, v in {**alert(), **overrides}.items() if v is not None}
    response = tool.post(URL, payload, format="json")
    assert field_errors(response) == {field}
    assert words in response.json()[field][0]
    assert not Incident.objects.exists()


def test_every_problem_of_an_alert_is_named_at_once(tool):
    response = tool.post(URL, alert(severity="bad", system="ghost", details=[1]), format="json")
    assert field_errors(response) == {"severity", "system", "details"}


def test_an_observation_a_few_minutes_ahead_is_accepted_as_clock_skew(tool):
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()
    assert tool.post(URL, alert(observed_at=ahead), format="json").status_code == 201


def test_alert_intake_needs_a_token(client_for, inventory):
    assert client_for(None).post(URL, alert(), format="json").status_code == 401
    signed_in = client_for("compliance")  # a session is not enough: intake is for tools with a token
    assert signed_in.post(URL, alert(), format="json").status_code == 401
    assert client_for(None).post(URL, alert(), format="json", HTTP_AUTHORIZATION="Token nope").status_code == 401
    assert not Incident.objects.exists()


@pytest.mark.parametrize("role", ["legal", "leadership", "auditor"])
def test_a_token_of_a_read_only_role_is_refused(client_for, inventory, role):
    response = client_for(role, auth="token").post(URL, alert(), format="json")
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_compliance_officer_token_may_send_alerts_too(client_for, inventory):
    assert client_for("compliance", auth="token").post(URL, alert(), format="json").status_code == 201


def test_the_readme_severity_table_matches_the_mapping():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Alert intake", 1)[1].split("\n## ", 1)[0]
    documented = {value: portal.lower() for portal, values in re.findall(r"^\| (P[0-3]) \| (.+) \|$", section, re.M)
                  for value in re.findall(r"`([^`]+)`", values)}
    assert documented == SEVERITY_ALIASES
