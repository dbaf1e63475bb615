"""SEC Form 8-K Item 1.05, California SB 53, New York RAISE Act, DFARS 7012, NYDFS 500.17, China CAC measures."""

from datetime import timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc


@pytest.mark.parametrize(
    ("determined_at", "due_at"),
    [
        ("2026-03-02T10:00:00-05:00", utc(2026, 3, 6, 22, 30)),  # Monday -> Friday 17:30 EST
        ("2026-03-05T10:00:00-05:00", utc(2026, 3, 11, 21, 30)),  # across a weekend (and into EDT)
        ("2026-11-25T15:00:00-05:00", utc(2026, 12, 2, 22, 30)),  # across Thanksgiving
        ("2026-12-22T09:00:00-05:00", utc(2026, 12, 29, 22, 30)),  # across Christmas
        ("2026-07-01T09:00:00-04:00", utc(2026, 7, 8, 21, 30)),  # July 4 observed on Friday 3 July
        ("2027-07-01T09:00:00-04:00", utc(2027, 7, 8, 21, 30)),  # July 4 observed on Monday 5 July
        ("2026-06-17T09:00:00-04:00", utc(2026, 6, 24, 21, 30)),  # across Juneteenth
        ("2026-03-07T12:00:00-05:00", utc(2026, 3, 12, 21, 30)),  # Saturday: Monday is day one
    ],
)
def test_sec_item_1_05_is_due_at_the_edgar_cutoff_on_the_fourth_business_day(determined_at, due_at):
    spec = run(sec_registrant=True, materiality_determined_at=determined_at, aware_at="2026-03-01T00:00:00Z")
    spec = spec["sec_8k.item_1_05"]
    assert spec.due_at == due_at
    assert spec.unit == "business_days"
    assert spec.clock_start_event == "materiality_determined_at"
    assert "17:30 America/New_York" in spec.rule


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        ({"sec_registrant": False, "materiality_determined_at": "2027-03-02T10:00:00Z"}, "not a registrant"),
        ({"sec_registrant": True}, "materiality not yet determined"),
        ({"sec_registrant": True, "materiality_determined_at": "2023-12-17T10:00:00Z",
          "aware_at": "2023-12-01T10:00:00Z"}, "before Item 1.05 compliance"),
    ],
)
def test_sec_item_1_05_does_not_apply(facts, why):
    assert not keys_of("sec_8k", run(**facts)), why


def test_sec_item_1_05_lists_the_required_disclosure_content():
    spec = run(sec_registrant=True, materiality_determined_at="2027-03-02T10:00:00Z")["sec_8k.item_1_05"]
    labels = " ".join(item.label for item in spec.content)
    assert "nature" in labels
    assert "scope" in labels
    assert "timing" in labels
    assert "financial condition and results of operations" in labels


FRONTIER = {"frontier_developer": True, "critical_safety_incident": True}


def test_sb_53_reports_to_cal_oes_within_15_days_and_law_enforcement_within_24_hours_on_imminent_risk():
    specs = run(**FRONTIER, locations=["US-CA"], imminent_risk_of_death_or_injury=True)
    assert specs["ca_sb53.report"].due_at == AWARE_AT + timedelta(days=15)
    assert specs["ca_sb53.report"].uncertain
    assert specs["ca_sb53.imminent_risk"].due_at == AWARE_AT + timedelta(hours=24)
    assert "law-enforcement" in specs["ca_sb53.imminent_risk"].recipient


def test_sb_53_without_imminent_risk_has_only_the_cal_oes_report():
    assert keys_of("ca_sb53", run(**FRONTIER, locations=["US-CA"])) == {"ca_sb53.report"}


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"locations": ["US-NY"]}, "California is not a location"),
        ({"frontier_developer": False}, "not a frontier developer"),
        ({"critical_safety_incident": False}, "not a critical safety incident"),
        ({"aware_at": "2025-12-31T23:00:00Z"}, "before 2026-01-01"),
    ],
)
def test_sb_53_does_not_apply(changes, why):
    assert not keys_of("ca_sb53", run(**{**FRONTIER, "locations": ["US-CA"], **changes})), why


def test_raise_act_reports_within_72_hours_and_24_hours_on_imminent_risk():
    specs = run(**FRONTIER, locations=["US-NY"], imminent_risk_of_death_or_injury=True)
    assert specs["ny_raise.report"].due_at == AWARE_AT + timedelta(hours=72)
    assert specs["ny_raise.imminent_risk"].due_at == AWARE_AT + timedelta(hours=24)
    assert specs["ny_raise.report"].verification == "secondary"


@pytest.mark.parametrize(
    ("aware_at", "applies"),
    [("2026-12-31T23:59:59Z", False), ("2027-01-01T00:00:00Z", True)],
)
def test_raise_act_applies_from_2027(aware_at, applies):
    assert bool(keys_of("ny_raise", run(**FRONTIER, locations=["US-NY"], aware_at=aware_at))) is applies


def test_dfars_reports_to_dod_within_72_hours_of_discovery():
    spec = run(covered_defense_information=True)["dfars_7012.report"]
    assert spec.due_at == AWARE_AT + timedelta(hours=72)
    assert "dibnet.dod.mil" in spec.recipient


@pytest.mark.parametrize(
    ("facts", "event", "due_at"),
    [
        ({"determined_at": "2027-03-03T09:00:00Z"}, "determined_at", utc(2027, 3, 6, 9, 0)),
        ({}, "aware_at", AWARE_AT + timedelta(hours=72)),
    ],
)
def test_nydfs_counts_72_hours_from_the_determination_or_else_awareness(facts, event, due_at):
    spec = run(nydfs_covered_entity=True, **facts)["nydfs_500_17.notice"]
    assert spec.due_at == due_at
    assert spec.clock_start_event == event
    assert "aware_at when determined_at is not given" in spec.rule
    if event == "aware_at":
        assert "determined_at is not given here, so the clock counts from aware_at" in spec.rule


@pytest.mark.parametrize(
    ("cii", "hours"),
    [(False, 4), (True, 1)],
)
def test_china_cac_measures_4_hours_or_1_hour_for_critical_information_infrastructure(cii, hours):
    spec = run(locations=["CN"], cn_relatively_major_or_above=True, critical_information_infrastructure=cii)
    assert spec["cn_cac.initial"].due_at == AWARE_AT + timedelta(hours=hours)
    assert spec["cn_cac.initial"].verification == "secondary"


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        ({"locations": ["CN"], "cn_relatively_major_or_above": False}, "below the relatively major level"),
        ({"locations": ["HK"], "cn_relatively_major_or_above": True}, "not in mainland China"),
        ({"locations": ["CN"], "cn_relatively_major_or_above": True, "aware_at": "2025-10-31T20:00:00Z"},
         "before 2025-11-01"),
    ],
)
def test_china_cac_measures_do_not_apply(facts, why):
    assert not keys_of("cn_cac", run(**facts)), why


def test_no_facts_beyond_awareness_trigger_nothing():
    assert run() == {}
