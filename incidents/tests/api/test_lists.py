"""Filtering, search and ordering of the incident list; what the detail carries; and constant query counts of the
list endpoints (10 against 60 rows, a full page: a query per row would show)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.tests.api.conftest import API, incident_url
from incidents.tests.factories import checklist_item, open_incident
from inventory.tests.factories import AISystemFactory

pytestmark = pytest.mark.django_db

PAGE_SIZE = settings.REST_FRAMEWORK["PAGE_SIZE"]
QUERY_BUDGET = 10


@pytest.fixture
def auditor(client_for):
    return client_for("auditor")


@pytest.fixture
def incidents(role_users, inventory):
    actor, now = role_users["admin"], timezone.now()
    lab = AISystemFactory(slug="lab")
    old = open_incident(actor, title="Old drift", track="safety", incident_class="model_drift", severity="p3",
                        detected_at=datetime(2025, 6, 1, 9, tzinfo=UTC), systems=[lab])
    services.incident_transition(actor=actor, incident=old, to="dismissed", note="Expected seasonality.")
    breached = open_incident(actor, title="Prompt injection", severity="p0", systems=[inventory.system],
                             detected_at=now - timedelta(hours=1))
    fresh = open_incident(actor, title="Toxic answers", track="safety", incident_class="harmful_output",
                          severity="p2", detected_at=now - timedelta(minutes=5), systems=[inventory.system, lab])
    return {"old": old, "breached": breached, "fresh": fresh}


def titles(client, query):
    response = client.get(f"{API}incidents/?{query}")
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Toxic answers", "Prompt injection", "Old drift"]),
    ("status=dismissed", ["Old drift"]),
    ("severity=p0", ["Prompt injection"]),
    ("class=harmful_output", ["Toxic answers"]),
    ("track=security", ["Prompt injection"]),
    ("sla_state=breached", ["Prompt injection"]),
    ("sla_state=on_track", ["Toxic answers"]),
    ("system=support-bot", ["Toxic answers", "Prompt injection"]),
    ("system=lab", ["Toxic answers", "Old drift"]),
    ("open=true", ["Toxic answers", "Prompt injection"]),
    ("open=false", ["Old drift"]),
    ("detected_before=2026-01-01T00:00:00Z", ["Old drift"]),
    ("detected_after=2026-01-01T00:00:00Z&severity=p2", ["Toxic answers"]),
    ("search=prompt", ["Prompt injection"]),
    ("ordering=severity", ["Prompt injection", "Toxic answers", "Old drift"]),
    ("ordering=detected_at", ["Old drift", "Prompt injection", "Toxic answers"]),
])
def test_the_incident_list_filters_searches_and_orders(auditor, incidents, query, expected):
    assert titles(auditor, query) == expected


def test_search_finds_an_incident_by_its_reference(auditor, incidents):
    assert titles(auditor, f"search={incidents['fresh'].reference}") == ["Toxic answers"]


def test_an_unknown_filter_value_is_refused_naming_the_parameter(auditor, incidents):
    response = auditor.get(f"{API}incidents/?class=ufo")
    assert response.status_code == 400 and set(response.json()) == {"class"}


def test_list_rows_carry_sla_state_systems_and_version_but_not_the_timeline(auditor, incidents):
    rows = {r["title"]: r for r in auditor.get(f"{API}incidents/").json()["results"]}
    assert rows["Prompt injection"]["sla_state"] == "breached" and rows["Old drift"]["sla_state"] is None
    assert set(rows["Toxic answers"]["systems"]) == {"lab", "support-bot"}
    assert rows["Prompt injection"]["version"] == 1 and "timeline" not in rows["Prompt injection"]


def test_the_detail_carries_timeline_checklist_response_records_sla_targets_and_metrics(auditor, incidents,
                                                                                         role_users):
    incident, admin = incidents["breached"], role_users["admin"]
    checklist_item(incident, actor=admin, order=100)
    services.evidence_add(actor=admin, incident=incident, title="Logs", reference="s3://logs")
    services.recovery_validation_record(actor=admin, incident=incident, functional="passed")
    services.incident_transition(actor=admin, incident=incident, to="triaged")

    body = auditor.get(incident_url(incident)).json()

    assert [e["kind"] for e in body["timeline"]] == ["opened", "evidence", "recovery", "status_change"]
    assert body["checklist"][-1]["title"] == "Disable the affected tool"
    assert body["evidence"][0]["custody"][0]["action"] == "collected"
    assert body["recovery_validations"][0]["functional"] == "passed"
    assert body["containment_actions"] == [] and body["review"] is None
    sla = {row["target"]: row for row in body["sla"]}
    assert sla["acknowledge"]["state"] == "missed" and sla["contain"]["state"] in ("on_track", "due_soon")
    assert body["metrics"]["mtta"] > 3600 and body["metrics"]["mttr"] is None
    assert body["allowed_transitions"] == ["contained", "dismissed"]


def test_the_detail_runs_a_fixed_number_of_queries(auditor, incidents, role_users):
    incident, admin = incidents["fresh"], role_users["admin"]

    def add(i):
        checklist_item(incident, actor=admin, order=100 + i)
        evidence = services.evidence_add(actor=admin, incident=incident, title=f"Log {i}", reference=f"s3://{i}")
        services.custody_record(actor=admin, evidence=evidence, action="accessed")
        services.recovery_validation_record(actor=admin, incident=incident)
        services.incident_note(actor=admin, incident=incident, text=f"Note {i}")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert auditor.get(incident_url(incident)).status_code == 200
        return len(queries)

    add(0)
    auditor.get(incident_url(incident))
    small = count()
    for i in range(1, 6):
        add(i)
    assert count() == small


def add_incidents(actor, systems, n):
    users = list(get_user_model().objects.all()[:2])
    for i in range(n):
        open_incident(actor, title=f"Incident {i}", systems=systems[: 1 + i % 2], commander=users[i % 2])


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


LIST_QUERIES = ["", "?open=true&system=support-bot&ordering=severity", "?sla_state=on_track"]


def test_the_incident_list_runs_the_same_queries_for_10_and_60_incidents(auditor, role_users, inventory):
    """Plain, filtered and sorted, and filtered on the computed SLA state; the 60 incidents are made once."""
    systems = [inventory.system, AISystemFactory(slug="lab")]
    urls = [f"{API}incidents/{query}" for query in LIST_QUERIES]
    add_incidents(role_users["admin"], systems, 10)
    for url in urls:
        auditor.get(url)  # warm caches that are not per row (content types, the session user's permissions)
    small = {url: count_queries(auditor, url) for url in urls}

    add_incidents(role_users["admin"], systems, 50)
    for url in urls:
        (small_count, small_body), (large_count, large_body) = small[url], count_queries(auditor, url)
        assert large_body["count"] == small_body["count"] + 50, url
        assert len(large_body["results"]) == PAGE_SIZE > len(small_body["results"]), url
        assert small_count == large_count <= QUERY_BUDGET, url


@pytest.mark.parametrize("sub", ["checklist/", "timeline-notes", "evidence/"])
def test_sub_resource_lists_run_the_same_queries_for_10_and_60_rows(auditor, incidents, role_users, sub):
    incident, admin = incidents["fresh"], role_users["admin"]
    if sub == "timeline-notes":  # the timeline is part of the detail
        url, add = incident_url(incident), lambda i: services.incident_note(actor=admin, incident=incident,
                                                                             text=f"Note {i}")
    elif sub == "checklist/":
        url, add = incident_url(incident, sub), lambda i: checklist_item(incident, actor=admin, order=100 + i)
    else:
        url, add = incident_url(incident, sub), lambda i: services.custody_record(
            actor=admin, action="accessed",
            evidence=services.evidence_add(actor=admin, incident=incident, title=f"E{i}", reference=f"s3://{i}"))
    for i in range(10):
        add(i)
    auditor.get(url)
    small, _ = count_queries(auditor, url)
    for i in range(10, 60):
        add(i)
    large, _ = count_queries(auditor, url)
    assert small == large <= QUERY_BUDGET + 10
