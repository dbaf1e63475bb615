"""The incident's page counts its remediation ledger by state (each count a link to the ledger list filtered to the
incident and the state), only when the ledger lists records, in one query whatever the ledger holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.tests.factories import open_incident
from incidents.tests.ledger import import_records, move_to
from inventory.tests.admin.helpers import page_text
from portal.core import roles
from remediation.states import State

pytestmark = pytest.mark.django_db

PANEL = "Remediation ledger"


def _page(client, incident):
    return client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))


def _link(incident, state=None):
    query = f"incident__id__exact={incident.pk}" + (f"&amp;state__exact={state}" if state else "")
    return f'href="/admin/remediation/affectedrecord/?{query}"'


def test_the_panel_counts_the_records_by_state_each_count_linking_to_the_filtered_ledger(
        client_as, compliance, tmp_path):
    incident = open_incident(compliance)
    records = import_records(compliance, incident, tmp_path, decision=6)
    move_to(compliance, records[:2], State.UNDER_RE_REVIEW)
    move_to(compliance, records[2:3], State.CLOSED)

    for role in (roles.COMPLIANCE_OFFICER, roles.LEADERSHIP, roles.AUDITOR):
        response = _page(client_as(role), incident)
        assert response.status_code == 200
        html, text = response.content.decode(), page_text(response)
        assert PANEL in text and "6 affected records" in text and "1 (16%) notified or closed" in text
        assert f'<a {_link(incident)}>6 affected records</a>' in html
        assert f'<a {_link(incident, "identified")}>3</a>' in html
        assert f'<a {_link(incident, "under_re_review")}>2</a>' in html
        assert f'<a {_link(incident, "closed")}>1</a>' in html
        assert f'<a {_link(incident, "redress_offered")}>0</a>' in html


def test_an_incident_without_ledger_records_has_no_panel(client_as, compliance):
    response = _page(client_as(roles.COMPLIANCE_OFFICER), open_incident(compliance))
    assert response.status_code == 200
    assert PANEL not in page_text(response)


def test_the_page_runs_the_same_queries_with_a_small_or_a_large_ledger(client_as, compliance, tmp_path):
    small, large = open_incident(compliance, title="Small"), open_incident(compliance, title="Large")
    move_to(compliance, import_records(compliance, small, tmp_path, decision=3)[:1], State.UPHELD)
    records = import_records(compliance, large, tmp_path, decision=80, person=30, account=10, transaction=5)
    for state, chunk in ((State.UPHELD, records[:3]), (State.REDRESS_ACCEPTED, records[3:5]),
                         (State.NOTIFIED, records[5:7])):
        move_to(compliance, chunk, state)
    client = client_as(roles.COMPLIANCE_OFFICER)
    counts = []
    for incident in (small, large):
        _page(client, incident)
        with CaptureQueriesContext(connection) as captured:
            assert _page(client, incident).status_code == 200
        counts.append(len(captured))
        ledger_reads = [q["sql"] for q in captured.captured_queries if "remediation_affectedrecord" in q["sql"]]
        # The figures and the panel share one GROUP BY; the notice buttons ask once whether anyone is to be told.
        assert len([sql for sql in ledger_reads if "GROUP BY" in sql]) == 1
        assert len(ledger_reads) == 2
    assert counts[0] == counts[1]
