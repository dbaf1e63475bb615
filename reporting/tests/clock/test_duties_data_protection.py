"""Duties added for issue 12 in the data-protection regimes: the processor's notice (GDPR / UK GDPR Art. 33(2)),
the EEA and UK dates of the GDPR, and HIPAA's media, business-associate and unknown-count cases."""

from datetime import timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc

BREACH = {"personal_data_breach": True, "risk_to_individuals": "high"}


@pytest.mark.parametrize(
    ("regime", "location", "role", "expected"),
    [
        # Art. 33(1), 34(1), 33(5): the controller's duties; a role not given is read as the controller.
        ("gdpr", "FR", None, {"gdpr.notification", "gdpr.data_subjects", "gdpr.record"}),
        ("gdpr", "FR", "controller", {"gdpr.notification", "gdpr.data_subjects", "gdpr.record"}),
        # Art. 33(2): the processor notifies the controller, and owes none of the controller's duties.
        ("gdpr", "FR", "processor", {"gdpr.processor_notice"}),
        ("uk_gdpr", "GB", "controller", {"uk_gdpr.notification", "uk_gdpr.data_subjects", "uk_gdpr.record"}),
        ("uk_gdpr", "GB", "processor", {"uk_gdpr.processor_notice"}),  # UK GDPR Art. 33(2)
    ],
)
def test_art_33_2_the_processor_notifies_the_controller_and_only_the_controller_notifies_the_authority(
        regime, location, role, expected):
    assert keys_of(regime, run(**BREACH, locations=[location], gdpr_role=role)) == expected


@pytest.mark.parametrize("risk", ["none", "risk", "high", None])
def test_art_33_2_the_processor_notice_does_not_depend_on_the_risk(risk):
    spec = run(personal_data_breach=True, risk_to_individuals=risk, locations=["DE"],
               gdpr_role="processor")["gdpr.processor_notice"]
    assert spec.unit == "without_undue_delay"
    assert spec.due_at is None
    assert spec.clock_starts_at == AWARE_AT
    assert spec.provision == "Reg. (EU) 2016/679 Art. 33(2)"
    assert spec.recipient.startswith("The controller")
    assert spec.source.startswith("https://")


def test_art_33_2_a_processor_without_a_breach_of_personal_data_owes_nothing():
    assert not keys_of("gdpr", run(personal_data_breach=False, locations=["DE"], gdpr_role="processor"))
