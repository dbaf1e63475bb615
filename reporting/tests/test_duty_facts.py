"""The facts of the duties added for issue 12, on an incident: a change of one through `regulatory_facts_update`
creates (or closes) the obligation, the organisation profile gives their defaults, and the command reads them."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from reporting import clock, services
from reporting.models import GdprRole, HipaaRole, Obligation, RegulatoryFacts
from reporting.services import clock_facts
from reporting.tests.factories import AWARE, breach_incident, keys

Status = Obligation.Status


def test_the_clock_accepts_exactly_the_stored_role_choices():
    assert set(clock.GDPR_ROLES) == set(GdprRole.values) - {""}
    assert set(clock.HIPAA_ROLES) == set(HipaaRole.values) - {""}


def test_every_new_moment_is_a_clock_date_time_and_the_service_sends_it():
    assert set(clock.AFTER_AWARENESS_KEYS) <= set(services.facts.MOMENTS) | {"classified_major_at"}
    assert set(services.facts.FACT_FIELDS) <= clock.KNOWN_KEYS


@pytest.mark.django_db
def test_an_extortion_payment_recorded_on_the_facts_creates_the_nydfs_500_17_c_obligations(compliance):
    incident = breach_incident(compliance)
    services.regulatory_facts_update(actor=compliance, incident=incident, nydfs_covered_entity=True)
    assert "nydfs_500_17.extortion_notice" not in keys(incident)
    paid = AWARE + timedelta(days=1)
    services.regulatory_facts_update(actor=compliance, incident=incident, extortion_payment_at=paid,
                                     expected_version=1)
    notice = incident.obligations.get(key="nydfs_500_17.extortion_notice")
    assert notice.status == Status.OPEN
    assert notice.due_at == paid + timedelta(hours=24)
    assert incident.obligations.get(key="nydfs_500_17.extortion_explanation").due_at == paid + timedelta(days=30)


@pytest.mark.django_db
def test_a_processor_role_closes_the_controllers_gdpr_obligations_and_opens_art_33_2(compliance):
    incident = breach_incident(compliance)
    assert "gdpr.notification" in keys(incident, Status.OPEN)
    services.regulatory_facts_update(actor=compliance, incident=incident, gdpr_role="processor")
    assert incident.obligations.get(key="gdpr.notification").status == Status.NOT_APPLICABLE
    processor = incident.obligations.get(key="gdpr.processor_notice")
    assert processor.status == Status.OPEN
    assert processor.due_at is None


@pytest.mark.django_db
def test_a_cra_final_report_waits_without_a_due_time_then_gets_one(compliance):
    aware = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    incident = breach_incident(compliance, aware_at=aware)
    services.regulatory_facts_update(actor=compliance, incident=incident, cra_manufacturer=True,
                                     actively_exploited_vulnerability=True)
    final = incident.obligations.get(key="cra.vulnerability_final")
    assert final.due_at is None
    fixed = aware + timedelta(days=3)
    services.regulatory_facts_update(actor=compliance, incident=incident, corrective_measure_available_at=fixed,
                                     expected_version=1)
    final.refresh_from_db()
    assert final.due_at == fixed + timedelta(days=14)


@pytest.mark.django_db
def test_the_facts_with_new_keys_run_through_the_command_give_the_stored_obligations(compliance, tmp_path):
    incident = breach_incident(compliance, jurisdictions=("DE", "US-NY"))
    services.regulatory_facts_update(
        actor=compliance, incident=incident, gdpr_role="processor", phi_breach=True, hipaa_role="covered_entity",
        state_residents_affected=900, nydfs_covered_entity=True, extortion_payment_at=AWARE + timedelta(hours=5),
        sec_registrant=True, materiality_determined_at=AWARE + timedelta(days=1),
        sec_delay_until=AWARE + timedelta(days=40))
    facts = clock_facts(incident)
    assert facts["gdpr_role"] == "processor"
    assert "adverse_decision_at" not in facts  # not given: left out
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    out = StringIO()
    call_command("regulatory_clock", "--facts", str(path), stdout=out)
    from_command = {o["key"]: o["due_at"] for o in json.loads(out.getvalue())}
    stored = {o.key: o.due_at for o in incident.obligations.exclude(status=Status.NOT_APPLICABLE)}
    assert set(from_command) == set(stored)
    assert {"hipaa.media", "nydfs_500_17.extortion_notice", "gdpr.processor_notice"} <= set(stored)
    assert stored["sec_8k.item_1_05"] == AWARE + timedelta(days=40)


def test_the_profile_gives_the_role_defaults(settings):
    settings.REGULATORY_PROFILE = ["cra_manufacturer", "gdpr_role=processor", "hipaa_role=business_associate"]
    defaults = RegulatoryFacts.profile_defaults()
    assert defaults["cra_manufacturer"] is True
    assert defaults["nis2_entity"] is False
    assert defaults["gdpr_role"] == "processor"
    assert defaults["hipaa_role"] == "business_associate"
    assert RegulatoryFacts.profile_problems() == []


def test_a_bad_profile_entry_is_named_by_the_system_check(settings):
    from reporting.profile import check_profile

    settings.REGULATORY_PROFILE = ["nis2_entity", "gdpr_role=owner", "shoe_size", "colour=red"]
    assert RegulatoryFacts.profile_defaults()["gdpr_role"] == ""
    errors = [e for e in check_profile() if e.id == "reporting.E203"]
    assert len(errors) == 3
    assert any("'owner' is not one of controller, processor" in e.msg for e in errors)
