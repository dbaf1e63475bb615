"""The dashboard's remediation progress: per open incident with ledger records, the counts by state and the share
notified or closed, summarised like the other scans (ADR 0012) and equal to the direct query; on the page and in
the CSV for the dashboard's roles, in the same number of queries whatever the ledgers hold."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.tests.factories import open_incident
from incidents.tests.ledger import import_records, move_to
from portal.core import roles
from remediation.states import State
from reporting.dashboard import selectors, summaries

pytestmark = pytest.mark.django_db


def _ledgers(actor, tmp_path, sizes, *, start=0):
    """An open incident per size, each with a ledger of that many decisions, some moved along."""
    incidents = []
    for i, size in enumerate(sizes, start=start):
        incident = open_incident(actor, title=f"Ledger {i}")
        records = import_records(actor, incident, tmp_path, decision=size)
        move_to(actor, records[:1], State.CLOSED)
        move_to(actor, records[1:2], State.UNDER_RE_REVIEW)
        incidents.append(incident)
    return incidents


def _progress(rows):
    return {row["reference"]: (row["total"], {s["key"]: s["count"] for s in row["states"] if s["count"]},
                               row["done_share"]) for row in rows}


def test_the_summary_equals_the_direct_query_and_leaves_out_closed_incidents(compliance, tmp_path):
    assert selectors.remediation_progress_direct() == []
    first, second = _ledgers(compliance, tmp_path, [4, 10])
    open_incident(compliance, title="No ledger")
    summaries.rebuild()

    shown = selectors.remediation_figure(summaries.current().remediation())
    assert shown == selectors.remediation_progress_direct()
    assert _progress(shown) == {
        second.reference: (10, {"identified": 8, "under_re_review": 1, "closed": 1}, 0.1),
        first.reference: (4, {"identified": 2, "under_re_review": 1, "closed": 1}, 0.25),
    }
    assert [row["reference"] for row in shown] == [second.reference, first.reference]  # most records first

    incident_services.incident_transition(actor=compliance, incident=first, to=Status.DISMISSED, note="Not ours.")
    assert [row["reference"] for row in selectors.remediation_figure(summaries.current().remediation())] == [
        second.reference]  # closed or dismissed since the rebuild: gone at once
    summaries.rebuild()
    assert selectors.remediation_figure(summaries.current().remediation()) == (
        selectors.remediation_progress_direct())


@pytest.mark.parametrize("role", [roles.LEADERSHIP, roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER])
def test_the_page_and_the_export_show_the_progress_with_links_to_the_ledger(client_as, compliance, tmp_path, role):
    (incident,) = _ledgers(compliance, tmp_path, [5])
    client = client_as(role)

    html = client.get(reverse("dashboard:index")).content.decode()
    assert "Remediation progress per open incident" in html and incident.reference in html
    ledger = f"/admin/remediation/affectedrecord/?incident__id__exact={incident.pk}"
    assert f'href="{ledger}">5</a>' in html and f'href="{ledger}&amp;state__exact=identified">3</a>' in html
    assert "<td class=\"num\">20%</td>" in html

    rows = list(csv.DictReader(io.StringIO(client.get(reverse("dashboard:metrics_csv")).content.decode())))
    found = {(r["series"], r["key"]): r["value"] for r in rows if r["metric"] == "remediation_progress"}
    assert found[(incident.reference, "all")] == "5" and found[(incident.reference, "identified")] == "3"
    assert found[(incident.reference, "closed")] == "1" and found[(incident.reference, "done_share")] == "0.2"
    assert len(found) == 1 + len(State) + 1


def test_roles_without_the_dashboard_do_not_see_the_progress(client_as, compliance, tmp_path):
    _ledgers(compliance, tmp_path, [2])
    for role in (roles.INCIDENT_RESPONDER, roles.AUDITOR):
        assert client_as(role).get(reverse("dashboard:index")).status_code == 403


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_and_the_export_run_the_same_queries_with_small_or_large_ledgers(client_as, compliance, tmp_path):
    client = client_as(roles.LEADERSHIP)
    urls = [reverse("dashboard:index"), reverse("dashboard:metrics_csv")]
    _ledgers(compliance, tmp_path, [3, 2])
    summaries.rebuild()
    small = [_queries(client, url) for url in urls]
    _ledgers(compliance, tmp_path, [40, 25, 12, 30], start=2)
    summaries.rebuild()
    large = [_queries(client, url) for url in urls]
    assert small == large

    with CaptureQueriesContext(connection) as captured:
        metrics = selectors.dashboard_metrics()
    assert len(metrics.remediation) == 6 and len(captured) == 12  # the eleven figures, and the incidents' names
    assert not [q for q in captured.captured_queries if "remediation_affectedrecord" in q["sql"]]
