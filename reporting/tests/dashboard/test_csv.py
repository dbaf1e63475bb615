"""The CSV export: one row per metric and series point, with clear headers."""

import csv
import io

import pytest
from django.urls import reverse

from portal.core import roles
from reporting.dashboard.csv import HEADER, _cell, metric_rows

pytestmark = pytest.mark.django_db


def rows_of(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_export_has_a_header_and_a_row_per_point(client_as, incident_scene, inventory_scene):
    response = client_as(roles.LEADERSHIP).get(reverse("dashboard:metrics_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="governance-metrics-')
    assert response.content.decode().splitlines()[0] == ",".join(HEADER)
    rows = rows_of(response)
    as_of = {row["as_of"] for row in rows}  # the live figures' and the summaries' (built by this first view)
    assert 1 <= len(as_of) <= 2 and all(moment.endswith("Z") for moment in as_of)

    def value(metric, series, key):
        (row,) = [r for r in rows if (r["metric"], r["series"], r["key"]) == (metric, series, key)]
        return row["value"]

    assert value("open_incidents_by_severity", "open incidents", "p1") == "2"
    assert value("open_incidents_by_status", "open incidents", "review") == "1"
    assert value("sla_breaches", "breached incidents", "breached") == "2"
    month = incident_scene.t1.strftime("%Y-%m")
    assert value("response_times_by_month", "mttd", month) == "3.0"
    assert value("response_times_by_month", "incidents detected", month) == "2"
    assert value("response_times_by_month", "mtta", incident_scene.t5.strftime("%Y-%m")) == ""
    assert value("systems_by_risk_class", "ai systems", "high_risk_annex_iii") == "2"
    assert value("systems_by_risk_class", "ai systems", "") == "1"
    assert value("high_risk_readiness_gaps", "high-risk systems", "all") == "3"
    assert value("high_risk_readiness_gaps", "high-risk systems", "no_containment_accountable") == "2"
    assert value("csf_coverage", "incidents", "RS") == "2"
    assert value("atlas_coverage", "incidents", "AML.TA0005") == "2"
    assert value("inference_logs", "share", "complete_share") == "0.25"
    assert value("time_to_submission", "median", "median") == ""
    assert value("mttd_by_incident_class", "mttd", "prompt_injection") == "2.33"  # 2 h, 4 h and 1 h
    assert value("mttd_by_incident_class", "incidents measured", "prompt_injection") == "3"
    assert value("mttd_by_detection_source", "incidents measured", "other") == "3"
    assert value("incidents_by_track_and_intent", "incidents", "security/unknown") == "4"
    assert value("incidents_by_track_and_intent", "open incidents", "security/unknown") == "4"
    assert value("incidents_by_track_and_intent", "incidents", "safety/adversarial") == "0"
    assert value("on_time_filing", "share on time", "all") == ""

    per_metric = {}
    for row in rows:
        per_metric[row["metric"]] = per_metric.get(row["metric"], 0) + 1
    assert per_metric == {
        "open_incidents_by_severity": 4, "open_incidents_by_status": 6, "sla_breaches": 1,
        "regulatory_deadlines": 4, "response_times_by_month": 12 * 5, "systems_by_risk_class": 9,
        "high_risk_readiness_gaps": 5, "csf_coverage": 12, "atlas_coverage": 16, "inference_logs": 5,
        "time_to_submission": 2, "on_time_filing": 3, "mttd_by_incident_class": 2, "mttd_by_detection_source": 2,
        "incidents_by_track_and_intent": 12,
    }


def test_the_export_carries_deadlines_and_the_median(client_as, obligation_scene):
    rows = rows_of(client_as(roles.COMPLIANCE_OFFICER).get(reverse("dashboard:metrics_csv")))
    found = {(r["metric"], r["key"]): r["value"] for r in rows}
    assert found[("regulatory_deadlines", "overdue")] == "1"
    assert found[("regulatory_deadlines", "due_soon")] == "2"
    assert found[("time_to_submission", "median")] == "30.0"
    assert found[("time_to_submission", "submitted")] == "3"
    rows_on_time = {(r["series"], r["key"]): r["value"] for r in rows if r["metric"] == "on_time_filing"}
    assert rows_on_time == {(series, key): value for key in ("all", "gdpr") for series, value in (
        ("submitted with a due time", "3"), ("submitted by the due time", "3"), ("share on time", "1.0"))}


def test_text_cells_cannot_become_spreadsheet_formulas():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("-1") == "'-1"
    assert _cell(-1) == "-1"
    assert _cell(None) == ""


def test_the_export_holds_the_figures_the_page_shows(client_as, incident_scene, inventory_scene, obligation_scene):
    client = client_as(roles.LEADERSHIP)
    page = client.get(reverse("dashboard:index"))
    exported = [tuple(row[column] for column in HEADER[:-1])
                for row in rows_of(client.get(reverse("dashboard:metrics_csv")))]
    shown = [tuple(_cell(value) for value in row) for row in metric_rows(page.context["metrics"])]
    assert exported == shown
    charted = {(figure.id, row["label"]): row["values"] for section in page.context["figures"].values()
               for figure in section for row in figure.rows}
    csv_value = {(r[0], r[1], r[2]): r[4] for r in exported}
    assert charted[("csf-coverage", "RS Respond")] == [int(csv_value[("csf_coverage", "incidents", "RS")]),
                                                      int(csv_value[("csf_coverage", "runbooks", "RS")])]
    assert charted[("atlas-coverage", "Execution")] == [int(csv_value[("atlas_coverage", "incidents", "AML.TA0005")])]
