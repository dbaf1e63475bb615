"""Obligations on incidents: computed on open, recomputed when the facts change, never silently dropped once
submitted, marked submitted or not applicable by a compliance officer, and chained stages timed on submission."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents import services as incident_services
from incidents.models import TimelineEvent
from portal.core.concurrency import StaleRecordError
from reporting import services
from reporting.models import Obligation
from reporting.tests.factories import AWARE, breach_incident, high_risk_system, keys

pytestmark = pytest.mark.django_db
Status = Obligation.Status


def _get(incident, prefix):
    return incident.obligations.get(key=prefix)


def test_opening_a_breach_incident_computes_gdpr_obligations_with_history(compliance):
    incident = breach_incident(compliance)
    notification = _get(incident, "gdpr.notification")
    assert notification.due_at == AWARE + timedelta(hours=72)
    assert notification.status == Status.OPEN
    assert notification.reference_data_version
    assert notification.history.first().history_user == compliance
    assert incident.timeline.filter(kind=TimelineEvent.Kind.OBLIGATION).exists()


def test_an_incident_without_personal_data_owes_no_gdpr_notification(compliance):
    incident = breach_incident(compliance, personal_data_involved=False)
    assert not [k for k in keys(incident) if k.startswith("gdpr")]


def test_ai_act_notifications_fan_out_per_member_state(compliance):
    system = high_risk_system()
    incident = breach_incident(compliance, jurisdictions=("DE", "FR", "US-CA"), systems=[system],
                               harms=["serious_health_harm"])
    ai_act = [k for k in keys(incident) if k.startswith("eu_ai_act_73.initial")]
    assert ai_act == ["eu_ai_act_73.initial@DE", "eu_ai_act_73.initial@FR"]
    assert _get(incident, "eu_ai_act_73.initial@DE").due_at == AWARE + timedelta(days=15)


def test_changing_the_facts_recomputes_and_marks_dropped_open_obligations_not_applicable(compliance):
    incident = breach_incident(compliance, jurisdictions=("DE", "GB"))
    assert any(k.startswith("uk_gdpr") for k in keys(incident))
    incident_services.incident_update(actor=compliance, incident=incident, jurisdictions=["DE"])
    uk = incident.obligations.get(key="uk_gdpr.notification")
    assert uk.status == Status.NOT_APPLICABLE
    assert uk.closed_by_clock
    assert "jurisdictions" in uk.rationale


def test_an_obligation_closed_by_the_clock_reopens_when_the_facts_change_back(compliance):
    incident = breach_incident(compliance, jurisdictions=("DE", "GB"))
    incident_services.incident_update(actor=compliance, incident=incident, jurisdictions=["DE"])
    incident_services.incident_update(actor=compliance, incident=incident, jurisdictions=["DE", "GB"])
    uk = incident.obligations.get(key="uk_gdpr.notification")
    assert uk.status == Status.OPEN and not uk.closed_by_clock and uk.rationale == ""


def test_a_submitted_obligation_is_kept_when_the_facts_no_longer_call_for_it(compliance):
    incident = breach_incident(compliance, jurisdictions=("DE", "GB"))
    uk = incident.obligations.get(key="uk_gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=uk, submitted_at=AWARE + timedelta(hours=5),
                               authority_reference="ICO-123", expected_version=uk.version)
    incident_services.incident_update(actor=compliance, incident=incident, jurisdictions=["DE"])
    uk.refresh_from_db()
    assert uk.status == Status.SUBMITTED
    assert uk.authority_reference == "ICO-123"
    assert uk.no_longer_applies


def test_awareness_corrected_moves_open_deadlines_but_not_submitted_ones(compliance):
    incident = breach_incident(compliance, jurisdictions=("DE", "GB"))
    uk = incident.obligations.get(key="uk_gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=uk, submitted_at=AWARE + timedelta(hours=5),
                               expected_version=uk.version)
    later = AWARE + timedelta(hours=3)
    incident_services.incident_update(actor=compliance, incident=incident, aware_at=later)
    assert _get(incident, "gdpr.notification").due_at == later + timedelta(hours=72)
    uk.refresh_from_db()
    assert uk.due_at == AWARE + timedelta(hours=72)


def test_awareness_moved_after_a_submission_is_refused_naming_both_and_nothing_changes(compliance):
    incident = breach_incident(compliance, jurisdictions=("DE", "GB"))
    uk = incident.obligations.get(key="uk_gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=uk, submitted_at=AWARE + timedelta(hours=5),
                               expected_version=uk.version)
    with pytest.raises(ValidationError) as refused:
        incident_services.incident_update(actor=compliance, incident=incident, aware_at=AWARE + timedelta(hours=6))
    text = str(refused.value)
    assert "submitted.uk_gdpr.notification" in text and "before aware_at" in text
    incident.refresh_from_db()
    assert incident.aware_at == AWARE


def test_submitting_gives_the_chained_stage_its_due_time(compliance):
    incident = breach_incident(compliance)
    services.regulatory_facts_update(actor=compliance, incident=incident, nis2_entity=True,
                                     significant_incident=True)
    final = incident.obligations.get(key="nis2.final")
    assert final.due_at is None and final.clock_starts_at is None
    notification = incident.obligations.get(key="nis2.notification")
    submitted = AWARE + timedelta(hours=60)
    services.obligation_submit(actor=compliance, obligation=notification, submitted_at=submitted,
                               expected_version=notification.version)
    final.refresh_from_db()
    assert final.clock_starts_at == submitted
    assert final.due_at.date().isoformat() == "2026-10-04"


def test_a_late_submission_is_flagged_on_the_timeline(compliance):
    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=gdpr, submitted_at=AWARE + timedelta(hours=80),
                               expected_version=gdpr.version)
    event = incident.timeline.filter(kind=TimelineEvent.Kind.OBLIGATION, flagged=True).get()
    assert "late" in event.summary


def test_only_a_compliance_officer_marks_obligations(role_users):
    responder = role_users["incident responder"]
    incident = breach_incident(responder)
    with pytest.raises(ValidationError, match="compliance officer"):
        gdpr = _get(incident, "gdpr.notification")
        services.obligation_submit(actor=responder, obligation=gdpr, expected_version=gdpr.version)


def test_not_applicable_needs_a_rationale_and_is_kept_on_recompute(compliance):
    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    with pytest.raises(ValidationError, match="why"):
        services.obligation_mark_not_applicable(actor=compliance, obligation=gdpr, rationale=" ",
                                                expected_version=gdpr.version)
    services.obligation_mark_not_applicable(actor=compliance, obligation=gdpr,
                                            rationale="Data was encrypted; unlikely to result in a risk.",
                                            expected_version=gdpr.version)
    incident_services.incident_update(actor=compliance, incident=incident, data_subjects_affected=1300)
    gdpr.refresh_from_db()
    assert gdpr.status == Status.NOT_APPLICABLE and not gdpr.closed_by_clock


def test_submission_time_cannot_be_in_the_future_or_before_the_clock(compliance):
    from django.utils import timezone

    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    with pytest.raises(ValidationError, match="future"):
        services.obligation_submit(actor=compliance, obligation=gdpr,
                                   submitted_at=timezone.now() + timedelta(days=1), expected_version=gdpr.version)
    with pytest.raises(ValidationError, match="before the clock"):
        services.obligation_submit(actor=compliance, obligation=gdpr, submitted_at=AWARE - timedelta(hours=1),
                                   expected_version=gdpr.version)


def test_a_stale_obligation_change_is_refused(compliance):
    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    with pytest.raises(StaleRecordError):
        services.obligation_submit(actor=compliance, obligation=gdpr, expected_version=gdpr.version + 5)


def test_reopening_undoes_a_submission_and_keeps_the_history(compliance):
    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=gdpr, submitted_at=AWARE + timedelta(hours=1),
                               authority_reference="BfDI-1", expected_version=gdpr.version)
    services.obligation_reopen(actor=compliance, obligation=gdpr, reason="Filed with the wrong authority.")
    gdpr.refresh_from_db()
    assert gdpr.status == Status.OPEN and gdpr.submitted_at is None
    statuses = [h.status for h in gdpr.history.order_by("history_id")]
    assert statuses[-2:] == [Status.SUBMITTED, Status.OPEN]
    assert all(h.history_user == compliance for h in gdpr.history.all())


def test_entered_content_accepts_only_the_items_the_regime_asks_for(compliance):
    incident = breach_incident(compliance)
    gdpr = _get(incident, "gdpr.notification")
    entered = [i["key"] for i in gdpr.content_items if i["source"] == "entered"]
    assert entered, "GDPR Art. 33(3) asks for items the incident record does not hold"
    services.obligation_content_update(actor=compliance, obligation=gdpr, content={entered[0]: "Text"})
    gdpr.refresh_from_db()
    assert gdpr.content == {entered[0]: "Text"}
    with pytest.raises(ValidationError, match="Not an item"):
        services.obligation_content_update(actor=compliance, obligation=gdpr, content={"shoe_size": "42"})


def test_several_systems_are_evaluated_each_and_merged(compliance):
    provider = high_risk_system()
    gpai = high_risk_system(risk_class="gpai_systemic_risk", annex_iii_area="")
    incident = breach_incident(compliance, systems=[provider, gpai], harms=["serious_health_harm"])
    found = keys(incident)
    assert any(k.startswith("eu_ai_act_73.initial@DE") for k in found)
    assert any(k.startswith("eu_ai_act_55") for k in found)


def test_regulatory_facts_change_recomputes_and_leaves_history(compliance):
    incident = breach_incident(compliance)
    assert not any(k.startswith("dora") for k in keys(incident))
    row = services.regulatory_facts_update(actor=compliance, incident=incident, dora_financial_entity=True,
                                           classified_major_at=AWARE + timedelta(hours=2))
    assert incident.obligations.get(key="dora.initial").due_at == AWARE + timedelta(hours=6)
    assert row.history.first().history_user == compliance
    with pytest.raises(ValidationError):
        services.regulatory_facts_update(actor=compliance, incident=incident, shoe_size=42)


def test_only_a_compliance_officer_records_regulatory_facts(role_users, compliance):
    incident = breach_incident(compliance)
    with pytest.raises(ValidationError, match="compliance officer"):
        services.regulatory_facts_update(actor=role_users["incident responder"], incident=incident,
                                         nis2_entity=True)
