"""Every figure of the dashboard on a known data set (see conftest.py for the scenes)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import RunbookStep
from incidents.tests.factories import open_incident
from reporting import services as reporting_services
from reporting.dashboard import selectors
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def by_key(rows, value="count"):
    return {row["key"]: row[value] for row in rows}


def test_open_incidents_are_counted_by_severity_and_status(incident_scene):
    assert by_key(selectors.open_incidents_by_severity()) == {"p0": 1, "p1": 2, "p2": 1, "p3": 0}
    assert by_key(selectors.open_incidents_by_status()) == {
        "detected": 2, "triaged": 1, "contained": 0, "investigating": 0, "recovering": 0, "review": 1}


def test_sla_breaches_count_and_list_the_longest_overdue_first(incident_scene):
    breaches = selectors.sla_breaches()
    assert breaches["count"] == 2
    assert [row["reference"] for row in breaches["incidents"]] == [incident_scene.i4.reference,
                                                                   incident_scene.i2.reference]


def test_sla_breach_list_is_limited_but_the_count_is_not(no_runbook_checklists, compliance):
    long_ago = timezone.now() - timedelta(days=3)
    for i in range(3):
        breach = {"severity": "p0", "detected_at": long_ago + timedelta(minutes=i)}
        open_incident(compliance, title=f"Unacknowledged {i}", **breach)
    breaches = selectors.sla_breaches(limit=2)
    assert breaches["count"] == 3
    assert len(breaches["incidents"]) == 2


def test_regulatory_deadlines_count_overdue_and_due_soon_open_obligations(obligation_scene):
    deadlines = selectors.regulatory_deadlines(now=obligation_scene.now)
    assert {k: deadlines[k] for k in ("overdue", "due_24h", "due_soon", "no_deadline")} == {
        "overdue": 1, "due_24h": 1, "due_soon": 2, "no_deadline": 5}
    notification = obligation_scene.notification
    assert [row["pk"] for row in deadlines["soonest"]] == [
        notification(obligation_scene.overdue).pk, notification(obligation_scene.due_12h).pk,
        notification(obligation_scene.due_48h).pk]


def test_the_soonest_deadlines_are_limited(obligation_scene):
    deadlines = selectors.regulatory_deadlines(now=obligation_scene.now, limit=2)
    assert len(deadlines["soonest"]) == 2
    assert deadlines["due_soon"] + deadlines["overdue"] == 3


def test_response_times_are_monthly_means_in_hours_over_twelve_months(incident_scene):
    months = selectors.response_times_by_month_direct(now=incident_scene.now)
    assert len(months) == 12
    assert months[-1]["month"] == incident_scene.now.date().replace(day=1)
    rows = {row["month"]: row for row in months}
    last_month = rows[incident_scene.t1.date().replace(day=1)]
    # i1 and i2: MTTD (2 h + 4 h) / 2, MTTA (0.5 h + 1.5 h) / 2; only i1 was contained (4 h) and recovered (24 h).
    assert last_month == {"month": incident_scene.t1.date().replace(day=1), "incidents": 2,
                          "mttd": 3.0, "mtta": 1.0, "mttc": 4.0, "mttr": 24.0}
    # i4 (i3 was dismissed): detected 1 h after it occurred, nothing else yet.
    five_months_ago = rows[incident_scene.t5.date().replace(day=1)]
    assert five_months_ago == {"month": incident_scene.t5.date().replace(day=1), "incidents": 1,
                               "mttd": 1.0, "mtta": None, "mttc": None, "mttr": None}
    assert sum(row["incidents"] for row in months) == 4  # with i5, this month or last


def test_incidents_older_than_twelve_months_are_left_out(no_runbook_checklists, compliance):
    now = timezone.now()
    old = selectors.month_starts(now)[0] - timedelta(days=1)
    open_incident(compliance, title="Old", detected_at=old, occurred_at=old - timedelta(hours=1))
    assert sum(row["incidents"] for row in selectors.response_times_by_month_direct(now=now)) == 0


def test_month_starts_cross_the_year():
    from datetime import UTC, datetime

    starts = selectors.month_starts(datetime(2026, 2, 14, 9, 0, tzinfo=UTC), months=4)
    assert [s.strftime("%Y-%m") for s in starts] == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_systems_are_counted_by_risk_class_without_the_retired(inventory_scene):
    counts = by_key(selectors.systems_by_risk_class())
    assert counts == {"prohibited": 0, "high_risk_annex_i": 1, "high_risk_annex_iii": 2, "transparency": 0,
                      "minimal": 1, "gpai": 1, "gpai_systemic_risk": 0, "out_of_scope": 0, "": 1}


def test_high_risk_readiness_gaps_are_counted_per_gap(inventory_scene):
    readiness = selectors.high_risk_readiness_gaps()
    assert readiness["systems"] == 3
    assert by_key(readiness["gaps"]) == {"no_inference_logging": 1, "no_kill_switch_procedure": 1,
                                         "no_rollback_procedure": 1, "no_containment_accountable": 2}


def test_csf_coverage_counts_incidents_and_runbooks_per_function(incident_scene):
    rows = {row["key"]: row for row in selectors.csf_coverage_direct()}
    assert list(rows) == ["GV", "ID", "PR", "DE", "RS", "RC"]
    # i1 (RS.MA, RS.MI, DE.AE) and i2 (RS.MA); the dismissed i3's RC.RP step is not counted.
    assert {key: row["incidents"] for key, row in rows.items()} == {
        "GV": 0, "ID": 0, "PR": 0, "DE": 1, "RS": 2, "RC": 0}
    expected_runbooks = {key: set() for key in rows}
    for step in RunbookStep.objects.select_related("csf_category").exclude(csf_category=None):
        expected_runbooks[step.csf_category.function_id].add(step.runbook_id)
    assert {key: row["runbooks"] for key, row in rows.items()} == {
        key: len(ids) for key, ids in expected_runbooks.items()}
    assert rows["RS"]["runbooks"] > 0


def test_atlas_coverage_counts_incidents_per_tactic_with_sub_techniques_under_their_parent(incident_scene):
    rows = {row["key"]: row for row in selectors.atlas_coverage_direct()}
    assert len(rows) == 16
    counted = {key: row["incidents"] for key, row in rows.items() if row["incidents"]}
    assert counted == {"AML.TA0005": 2, "AML.TA0004": 1, "AML.TA0007": 1, "AML.TA0011": 1, "AML.TA0010": 1}
    assert rows["AML.TA0005"]["techniques"] == ["AML.T0051", "AML.T0051.000"]
    assert rows["AML.TA0010"]["techniques"] == ["AML.T0024.000"]
    assert rows["AML.TA0002"]["techniques"] == []


def test_inference_log_completeness_is_a_share_of_incidents_not_dismissed(incident_scene):
    assert selectors.inference_log_completeness_direct() == {
        "incidents": 4, "complete": 1, "incomplete": 1, "unknown": 2, "share": 0.25}


def test_inference_log_share_is_none_without_incidents(db):
    assert selectors.inference_log_completeness_direct()["share"] is None


def test_median_time_to_submission_of_an_odd_number_is_the_middle_one(obligation_scene):
    assert selectors.median_time_to_submission_direct() == {"submitted": 3, "median_hours": 30.0}


def test_median_time_to_submission_of_an_even_number_is_the_mean_of_the_middle_two(compliance):
    now = timezone.now().replace(microsecond=0)
    for aware_ago, took in ((100, 10), (200, 40)):
        aware = now - timedelta(hours=aware_ago)
        incident = breach_incident(compliance, aware_at=aware)
        notification = incident.obligations.get(key="gdpr.notification")
        reporting_services.obligation_submit(actor=compliance, obligation=notification,
                                             submitted_at=aware + timedelta(hours=took),
                                             expected_version=notification.version)
    assert selectors.median_time_to_submission_direct() == {"submitted": 2, "median_hours": 25.0}


def test_median_time_to_submission_without_submissions(db):
    assert selectors.median_time_to_submission_direct() == {"submitted": 0, "median_hours": None}


def test_dashboard_metrics_gathers_every_figure(incident_scene):
    metrics = selectors.dashboard_metrics(now=incident_scene.now)
    assert metrics.open_incidents == 4
    assert metrics.sla_breaches["count"] == 2
    assert metrics.as_of == incident_scene.now
