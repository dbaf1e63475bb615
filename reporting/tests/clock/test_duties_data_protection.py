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


@pytest.mark.parametrize(
    ("locations", "aware_at", "gdpr", "uk_gdpr"),
    [
        # EEA Joint Committee Decision No 154/2018, in force 2018-07-20: the GDPR in Iceland, Liechtenstein, Norway.
        (["NO"], "2018-07-19T23:00:00Z", False, False),
        (["NO"], "2018-07-20T00:00:00Z", True, False),
        (["IS"], "2018-06-01T10:00:00Z", False, False),
        (["LI"], "2018-08-01T10:00:00Z", True, False),
        (["FR", "NO"], "2018-06-01T10:00:00Z", True, False),  # Art. 99(2): in the EU from 2018-05-25
        (["FR"], "2018-05-24T10:00:00Z", False, False),
        # The EU GDPR in the United Kingdom until 2020-12-31 (Withdrawal Agreement Arts. 126-127), UK GDPR after.
        (["GB"], "2018-05-25T10:00:00Z", True, False),
        (["GB-SCT"], "2020-12-31T23:59:00Z", True, False),
        (["GB"], "2021-01-01T00:00:00Z", False, True),
        (["GB", "IE"], "2021-01-01T00:00:00Z", True, True),
        (["US"], "2019-01-01T00:00:00Z", False, False),
    ],
)
def test_gdpr_dates_in_the_eea_efta_states_and_the_united_kingdom(locations, aware_at, gdpr, uk_gdpr):
    specs = run(**BREACH, locations=locations, aware_at=aware_at)
    assert bool(keys_of("gdpr", specs)) is gdpr
    assert bool(keys_of("uk_gdpr", specs)) is uk_gdpr
    if gdpr:
        assert keys_of("gdpr", specs) == {"gdpr.notification", "gdpr.data_subjects", "gdpr.record"}


def test_gdpr_dates_apply_to_the_processor_notice_too():
    # Art. 33(2) in Norway before the EEA incorporation: not yet owed.
    assert not keys_of("gdpr", run(**BREACH, locations=["NO"], aware_at="2018-07-01T10:00:00Z",
                                   gdpr_role="processor"))
    assert keys_of("gdpr", run(**BREACH, locations=["NO"], aware_at="2018-08-01T10:00:00Z",
                               gdpr_role="processor")) == {"gdpr.processor_notice"}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # 164.406(a): more than 500 residents of one State or jurisdiction -> the media.
        ({"individuals_affected": 900, "state_residents_affected": 501},
         {"hipaa.individuals", "hipaa.hhs", "hipaa.media"}),
        ({"individuals_affected": 900, "state_residents_affected": 500}, {"hipaa.individuals", "hipaa.hhs"}),
        ({"individuals_affected": 300, "state_residents_affected": 300}, {"hipaa.individuals", "hipaa.hhs_annual"}),
        # State residents unknown: shown while the total could exceed 500 in one State.
        ({"individuals_affected": 900}, {"hipaa.individuals", "hipaa.hhs", "hipaa.media"}),
        ({"individuals_affected": 501}, {"hipaa.individuals", "hipaa.hhs", "hipaa.media"}),
        ({"individuals_affected": 500}, {"hipaa.individuals", "hipaa.hhs"}),
        # 164.408(b): the number affected unknown -> the HHS notice still shows (marked uncertain), as does the media.
        ({}, {"hipaa.individuals", "hipaa.hhs", "hipaa.media"}),
        # 164.410: a business associate notifies the covered entity and owes none of the covered entity's notices.
        ({"hipaa_role": "business_associate", "individuals_affected": 900, "state_residents_affected": 900},
         {"hipaa.covered_entity"}),
        ({"hipaa_role": "business_associate"}, {"hipaa.covered_entity"}),
        ({"hipaa_role": "covered_entity", "individuals_affected": 10, "state_residents_affected": 10},
         {"hipaa.individuals", "hipaa.hhs_annual"}),
    ],
)
def test_hipaa_media_business_associate_and_unknown_counts(facts, expected):
    assert keys_of("hipaa", run(phi_breach=True, **facts)) == expected


@pytest.mark.parametrize(
    ("key", "facts", "provision", "uncertain"),
    [
        ("hipaa.media", {"individuals_affected": 900, "state_residents_affected": 700}, "45 CFR 164.406", False),
        ("hipaa.media", {"individuals_affected": 900}, "45 CFR 164.406", True),
        ("hipaa.covered_entity", {"hipaa_role": "business_associate"}, "45 CFR 164.410", False),
        ("hipaa.hhs", {}, "45 CFR 164.408(b)", True),
        ("hipaa.hhs", {"individuals_affected": 800}, "45 CFR 164.408(b)", False),
    ],
)
def test_hipaa_notices_are_due_60_calendar_days_after_discovery(key, facts, provision, uncertain):
    spec = run(phi_breach=True, **facts)[key]
    assert spec.due_at == AWARE_AT + timedelta(days=60)
    assert spec.unit == "calendar_days"
    assert spec.provision == provision
    assert spec.uncertain is uncertain


def test_hipaa_no_notice_without_a_breach_of_unsecured_phi():
    assert not keys_of("hipaa", run(phi_breach=False, hipaa_role="business_associate", individuals_affected=900))


def test_hipaa_unknown_state_residents_is_explained():
    spec = run(phi_breach=True, individuals_affected=900)["hipaa.media"]
    assert "state_residents_affected" in spec.note
    assert utc(2027, 5, 1, 10, 0) == spec.due_at
