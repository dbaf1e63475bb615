"""EU AI Act: Art. 73 serious-incident reports per Member State (2/10/15 days, earliest wins), Art. 26(5), Art. 55."""

from datetime import timedelta

import pytest

from reporting.clock import evaluate, parse_facts
from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc

PROVIDER_HIGH_RISK = {"operator_role": "provider", "risk_class": "high_risk_annex_iii", "locations": ["DE"]}


@pytest.mark.parametrize(
    ("harms", "widespread", "days", "provision"),
    [
        (["serious_health_harm"], False, 15, "Art. 73(1), (2), (5)"),
        (["fundamental_rights_infringement"], False, 15, "Art. 73(1), (2), (5)"),
        (["serious_property_or_environmental_harm", "financial_loss"], False, 15, "Art. 73(1), (2), (5)"),
        (["serious_health_harm"], True, 2, "Art. 73(3)"),
        (["critical_infrastructure_disruption"], False, 2, "Art. 73(3)"),
        (["death"], False, 10, "Art. 73(4)"),
        (["death"], True, 2, "Art. 73(3)"),
        (["death", "critical_infrastructure_disruption"], False, 2, "Art. 73(3)"),
    ],
)
def test_the_earliest_applicable_art_73_limit_governs_the_initial_report(harms, widespread, days, provision):
    spec = run(**PROVIDER_HIGH_RISK, harms=harms, widespread_infringement=widespread)["eu_ai_act_73.initial@DE"]
    assert spec.due_at == AWARE_AT + timedelta(days=days)
    assert spec.clock_starts_at == AWARE_AT
    assert spec.clock_start_event == "aware_at"
    assert provision in spec.provision
    assert spec.unit == "days"
    assert spec.uncertain, "undefined days are flagged"
    assert "calendar days" in spec.note


def test_death_and_widespread_infringement_note_the_other_limit_that_also_applies():
    spec = run(**PROVIDER_HIGH_RISK, harms=["death"], widespread_infringement=True)["eu_ai_act_73.initial@DE"]
    assert "Several limits apply; the earliest governs" in spec.note
    assert "Art. 73(4)" in spec.note


def test_one_initial_and_one_complete_report_per_affected_member_state_and_non_eu_locations_are_ignored():
    specs = run(operator_role="provider", risk_class="high_risk_annex_i", harms=["serious_health_harm"],
                locations=["FR", "US-CA", "DE", "GB", "CN"])
    assert keys_of("eu_ai_act_73", specs) == {
        "eu_ai_act_73.initial@DE", "eu_ai_act_73.initial@FR", "eu_ai_act_73.complete@DE", "eu_ai_act_73.complete@FR",
    }
    assert specs["eu_ai_act_73.initial@FR"].jurisdiction == "FR"
    assert specs["eu_ai_act_73.initial@FR"].recipient == "Market surveillance authority of FR"


def test_a_subdivision_counts_for_its_member_state_once():
    specs = run(**{**PROVIDER_HIGH_RISK, "locations": ["DE-BY", "DE", "DE-BE"]}, harms=["death"])
    assert keys_of("eu_ai_act_73", specs) == {"eu_ai_act_73.initial@DE", "eu_ai_act_73.complete@DE"}


def test_the_complete_report_waits_for_the_initial_report_of_its_member_state():
    specs = run(operator_role="provider", risk_class="high_risk_annex_iii", harms=["death"], locations=["DE", "FR"],
                submitted={"eu_ai_act_73.initial@DE": "2027-03-04T09:00:00Z"})
    submitted, waiting = specs["eu_ai_act_73.complete@DE"], specs["eu_ai_act_73.complete@FR"]
    assert submitted.clock_starts_at == utc(2027, 3, 4, 9, 0)
    assert submitted.due_at is None, "Art. 73(5) sets no deadline for the complete report"
    assert submitted.depends_on == "eu_ai_act_73.initial@DE"
    assert submitted.clock_start_event == "submitted:eu_ai_act_73.initial@DE"
    assert waiting.clock_starts_at is None
    assert waiting.due_at is None
    assert waiting.rule.startswith("waiting for eu_ai_act_73.initial@FR")


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"risk_class": "transparency"}, "not a high-risk system"),
        ({"risk_class": "gpai"}, "not a high-risk system"),
        ({"risk_class": None}, "not yet assessed"),
        ({"harms": ["financial_loss", "privacy"]}, "no serious-incident harm"),
        ({"harms": []}, "no harm"),
        ({"locations": ["US", "GB"]}, "no EU Member State"),
        ({"operator_role": "importer"}, "not the provider"),
        ({"operator_role": "deployer"}, "a deployer who can reach the provider"),
        ({"aware_at": "2026-08-01T23:59:59Z"}, "before Art. 73 applies"),
    ],
)
def test_art_73_does_not_apply(changes, why):
    facts = {**PROVIDER_HIGH_RISK, "harms": ["death"], **changes}
    assert not keys_of("eu_ai_act_73", run(**facts)), why


def test_a_deployer_without_provider_unreachable_informs_the_provider_immediately_and_nothing_else():
    specs = run(operator_role="deployer", risk_class="high_risk_annex_iii", harms=["death"], locations=["DE", "FR"])
    assert set(specs) == {"eu_ai_act_26_5.inform_provider"}
    spec = specs["eu_ai_act_26_5.inform_provider"]
    assert spec.due_at is None
    assert spec.unit == "immediately"
    assert spec.rule.startswith("immediately")
    assert spec.provision == "Reg. (EU) 2024/1689 Art. 26(5), first subparagraph"


def test_a_deployer_that_cannot_reach_the_provider_reports_under_art_73_too():
    specs = run(operator_role="deployer", risk_class="high_risk_annex_iii", harms=["death"], locations=["DE"],
                provider_unreachable=True)
    assert {"eu_ai_act_26_5.inform_provider", "eu_ai_act_73.initial@DE"} <= set(specs)
    assert "provider cannot be reached" in specs["eu_ai_act_73.initial@DE"].note


def test_provider_unreachable_does_not_matter_to_a_provider():
    specs = run(**PROVIDER_HIGH_RISK, harms=["death"], provider_unreachable=True)
    assert "eu_ai_act_26_5.inform_provider" not in specs
    assert "provider cannot be reached" not in specs["eu_ai_act_73.initial@DE"].note


@pytest.mark.parametrize(
    ("overrides", "aware_at", "applies"),
    [
        (None, "2026-08-02T00:00:00Z", True),
        ({"eu_ai_act_73": "2027-12-02"}, "2027-03-02T10:00:00Z", False),
        ({"eu_ai_act_73": "2027-12-02"}, "2027-12-02T00:30:00Z", True),
        ({"eu_ai_act_73.initial": "2028-08-02"}, "2027-03-02T10:00:00Z", False),
        ({"eu_ai_act_73": "2028-08-02", "eu_ai_act_73.initial": "2026-08-02"}, "2027-03-02T10:00:00Z", True),
    ],
)
def test_applies_from_overrides_move_a_regime_or_a_stage_without_code(overrides, aware_at, applies):
    specs = run(**PROVIDER_HIGH_RISK, harms=["death"], aware_at=aware_at, applies_from_overrides=overrides)
    assert ("eu_ai_act_73.initial@DE" in specs) is applies


def test_an_unknown_override_key_is_an_error():
    with pytest.raises(ValueError, match="'eu_ai_act_99' is not a regime"):
        evaluate(parse_facts({"aware_at": "2027-03-02T10:00:00Z"}),
                 applies_from_overrides={"eu_ai_act_99": "2027-01-01"})


def test_a_gpai_model_with_systemic_risk_reports_to_the_ai_office_without_undue_delay():
    specs = run(operator_role="provider", risk_class="gpai_systemic_risk", harms=["serious_health_harm"])
    spec = specs["eu_ai_act_55.report"]
    assert spec.due_at is None
    assert spec.unit == "without_undue_delay"
    assert spec.recipient.startswith("AI Office")
    assert spec.provision == "Reg. (EU) 2024/1689 Art. 55(1)(c)"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"risk_class": "gpai"}, "no systemic risk"),
        ({"harms": ["reputational"]}, "not a serious incident"),
        ({"operator_role": "deployer"}, "not the provider"),
        ({"aware_at": "2025-08-01T12:00:00Z"}, "before 2025-08-02"),
    ],
)
def test_art_55_does_not_apply(changes, why):
    facts = {"operator_role": "provider", "risk_class": "gpai_systemic_risk", "harms": ["death"], **changes}
    assert "eu_ai_act_55.report" not in run(**facts), why


def test_art_55_applied_before_art_73():
    specs = run(operator_role="provider", risk_class="gpai_systemic_risk", harms=["death"],
                aware_at="2025-08-02T00:00:00Z")
    assert set(specs) == {"eu_ai_act_55.report"}
