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
    if uncertain:
        assert "120 days" in spec.note


def test_sec_delay_alone_does_not_create_the_filing():
    assert not keys_of("sec_8k", run(sec_registrant=True, sec_delay_until="2027-04-08T22:30:00Z"))
    assert AWARE_AT < SEC_DUE
