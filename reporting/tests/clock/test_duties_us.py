"""Duties added for issue 12 in the US regimes: the NYDFS extortion payment, the SEC Attorney General's delay and
Colorado's algorithmic-discrimination and adverse-decision notices."""

from datetime import timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc

PAID = "2027-03-03T15:30:00Z"
PAID_AT = utc(2027, 3, 3, 15, 30)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # 500.17(a)(1) alone: no extortion payment.
        ({}, {"nydfs_500_17.notice"}),
        # 500.17(c)(1) and (2): a payment adds the 24-hour notice and the 30-day explanation.
        ({"extortion_payment_at": PAID},
         {"nydfs_500_17.notice", "nydfs_500_17.extortion_notice", "nydfs_500_17.extortion_explanation"}),
        # Not a covered entity: nothing, payment or not.
        ({"nydfs_covered_entity": False, "extortion_payment_at": PAID}, set()),
        # A payment before the 2023 amendment's notice requirements applied (2023-12-01).
        ({"aware_at": "2023-11-01T10:00:00Z", "extortion_payment_at": "2023-11-02T10:00:00Z"},
         {"nydfs_500_17.notice"}),
    ],
)
def test_nydfs_500_17_c_extortion_payment_stages(facts, expected):
    facts = {"nydfs_covered_entity": True, **facts}
    assert keys_of("nydfs_500_17", run(**facts)) == expected


@pytest.mark.parametrize(
    ("stage", "due_at", "verification"),
    [
        ("extortion_notice", PAID_AT + timedelta(hours=24), "primary"),  # 500.17(c)(1)
        ("extortion_explanation", PAID_AT + timedelta(days=30), "secondary"),  # 500.17(c)(2)
    ],
)
def test_nydfs_500_17_c_deadlines_run_from_the_payment(stage, due_at, verification):
    spec = run(nydfs_covered_entity=True, extortion_payment_at=PAID)[f"nydfs_500_17.{stage}"]
    assert spec.clock_start_event == "extortion_payment_at"
    assert spec.clock_starts_at == PAID_AT
    assert spec.due_at == due_at
    assert spec.verification == verification
    assert spec.recipient.startswith("Superintendent")


SEC = {"sec_registrant": True, "materiality_determined_at": "2027-03-03T10:00:00Z"}
SEC_DUE = utc(2027, 3, 9, 22, 30)  # 4 business days, 17:30 New York (EST)


@pytest.mark.parametrize(
    ("delay_until", "due_at", "uncertain"),
    [
        (None, SEC_DUE, False),  # Item 1.05(a): no delay
        ("2027-04-08T22:30:00Z", utc(2027, 4, 8, 22, 30), False),  # Item 1.05(c): 30 days
        ("2027-07-07T22:30:00Z", utc(2027, 7, 7, 22, 30), False),  # Item 1.05(c): 30 + 30 + 60 days
        ("2027-07-08T22:30:00Z", utc(2027, 7, 8, 22, 30), True),  # beyond 120 days: used, and questioned
        ("2027-03-05T10:00:00Z", SEC_DUE, False),  # a delay ending before the due time does not move it
    ],
)
def test_sec_item_1_05_c_the_attorney_generals_delay_moves_the_due_time(delay_until, due_at, uncertain):
    spec = run(**SEC, sec_delay_until=delay_until)["sec_8k.item_1_05"]
    assert spec.due_at == due_at
    assert spec.uncertain is uncertain
    assert spec.clock_start_event == "materiality_determined_at"
    if delay_until and due_at != SEC_DUE:
        assert "Item 1.05(c)" in spec.rule
        assert "Delayed under Form 8-K Item 1.05(c)" in spec.note
    if uncertain:
        assert "120 days" in spec.note


def test_sec_delay_alone_does_not_create_the_filing():
    assert not keys_of("sec_8k", run(sec_registrant=True, sec_delay_until="2027-04-08T22:30:00Z"))
    assert AWARE_AT < SEC_DUE


@pytest.mark.parametrize(
    ("role", "aware_at", "discovered_at"),
    [
        ("provider", "2026-07-01T10:00:00Z", "2026-07-02T10:00:00Z"),  # 6-1-1702(7): developer, after 2026-06-30
        ("deployer", "2026-07-01T10:00:00Z", "2026-07-02T10:00:00Z"),  # 6-1-1703(7): deployer
        ("deployer", "2027-03-02T10:00:00Z", "2027-03-03T10:00:00Z"),
        ("provider", "2026-06-29T10:00:00Z", "2026-06-29T12:00:00Z"),
    ],
)
def test_colorado_sb_24_205_never_applies_because_it_was_repealed_before_its_effective_date(
        role, aware_at, discovered_at):
    specs = run(locations=["US-CO"], operator_role=role, aware_at=aware_at,
                algorithmic_discrimination_discovered_at=discovered_at)
    assert not keys_of("co_sb24_205", specs)


def test_colorado_sb_24_205_is_kept_as_a_superseded_rule_with_its_reason():
    from reporting.clock import load_regimes

    regime = next(r for r in load_regimes() if r.code == "co_sb24_205")
    for stage in regime.stages:
        assert stage.applies_until < stage.applies_from
        assert "SB 26-189" in stage.superseded
        assert stage.uncertain
        assert stage.value == 90


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # SB 26-189: the deployer's notice to the consumer after an adverse outcome, from 2027-01-01.
        ({"operator_role": "deployer"}, {"co_sb26_189.adverse_outcome_notice"}),
        ({}, {"co_sb26_189.adverse_outcome_notice"}),  # role not given: shown, with a caution
        ({"operator_role": "provider"}, set()),  # a developer only documents
        ({"operator_role": "deployer", "locations": ["US-CA"]}, set()),
        ({"operator_role": "deployer", "adverse_decision_at": None}, set()),
        # A decision before the Act's effective date.
        ({"operator_role": "deployer", "aware_at": "2026-12-31T10:00:00Z",
          "adverse_decision_at": "2026-12-31T09:00:00Z"}, set()),
    ],
)
def test_colorado_sb_26_189_adverse_outcome_notice_applies(facts, expected):
    facts = {"locations": ["US-CO"], "adverse_decision_at": "2027-03-01T09:00:00Z", **facts}
    assert keys_of("co_sb26_189", run(**facts)) == expected


def test_colorado_sb_26_189_notice_is_due_30_days_after_the_adverse_decision_and_uncertain():
    spec = run(locations=["US-CO"], operator_role="deployer",
               adverse_decision_at="2027-03-01T09:00:00Z")["co_sb26_189.adverse_outcome_notice"]
    assert spec.due_at == utc(2027, 3, 31, 9, 0)
    assert spec.uncertain
    assert spec.verification == "secondary"
    assert "2027-01-01" in spec.note
