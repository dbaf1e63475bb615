"""The incident list, add and change pages: what they show, and that admin writes go through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, TimelineEvent
from incidents.tests.admin.helpers import admin_url, form_data, page_text
from incidents.tests.factories import open_incident
from portal.core import roles

Kind = TimelineEvent.Kind


def _latest_event(incident, kind):
    return TimelineEvent.objects.filter(incident=incident, kind=kind).order_by("-id").first()


def test_adding_an_incident_in_the_admin_opens_it_through_the_service(client_as, responder, scene):
    client = client_as(roles.INCIDENT_RESPONDER)
    data = form_data(client.get(admin_url("incident", "add")))
    data.update(title="Agent wired money twice", track="safety", incident_class="agent_runaway",
                intent="unintentional", severity="p0", detection_source="monitoring", source_reference="PD-991",
                commander=str(responder.pk), systems=[str(scene.system.pk)], harms=["financial_loss"],
                atlas_techniques=["AML.T0051"], owasp_risks=["LLM06:2025"],
                jurisdictions=[str(scene.system.jurisdictions.get(code="DE").pk)])

    response = client.post(admin_url("incident", "add"), data)

    assert response.status_code == 302, page_text(response)
    incident = Incident.objects.get(title="Agent wired money twice")
    assert incident.reference.startswith(f"AIIR-{incident.detected_at.year}-")
    assert incident.aware_at == incident.detected_at  # the service's default
    assert incident.acknowledge_due_at == incident.detected_at + timedelta(minutes=15)
    assert list(incident.systems.all()) == [scene.system]
    assert list(incident.atlas_techniques.values_list("id", flat=True)) == ["AML.T0051"]
    assert list(incident.jurisdictions.values_list("code", flat=True)) == ["DE"]
    assert (incident.commander, incident.harms) == (responder, ["financial_loss"])
    assert incident.checklist.exists()  # the agent-runaway runbook, copied by the service
    record = incident.history.earliest("history_date")
    assert (record.history_user, record.history_source) == (responder, "admin")
    opened = _latest_event(incident, Kind.OPENED)
    assert (opened.actor, opened.source) == (responder, "admin")


def test_a_form_error_names_the_field_and_opens_nothing(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    data = form_data(client.get(admin_url("incident", "add")))
    data.update(title="Backwards", track="security", incident_class="jailbreak", severity="p2",
                financial_loss="1000")

    response = client.post(admin_url("incident", "add"), data)

    assert response.status_code == 200
    assert "A financial loss needs its currency (ISO 4217, e.g. EUR)." in page_text(response)
    assert not Incident.objects.filter(title="Backwards").exists()


def test_a_change_in_the_admin_leaves_history_naming_the_user_and_a_timeline_event(client_as, compliance, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("incident", "change", scene.incident.pk)
    data = form_data(client.get(url))
    data.update(severity="p0", users_affected="1200", scope="systemic")

    response = client.post(url, data)

    assert response.status_code == 302, page_text(response)
    incident = Incident.objects.get()
    assert (incident.severity, incident.users_affected, incident.version) == ("p0", 1200, 2)
    record = incident.history.latest("history_date")
    assert (record.severity, record.history_user, record.history_source) == ("p0", compliance, "admin")
    updated = _latest_event(incident, Kind.UPDATED)
    assert (updated.actor, updated.source) == (compliance, "admin")
    assert set(updated.payload["fields"]) >= {"severity", "users_affected", "scope"}
    assert _latest_event(incident, Kind.SEVERITY_CHANGE).summary == "Severity P1 -> P0"


def test_an_unchanged_submission_writes_nothing(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("incident", "change", scene.incident.pk)
    events, records = TimelineEvent.objects.count(), Incident.history.count()

    response = client.post(url, form_data(client.get(url)))

    assert response.status_code == 302, page_text(response)
    assert (TimelineEvent.objects.count(), Incident.history.count()) == (events, records)
    assert Incident.objects.get().version == 1


def test_the_change_page_shows_sla_targets_metrics_readiness_and_the_timeline(client_as, responder, scene):
    services.incident_transition(actor=responder, incident=scene.incident, to="triaged", note="Looking at it.")

    response = client_as(roles.AUDITOR).get(admin_url("incident", "change", scene.incident.pk))

    text = page_text(response)
    assert "AIIR-" in text and "Triaged" in text
    assert "sla-met" in text or "sla-missed" in text  # acknowledged two hours after detection: met late
    assert "Met late" in text and "sla-on_track" in text  # containment (24 h) is on track
    assert "MTTA" in text and "2 h 00 min" in text
    assert "Support bot" in text and "OFF" in text  # the system logs no inferences
    timeline = " ".join(text[text.index('class="incident-timeline"'):].split())
    assert timeline.index("opened: P1") < timeline.index("Detected -> Triaged")  # newest last
    assert "<td>Detected -> Triaged: Looking at it.</td> <td>responder</td> <td>Service</td>" in timeline


def test_the_list_shows_sla_labels_systems_and_commander(client_as, scene):
    response = client_as(roles.LEADERSHIP).get(admin_url("incident", "changelist"))

    text = page_text(response)
    row = response.context["cl"].result_list[0]
    assert row.sla_state == "breached"  # P1 not acknowledged two hours after detection
    assert 'class="sla-state sla-breached"' in text and "Breached" in text
    assert "Support bot" in text and "responder" in text and row.reference in text


def _incident(actor, title, *, severity="p1", minutes_ago=0, **fields):
    detected = timezone.now().replace(microsecond=0) - timedelta(minutes=minutes_ago)
    return open_incident(actor, title=title, severity=severity, detected_at=detected, **fields)


def test_the_sla_filter_returns_the_incidents_in_each_state(client_as, compliance, scene):
    _incident(compliance, "Due soon", minutes_ago=50)  # P1: acknowledge within 60 min, due soon after 45
    _incident(compliance, "On track", severity="p2", minutes_ago=10)
    met = _incident(compliance, "All met", minutes_ago=30)
    now = timezone.now()
    services.incident_update(actor=compliance, incident=met, acknowledged_at=now, contained_at=now, recovered_at=now)
    dismissed = _incident(compliance, "Not an incident", minutes_ago=300)
    services.incident_transition(actor=compliance, incident=dismissed, to="dismissed", note="A test alert.")
    client, url = client_as(roles.LEADERSHIP), admin_url("incident", "changelist")

    titles = {state: sorted(i.title for i in client.get(f"{url}?sla={state}").context["cl"].result_list)
              for state in ("breached", "due_soon", "on_track", "met")}

    assert titles == {"breached": ["Prompt injection in the support bot"], "due_soon": ["Due soon"],
                      "on_track": ["On track"], "met": ["All met"]}


def test_the_list_filters_by_affected_system_and_searches_references(client_as, compliance, scene):
    other = _incident(compliance, "Elsewhere")
    client, url = client_as(roles.AUDITOR), admin_url("incident", "changelist")

    by_system = client.get(f"{url}?system={scene.system.pk}").context["cl"].result_list
    by_reference = client.get(f"{url}?q={other.reference}").context["cl"].result_list

    assert [i.title for i in by_system] == ["Prompt injection in the support bot"]
    assert [i.title for i in by_reference] == ["Elsewhere"]


@pytest.mark.parametrize(("model_name", "field", "term", "expected"), [
    ("incident", "atlas_techniques", "prompt injection", "AML.T0051 LLM Prompt Injection"),
    ("incident", "owasp_risks", "injection", "LLM01:2025 Prompt Injection"),
    ("incident", "commander", "respond", "responder"),
    ("containmentaction", "target_system", "support", "Support bot"),
])
def test_responders_search_what_they_classify_assign_and_contain(client_as, scene, model_name, field, term,
                                                                 expected):
    query = f"?app_label=incidents&model_name={model_name}&field_name={field}&term={term}"

    response = client_as(roles.INCIDENT_RESPONDER).get("/admin/autocomplete/" + query)

    assert response.status_code == 200
    assert expected in [r["text"] for r in response.json()["results"]]


def test_history_can_be_read_but_not_reverted_from_the_admin(client_as, compliance, scene):
    services.incident_update(actor=compliance, incident=scene.incident, title="Renamed")
    record = scene.incident.history.earliest("history_date")
    version_url = reverse("admin:incidents_incident_simple_history", args=[scene.incident.pk, record.history_id])
    client = client_as(roles.COMPLIANCE_OFFICER)

    history = client.get(admin_url("incident", "history", scene.incident.pk))
    page = client.get(version_url)
    refused = client.post(version_url, {"title": "Reverted"})

    assert history.status_code == 200 and "compliance" in page_text(history)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert refused.status_code == 403
    assert Incident.objects.get().title == "Renamed"


def _sections(response) -> set[str]:
    return {inline.formset.model._meta.model_name for inline in response.context["inline_admin_formsets"]}


def _checklist_phases(response) -> set[str]:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == "checklistitem":
            return {form.instance.phase for form in inline.formset.forms}
    return set()


def test_a_new_incident_shows_its_current_phase_and_not_the_recovery_or_review_forms(client_as, scene):
    response = client_as(roles.INCIDENT_RESPONDER).get(admin_url("incident", "change", scene.incident.pk))

    sections = _sections(response)
    assert "recoveryvalidation" not in sections and "postincidentreview" not in sections
    assert {"containmentaction", "evidence", "checklistitem"} <= sections
    assert _checklist_phases(response) <= {"detect", "triage"}
    assert scene.incident.checklist.exclude(phase__in=["detect", "triage"]).exists()  # later steps: not yet shown
    assert "appear when the incident reaches them" in page_text(response)


def test_the_recovery_and_review_sections_appear_when_the_incident_reaches_them(client_as, compliance, scene):
    incident = scene.incident
    for status in ("triaged", "contained", "investigating", "recovering"):
        incident = services.incident_transition(actor=compliance, incident=incident, to=status)
    client = client_as(roles.INCIDENT_RESPONDER)

    recovering = client.get(admin_url("incident", "change", incident.pk))

    assert "recoveryvalidation" in _sections(recovering) and "postincidentreview" not in _sections(recovering)
    assert _checklist_phases(recovering) == {"detect", "triage", "contain", "investigate", "recover"} & set(
        incident.checklist.values_list("phase", flat=True))
    assert "review" not in _checklist_phases(recovering)
