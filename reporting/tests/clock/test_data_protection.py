"""Personal-data and health-data breaches: GDPR Arts. 33-34, UK GDPR, HIPAA."""

from datetime import timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ("none", {"gdpr.record"}),
        ("risk", {"gdpr.notification", "gdpr.record"}),
        ("high", {"gdpr.notification", "gdpr.data_subjects", "gdpr.record"}),
        (None, {"gdpr.notification", "gdpr.record"}),
    ],
)
def test_gdpr_obligations_follow_the_risk_to_individuals(risk, expected):
    specs = run(personal_data_breach=True, risk_to_individuals=risk, locations=["FR"])
    assert keys_of("gdpr", specs) == expected


def test_gdpr_notification_is_due_72_hours_after_awareness():
    spec = run(personal_data_breach=True, risk_to_individuals="risk", locations=["IE"])["gdpr.notification"]
    assert spec.due_at == AWARE_AT + timedelta(hours=72)
    assert spec.unit == "hours"
    assert spec.jurisdiction == "EEA"
    assert spec.verification == "primary"
    assert not spec.uncertain
    assert [item.key for item in spec.content][:2] == ["nature", "data_categories"]
    assert {item.provision for item in spec.content} >= {"Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)",
                                                         "Art. 33(3)(d)"}


def test_an_unassessed_risk_shows_the_notification_as_due_but_uncertain():
    spec = run(personal_data_breach=True, locations=["FR"])["gdpr.notification"]
    assert spec.uncertain
    assert "risk_to_individuals is not given" in spec.note


def test_data_subjects_and_the_breach_record_have_no_fixed_deadline():
    specs = run(personal_data_breach=True, risk_to_individuals="high", locations=["FR"])
    assert specs["gdpr.data_subjects"].due_at is None
    assert specs["gdpr.data_subjects"].unit == "without_undue_delay"
    assert specs["gdpr.record"].due_at is None
    assert specs["gdpr.record"].unit == "record"
    assert "not notified" in specs["gdpr.record"].rule


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        ({"personal_data_breach": False, "risk_to_individuals": "high", "locations": ["FR"]}, "no personal data"),
        ({"risk_to_individuals": "high", "locations": ["FR"]}, "personal_data_breach not given"),
        ({"personal_data_breach": True, "risk_to_individuals": "high", "locations": ["US", "GB"]}, "outside the EEA"),
        ({"personal_data_breach": True, "risk_to_individuals": "high", "locations": ["FR"],
          "aware_at": "2018-05-24T12:00:00Z"}, "before the GDPR applied"),
    ],
)
def test_gdpr_does_not_apply(facts, why):
    assert not keys_of("gdpr", run(**facts)), why


def test_an_eea_country_outside_the_eu_counts_for_the_gdpr_but_not_for_the_ai_act():
    specs = run(personal_data_breach=True, risk_to_individuals="risk", locations=["NO"],
                operator_role="provider", risk_class="high_risk_annex_iii", harms=["death"])
    assert "gdpr.notification" in specs
    assert not keys_of("eu_ai_act_73", specs)


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        ("none", {"uk_gdpr.record"}),
        ("risk", {"uk_gdpr.notification", "uk_gdpr.record"}),
        ("high", {"uk_gdpr.notification", "uk_gdpr.data_subjects", "uk_gdpr.record"}),
    ],
)
def test_uk_gdpr_follows_the_risk_to_individuals(risk, expected):
    assert keys_of("uk_gdpr", run(personal_data_breach=True, risk_to_individuals=risk, locations=["GB"])) == expected


def test_uk_gdpr_notifies_the_ico_within_72_hours_alongside_the_eu_gdpr():
    specs = run(personal_data_breach=True, risk_to_individuals="risk", locations=["GB", "DE"])
    spec = specs["uk_gdpr.notification"]
    assert spec.due_at == AWARE_AT + timedelta(hours=72)
    assert spec.recipient.startswith("Information Commissioner's Office")
    assert spec.verification == "secondary"
    assert "gdpr.notification" in specs


def test_uk_gdpr_needs_gb_among_the_locations():
    assert not keys_of("uk_gdpr", run(personal_data_breach=True, risk_to_individuals="high", locations=["IE"]))


def test_hipaa_individual_notice_is_due_60_calendar_days_after_discovery():
    spec = run(phi_breach=True)["hipaa.individuals"]
    assert spec.due_at == AWARE_AT + timedelta(days=60)
    assert spec.unit == "calendar_days"
    assert spec.provision == "45 CFR 164.404(b)"


@pytest.mark.parametrize(
    ("affected", "aware_at", "key", "due_at"),
    [
        (500, "2027-03-02T10:00:00Z", "hipaa.hhs", utc(2027, 5, 1, 10, 0)),
        (12000, "2027-03-02T10:00:00Z", "hipaa.hhs", utc(2027, 5, 1, 10, 0)),
        (499, "2027-03-02T10:00:00Z", "hipaa.hhs_annual", utc(2028, 3, 1, 0, 0)),  # 2028 is a leap year
        (3, "2026-12-31T23:00:00Z", "hipaa.hhs_annual", utc(2027, 3, 2, 0, 0)),  # end of 1 March 2027
    ],
)
def test_hipaa_hhs_notice_depends_on_the_number_of_individuals(affected, aware_at, key, due_at):
    # No State has more than 500 residents affected, so no media notice (164.406).
    specs = run(phi_breach=True, individuals_affected=affected, state_residents_affected=min(affected, 500),
                aware_at=aware_at)
    assert keys_of("hipaa", specs) == {"hipaa.individuals", key}
    assert specs[key].due_at == due_at


def test_hipaa_hhs_notice_is_shown_as_uncertain_when_the_number_of_individuals_is_unknown():
    specs = run(phi_breach=True)
    assert keys_of("hipaa", specs) == {"hipaa.individuals", "hipaa.hhs", "hipaa.media"}
    assert specs["hipaa.hhs"].uncertain
    assert "individuals_affected is not given" in specs["hipaa.hhs"].note
