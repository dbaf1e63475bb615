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
