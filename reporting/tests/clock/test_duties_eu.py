"""Duties added for issue 12 in the EU regimes: the Cyber Resilience Act (Art. 14), NIS2's further reports and
notices (Art. 23(1), (4)(c), (4)(e)), the EU AI Act product manufacturer as provider (Art. 25) and GPAI models
already on the market (Art. 111(3))."""

from datetime import timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc

CRA = {"cra_manufacturer": True}
VULN_STAGES = {"cra.vulnerability_early_warning", "cra.vulnerability_notification", "cra.vulnerability_final"}
INCIDENT_STAGES = {"cra.incident_early_warning", "cra.incident_notification", "cra.incident_final"}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # Art. 14(1)-(2), (8): an actively exploited vulnerability.
        ({"actively_exploited_vulnerability": True}, VULN_STAGES | {"cra.inform_users"}),
        # Art. 14(3)-(4), (8): a severe incident.
        ({"severe_incident": True}, INCIDENT_STAGES | {"cra.inform_users"}),
        ({"actively_exploited_vulnerability": True, "severe_incident": True},
         VULN_STAGES | INCIDENT_STAGES | {"cra.inform_users"}),
        # Not a manufacturer of a product with digital elements, or nothing to report.
        ({"cra_manufacturer": False, "actively_exploited_vulnerability": True, "severe_incident": True}, set()),
        ({}, set()),
        # Art. 71(2): Art. 14 applies from 2026-09-11.
        ({"actively_exploited_vulnerability": True, "severe_incident": True, "aware_at": "2026-09-10T23:00:00Z"},
         set()),
        ({"severe_incident": True, "aware_at": "2026-09-11T00:00:00Z"}, INCIDENT_STAGES | {"cra.inform_users"}),
    ],
)
def test_cra_art_14_stages_follow_the_kind_of_event(facts, expected):
    assert keys_of("cra", run(**{**CRA, **facts})) == expected


@pytest.mark.parametrize(
    ("stage", "due_at"),
    [
        ("vulnerability_early_warning", AWARE_AT + timedelta(hours=24)),  # Art. 14(2)(a)
        ("vulnerability_notification", AWARE_AT + timedelta(hours=72)),  # Art. 14(2)(b)
        ("incident_early_warning", AWARE_AT + timedelta(hours=24)),  # Art. 14(4)(a)
        ("incident_notification", AWARE_AT + timedelta(hours=72)),  # Art. 14(4)(b)
        ("inform_users", None),  # Art. 14(8): in a timely manner
    ],
)
def test_cra_art_14_early_warning_and_notification_run_from_awareness(stage, due_at):
    spec = run(**CRA, actively_exploited_vulnerability=True, severe_incident=True)[f"cra.{stage}"]
    assert spec.due_at == due_at
    assert spec.verification == "secondary"
    assert "ENISA" in spec.recipient or stage == "inform_users"


def test_cra_art_14_2_c_final_report_waits_for_a_corrective_measure_then_runs_14_days():
    waiting = run(**CRA, actively_exploited_vulnerability=True)["cra.vulnerability_final"]
    assert waiting.due_at is None
    assert waiting.clock_starts_at is None
    assert waiting.rule.startswith("waiting for corrective_measure_available_at")
    assert waiting.uncertain  # undefined days
    fixed = run(**CRA, actively_exploited_vulnerability=True,
                corrective_measure_available_at="2027-03-10T08:00:00Z")["cra.vulnerability_final"]
    assert fixed.clock_starts_at == utc(2027, 3, 10, 8, 0)
    assert fixed.due_at == utc(2027, 3, 24, 8, 0)


def test_cra_art_14_4_c_final_report_is_due_one_month_after_the_incident_notification():
    specs = run(**CRA, severe_incident=True, submitted={"cra.incident_notification": "2027-03-04T09:00:00Z"})
    assert specs["cra.incident_final"].due_at == utc(2027, 4, 4, 9, 0)
    assert specs["cra.incident_final"].depends_on == "cra.incident_notification"
    assert run(**CRA, severe_incident=True)["cra.incident_final"].due_at is None


NIS2 = {"nis2_entity": True, "significant_incident": True, "locations": ["DE"]}
NIS2_BASE = {"nis2.early_warning", "nis2.notification", "nis2.final"}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (NIS2, NIS2_BASE),
        # Art. 23(4)(c): an intermediate report only on request.
        ({**NIS2, "nis2_intermediate_requested_at": "2027-03-10T10:00:00Z"}, NIS2_BASE | {"nis2.intermediate"}),
        # Art. 23(4)(e): still being handled at the final-report deadline -> progress report, then final report.
        ({**NIS2, "ongoing_at_final_report": True},
         {"nis2.early_warning", "nis2.notification", "nis2.progress", "nis2.final_after_handling"}),
        # Art. 23(1): the recipients of the services, where appropriate.
        ({**NIS2, "service_recipients_affected": True}, NIS2_BASE | {"nis2.recipients"}),
        # Not a significant incident: none of these.
        ({**NIS2, "significant_incident": False, "service_recipients_affected": True,
          "nis2_intermediate_requested_at": "2027-03-10T10:00:00Z"}, set()),
    ],
)
def test_nis2_art_23_further_reports_and_notices(facts, expected):
    assert keys_of("nis2", run(**facts)) == expected


def test_nis2_art_23_4_e_progress_report_when_the_final_report_is_due_and_final_report_after_handling():
    submitted = {"nis2.notification": "2027-03-04T09:00:00Z"}
    specs = run(**NIS2, ongoing_at_final_report=True, submitted=submitted)
    assert specs["nis2.progress"].due_at == utc(2027, 4, 4, 9, 0)
    assert specs["nis2.progress"].provision == "Dir. (EU) 2022/2555 Art. 23(4)(e)"
    waiting = specs["nis2.final_after_handling"]
    assert waiting.due_at is None
    assert "handling_completed_at" in waiting.rule
    done = run(**NIS2, ongoing_at_final_report=True, submitted=submitted,
               handling_completed_at="2027-05-31T12:00:00Z")["nis2.final_after_handling"]
    assert done.due_at == utc(2027, 6, 30, 12, 0)  # end-of-month clamped
    assert done.uncertain


@pytest.mark.parametrize(
    ("stage", "unit", "uncertain"),
    [
        ("intermediate", "no_fixed_deadline", False),  # Art. 23(4)(c): the request sets the time
        ("recipients", "without_undue_delay", True),  # Art. 23(1): "where appropriate"
    ],
)
def test_nis2_art_23_untimed_duties(stage, unit, uncertain):
    specs = run(**NIS2, service_recipients_affected=True, nis2_intermediate_requested_at="2027-03-10T10:00:00Z")
    spec = specs[f"nis2.{stage}"]
    assert spec.unit == unit
    assert spec.due_at is None
    assert spec.uncertain is uncertain


HIGH_RISK_SERIOUS = {"risk_class": "high_risk_annex_i", "harms": ["serious_health_harm"], "locations": ["DE"]}


@pytest.mark.parametrize(
    ("role", "deemed", "art_73", "art_26_5", "note"),
    [
        # Art. 25(3): a product manufacturer placing the system on the market under its own name is its provider.
        ("product_manufacturer", True, True, False, "Art. 25(3)"),
        ("product_manufacturer", False, False, False, None),
        # Art. 25(1): a deployer (or importer, distributor) that becomes the provider reports under Art. 73.
        ("deployer", True, True, False, "Art. 25(1)"),
        ("importer", True, True, False, "Art. 25(1)"),
        ("deployer", False, False, True, None),  # Art. 26(5): informs the provider instead
        ("provider", False, True, False, None),
    ],
)
def test_eu_ai_act_art_25_a_deemed_provider_reports_under_art_73(role, deemed, art_73, art_26_5, note):
    specs = run(**HIGH_RISK_SERIOUS, operator_role=role, deemed_provider=deemed)
    assert bool(keys_of("eu_ai_act_73", specs)) is art_73
    assert bool(keys_of("eu_ai_act_26_5", specs)) is art_26_5
    if art_73:
        spec = specs["eu_ai_act_73.initial@DE"]
        assert spec.due_at == AWARE_AT + timedelta(days=15)
        if note:
            assert note in spec.note
        assert "cannot be reached" not in spec.note


GPAI = {"risk_class": "gpai_systemic_risk", "operator_role": "provider", "harms": ["serious_health_harm"]}


@pytest.mark.parametrize(
    ("legacy", "aware_at", "applies"),
    [
        (False, "2025-08-02T00:00:00Z", True),  # Art. 113(b): from 2025-08-02
        (False, "2027-03-02T10:00:00Z", True),
        # Art. 111(3): a model placed on the market before 2025-08-02 complies by 2027-08-02.
        (True, "2027-03-02T10:00:00Z", False),
        (True, "2027-08-01T23:59:00Z", False),
        (True, "2027-08-02T00:00:00Z", True),
    ],
)
def test_eu_ai_act_art_55_models_already_on_the_market_report_from_2_august_2027(legacy, aware_at, applies):
    specs = run(**GPAI, legacy_gpai_model=legacy, aware_at=aware_at)
    assert ("eu_ai_act_55.report" in specs) is applies
    if applies and legacy:
        assert specs["eu_ai_act_55.report"].uncertain
        assert "Art. 111(3)" in specs["eu_ai_act_55.report"].note
