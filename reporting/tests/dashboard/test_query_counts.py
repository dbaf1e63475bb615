"""The dashboard and its CSV run the same number of queries at 5 and at 60 incidents (with their obligations,
checklists, ATLAS techniques and AI systems growing alongside), every figure included: the breakdowns by regime,
incident class, detection source, track and intent as well."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.tests.factories import open_incident
from inventory.tests.factories import AISystemFactory
from portal.core import roles
from reporting import services as reporting_services
from reporting.dashboard import selectors, summaries
from reporting.models import DashboardSummaryState
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

SEVERITIES = ["p0", "p1", "p2", "p3"]
TECHNIQUES = [["AML.T0051.000"], ["AML.T0015", "AML.T0024"], [], ["AML.T0051"]]
RISK_CLASSES = [{"risk_class": "minimal"}, {"risk_class": "gpai", "risk_rationale": "A model we provide."},
                {"risk_class": "high_risk_annex_iii", "annex_iii_area": "employment", "risk_rationale": "Hiring."}]


def grow(actor, start, count):
    """`count` more incidents over the last year: every fourth a GDPR breach (one in two of those submitted), the
    others spread over severities, lifecycle states and ATLAS techniques; and an AI system per two incidents."""
    now = timezone.now().replace(microsecond=0)
    for i in range(start, start + count):
        detected = now - timedelta(days=(i * 7) % 360, hours=3)
        if i % 4 == 0:
            incident = breach_incident(actor, aware_at=detected, title=f"Breach {i}")
            if i % 8 == 0:
                notification = incident.obligations.get(key="gdpr.notification")
                reporting_services.obligation_submit(
                    actor=actor, obligation=notification, expected_version=notification.version,
                    submitted_at=detected + timedelta(hours=1 + i % 5))
        else:
            incident = open_incident(actor, title=f"Incident {i}", severity=SEVERITIES[i % 4], detected_at=detected,
                                     occurred_at=detected - timedelta(hours=i % 6), complete_inference_logs=i % 3 == 0,
                                     atlas_techniques=TECHNIQUES[i % 4])
            if i % 2:
                incident_services.incident_transition(actor=actor, incident=incident, to=Status.TRIAGED,
                                                      at=detected + timedelta(minutes=20 + i))
        if i % 2:
            AISystemFactory(actor=actor, slug=f"system-{i}", name=f"System {i}", **RISK_CLASSES[i % 3])


def queries(client, url):
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_dashboard_and_its_export_run_a_constant_number_of_queries(client_as, compliance):
    client = client_as(roles.LEADERSHIP)
    urls = [reverse("dashboard:index"), reverse("dashboard:metrics_csv")]
    grow(compliance, 0, 5)
    small = [queries(client, url) for url in urls]
    grow(compliance, 5, 55)
    large = [queries(client, url) for url in urls]
    assert small == large
    print("queries", small)


def test_the_figures_take_eleven_queries_and_read_no_checklist_link_or_history_table(compliance):
    grow(compliance, 0, 8)
    summaries.rebuild()
    with CaptureQueriesContext(connection) as captured:
        metrics = selectors.dashboard_metrics()
    sql = [query["sql"].lower() for query in captured.captured_queries]
    assert len(sql) == 11  # the breakdowns too (on-time filing, MTTD by class and source, track and intent)
    assert metrics.on_time_filing["submitted"] and metrics.mttd_by_class and metrics.mttd_by_source
    assert sum(row["incidents"] for row in metrics.track_intent) == 8
    for table in ("incidents_checklistitem", "incidents_incident_atlas_techniques", "historical"):
        assert not [q for q in sql if table in q], table


def test_the_first_view_builds_missing_summaries_once(client_as, compliance):
    grow(compliance, 0, 4)
    client = client_as(roles.LEADERSHIP)
    assert client.get(reverse("dashboard:index")).status_code == 200
    assert DashboardSummaryState.objects.count() == 1
    as_of = DashboardSummaryState.objects.get().as_of
    client.get(reverse("dashboard:index"))
    assert DashboardSummaryState.objects.get().as_of == as_of
