"""Obligations follow the inventory: a change to an AI system the regulatory clock reads (risk class, Annex area,
operator role ...) or to its component links recomputes the obligations of every open incident involving it, in
the same transaction and with the rules of a change to the incident, without anyone touching the incidents."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, PostIncidentReview, RecoveryValidation, TimelineEvent
from inventory import services as inventory_services
from inventory.models import SystemComponent
from inventory.tests.admin.helpers import admin_url, form_data, page_text
from inventory.tests.factories import AISystemFactory, ComponentFactory
from portal.core import roles
from portal.core.history import save_tracked
from reporting import services
from reporting.models import Obligation
from reporting.tests.factories import AWARE, breach_incident, keys

pytestmark = pytest.mark.django_db
Status = Obligation.Status
ART_73 = "eu_ai_act_73"
# What Art. 73 asks of a provider for a serious incident in DE and FR: the report, and the complete report.
DUTIES = ["eu_ai_act_73.complete@DE", "eu_ai_act_73.complete@FR", "eu_ai_act_73.initial@DE",
          "eu_ai_act_73.initial@FR"]
HIGH_RISK = {"risk_class": "high_risk_annex_iii", "annex_iii_area": "employment",
             "risk_rationale": "Screens job applicants (Annex III point 4)."}


def _scorer(actor, **fields):
    return AISystemFactory(actor=actor, **{"name": "Credit scorer", "operator_role": "provider", **fields})


def _serious(actor, system, **fields):
    """A serious incident (harm to health) in DE and FR that involves `system`."""
    return breach_incident(actor, systems=[system], jurisdictions=("DE", "FR"), harms=["serious_health_harm"],
                           **fields)


def _art_73(incident, status=None):
    return [k for k in keys(incident, status) if k.startswith(ART_73)]


def _obligation_events(incident):
    return list(incident.timeline.filter(kind=TimelineEvent.Kind.OBLIGATION).order_by("id"))


def _reclassify(actor, system, **fields):
    return inventory_services.ai_system_update(actor=actor, system=system, **(fields or HIGH_RISK))


def _dismissed(actor, system):
    incident = _serious(actor, system)
    return incident_services.incident_transition(actor=actor, incident=incident, to="dismissed",
                                                 note="A test run of the monitoring, not an incident.")


def _closed(system, *, engineer, compliance):
    """A serious incident involving `system` walked to closed: recovery signed by two people, reviewed."""
    incident = _serious(compliance, system)
    for to in ("triaged", "contained", "investigating", "recovering"):
        incident_services.incident_transition(actor=engineer, incident=incident, to=to)
    now = timezone.now()
    save_tracked(RecoveryValidation(
        incident=incident, functional="passed", stress="passed", bias="passed", security="passed",
        engineering_signoff_by=engineer, engineering_signoff_at=now,
        compliance_signoff_by=compliance, compliance_signoff_at=now), actor=compliance)
    incident_services.incident_transition(actor=engineer, incident=incident, to="review")
    save_tracked(PostIncidentReview(incident=incident, root_cause="A drifted scoring model.",
                                    reviewed_by=compliance, reviewed_at=now), actor=compliance)
    return incident_services.incident_transition(actor=compliance, incident=incident, to="closed")


def test_reclassifying_a_system_as_high_risk_adds_art_73_duties_to_its_open_incidents(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    assert _art_73(incident) == []
    version, history_rows = incident.version, incident.history.count()

    _reclassify(compliance, system)

    assert _art_73(incident, Status.OPEN) == DUTIES
    assert incident.obligations.get(key="eu_ai_act_73.initial@DE").due_at == AWARE + timedelta(days=15)
    incident.refresh_from_db()
    assert (incident.version, incident.history.count()) == (version, history_rows)  # the incident was not edited


def test_the_timeline_says_which_change_to_the_system_brought_the_duties(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)

    _reclassify(compliance, system)

    event = _obligation_events(incident)[-1]
    reason = ("AI system Credit scorer changed: risk_class (minimal -> high_risk_annex_iii); "
              "annex_iii_area (none -> employment)")
    assert event.payload["reason"] == reason
    assert reason in event.summary
    assert sorted(event.payload["created"]) == DUTIES
    assert event.payload["cause"] == {"system": system.pk, "fields": ["risk_class", "annex_iii_area"],
                                      "components": []}
    assert (event.actor, event.flagged) == (compliance, True)  # a duty nobody edited the incident for: flagged


def test_the_new_duties_carry_history_naming_the_acting_user(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)

    _reclassify(compliance, system)

    for obligation in incident.obligations.filter(key__startswith=ART_73):
        (row,) = obligation.history.all()
        assert (row.history_type, row.history_user, row.status) == ("+", compliance, Status.OPEN)
        assert row.chain_hash


def test_reclassifying_a_system_in_the_admin_adds_art_73_duties_in_the_officers_name(client_as, compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("aisystem", "change", system.pk)
    data = form_data(client.get(url))
    data.update(HIGH_RISK)

    response = client.post(url, data)

    assert response.status_code == 302, page_text(response)
    assert _art_73(incident, Status.OPEN) == DUTIES
    row = incident.obligations.get(key="eu_ai_act_73.initial@DE").history.get()
    assert (row.history_user, row.history_source) == (compliance, "admin")
    event = _obligation_events(incident)[-1]
    assert (event.actor, event.source) == (compliance, "admin")


def test_a_submitted_art_73_duty_is_kept_when_the_system_is_reclassified_away(compliance):
    system = _scorer(compliance, **HIGH_RISK)
    incident = _serious(compliance, system)
    de = incident.obligations.get(key="eu_ai_act_73.initial@DE")
    services.obligation_submit(actor=compliance, obligation=de, submitted_at=AWARE + timedelta(days=2),
                               authority_reference="BNetzA-7", expected_version=de.version)

    _reclassify(compliance, system, risk_class="minimal", annex_iii_area="", risk_rationale="Re-assessed.")

    de.refresh_from_db()
    assert (de.status, de.authority_reference) == (Status.SUBMITTED, "BNetzA-7")
    assert "risk_class (high_risk_annex_iii -> minimal)" in de.no_longer_applies
    fr = incident.obligations.get(key="eu_ai_act_73.initial@FR")
    assert (fr.status, fr.closed_by_clock) == (Status.NOT_APPLICABLE, True)
    assert "AI system Credit scorer changed" in fr.rationale
    event = _obligation_events(incident)[-1]
    assert "eu_ai_act_73.initial@DE" in event.payload["kept_submitted"]
    assert "eu_ai_act_73.initial@FR" in event.payload["closed"]
    assert not event.flagged


def test_reclassifying_back_reopens_the_duties_the_clock_had_closed(compliance):
    system = _scorer(compliance, **HIGH_RISK)
    incident = _serious(compliance, system)
    _reclassify(compliance, system, risk_class="minimal", annex_iii_area="", risk_rationale="Re-assessed.")
    assert _art_73(incident, Status.OPEN) == []

    _reclassify(compliance, system)

    assert _art_73(incident, Status.OPEN) == DUTIES
    assert sorted(_obligation_events(incident)[-1].payload["reopened"]) == DUTIES


def test_closed_and_dismissed_incidents_are_left_as_they_were(compliance, role_users):
    system = _scorer(compliance)
    closed = _closed(system, engineer=role_users[roles.INCIDENT_RESPONDER], compliance=compliance)
    dismissed = _dismissed(compliance, system)
    assert (closed.status, dismissed.status) == ("closed", "dismissed")
    events = {i.pk: len(_obligation_events(i)) for i in (closed, dismissed)}
    still_open = _serious(compliance, system)

    _reclassify(compliance, system)

    for incident in (closed, dismissed):
        assert _art_73(incident) == []
        assert len(_obligation_events(incident)) == events[incident.pk]
    assert _art_73(still_open) == DUTIES


def test_a_change_the_clock_does_not_read_leaves_no_timeline_event(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    events = len(_obligation_events(incident))

    inventory_services.ai_system_update(actor=compliance, system=system, jurisdictions=["DE"],
                                        personal_data_categories=["financial"])

    assert len(_obligation_events(incident)) == events


def test_a_change_to_another_system_leaves_the_incident_alone(compliance):
    system, other = _scorer(compliance), AISystemFactory(actor=compliance, operator_role="provider")
    incident = _serious(compliance, system)

    _reclassify(compliance, other)

    assert _art_73(incident) == []


def test_an_operator_role_change_recomputes_like_a_risk_class_change(compliance):
    system = _scorer(compliance, **HIGH_RISK)
    incident = _serious(compliance, system)
    provider_stages = _art_73(incident, Status.OPEN)

    inventory_services.ai_system_update(actor=compliance, system=system, operator_role="distributor")

    assert _art_73(incident, Status.OPEN) == []
    assert set(_art_73(incident, Status.NOT_APPLICABLE)) == set(provider_stages)
    assert "operator_role (provider -> distributor)" in _obligation_events(incident)[-1].payload["reason"]


# --- component links ---------------------------------------------------------------------------------------
# The clock reads no fact of a component today, so a link change alone computes the same obligations. What the
# tests below show is that the incidents involving the system or the component are recomputed: their obligations
# are left stale first by a write outside the services (as rows written before this change were), and the link
# change brings them up to date.

def _stale_high_risk(system):
    """Reclassify `system` without the services: its incidents' obligations are now stale."""
    type(system).objects.filter(pk=system.pk).update(**HIGH_RISK)


def test_attaching_a_component_recomputes_the_open_incidents_of_its_system(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    _stale_high_risk(system)
    model = ComponentFactory(actor=compliance, name="scorer-model")

    inventory_services.system_component_attach(actor=compliance, system=system, component=model)

    assert _art_73(incident, Status.OPEN) == DUTIES
    event = _obligation_events(incident)[-1]
    assert event.payload["reason"] == "AI system Credit scorer changed: components (scorer-model 1.0 [Model] attached)"
    assert event.payload["cause"]["components"] == [model.pk]


def test_detaching_a_component_recomputes_the_open_incidents_that_name_it(compliance):
    system, other = _scorer(compliance), _scorer(compliance, name="Loan advisor")
    model = ComponentFactory(actor=compliance, name="shared-model")
    link = inventory_services.system_component_attach(actor=compliance, system=system, component=model)
    # the incident names the component and another system, not the system the component is detached from
    incident = _serious(compliance, other, components=[model])
    _stale_high_risk(other)

    inventory_services.system_component_detach(actor=compliance, link=link)

    assert _art_73(incident, Status.OPEN) == DUTIES
    assert _obligation_events(incident)[-1].payload["reason"] == (
        "AI system Credit scorer changed: components (shared-model 1.0 [Model] detached)")


def test_switching_a_link_off_recomputes_and_a_usage_change_does_not(compliance):
    system = _scorer(compliance)
    model = ComponentFactory(actor=compliance, name="scorer-model")
    link = inventory_services.system_component_attach(actor=compliance, system=system, component=model)
    incident = _serious(compliance, system)
    _stale_high_risk(system)

    inventory_services.system_component_update(actor=compliance, link=link, usage="primary model")
    assert _art_73(incident) == []

    inventory_services.system_component_update(actor=compliance, link=link, is_active=False)
    assert _art_73(incident, Status.OPEN) != []
    reason = _obligation_events(incident)[-1].payload["reason"]
    assert reason.endswith("components (scorer-model 1.0 [Model] deactivated)")


def test_an_aibom_import_that_links_components_recomputes_the_open_incidents_once(compliance):
    system = _scorer(compliance, slug="credit-scorer")
    incident = _serious(compliance, system)
    _stale_high_risk(system)
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "bom-ref": f"lib-{i}", "name": f"lib-{i}", "version": "1.0"} for i in range(3)]}

    inventory_services.aibom_import(actor=compliance, bom=bom, system_slug="credit-scorer")

    assert _art_73(incident, Status.OPEN) != []
    (event,) = [e for e in _obligation_events(incident) if "AIBOM" in e.payload["reason"]]
    assert event.payload["reason"] == "AI system Credit scorer changed: components (AIBOM import: 3 attached)"
    assert len(event.payload["cause"]["components"]) == 3
    assert SystemComponent.objects.filter(system=system).count() == 3


# --- one transaction, bounded queries ---------------------------------------------------------------------

def test_a_refused_reclassification_leaves_the_obligations_as_they_were(compliance):
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    with pytest.raises(ValidationError, match="Annex III area"):
        inventory_services.ai_system_update(actor=compliance, system=system, risk_class="high_risk_annex_iii",
                                            risk_rationale="No area given.")
    assert _art_73(incident) == []


def test_a_failed_recompute_undoes_the_reclassification(compliance, monkeypatch):
    """One transaction: the system is never high-risk without its incidents' duties."""
    from reporting.services import obligations

    system = _scorer(compliance)
    _serious(compliance, system)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(obligations, "obligations_apply", broken)
    with pytest.raises(RuntimeError):
        _reclassify(compliance, system)

    system.refresh_from_db()
    assert system.risk_class == "minimal"
    assert system.history.filter(risk_class="high_risk_annex_iii").count() == 0


def _recompute_queries(compliance, count) -> tuple[int, list[Incident]]:
    system = _scorer(compliance)
    incidents = [_serious(compliance, system, aware_at=AWARE + timedelta(minutes=i)) for i in range(count)]
    with CaptureQueriesContext(connection) as queries:
        _reclassify(compliance, system)
    return len(queries), incidents


@pytest.mark.parametrize("count", [3, 30])
def test_reclassifying_a_system_with_many_open_incidents_takes_a_bounded_number_of_queries(compliance, count):
    measured, incidents = _recompute_queries(compliance, count)

    assert measured <= 40, f"{measured} queries for {count} open incidents"
    for incident in incidents:
        assert _art_73(incident, Status.OPEN) == DUTIES
    assert TimelineEvent.objects.filter(incident__in=incidents, payload__reason__startswith="AI system").count() \
        == count


def test_the_query_count_does_not_grow_with_the_number_of_open_incidents(compliance):
    few, _ = _recompute_queries(compliance, 3)
    many, _ = _recompute_queries(compliance, 30)
    assert many == few


def test_the_bulk_recompute_leaves_nothing_for_the_single_incident_recompute_to_change(compliance):
    """The path of a change to the inventory (many incidents) and that of a change to the incident (one) apply
    the same rules: after the first, the second finds nothing to do."""
    system = _scorer(compliance)
    incident = _serious(compliance, system)
    _reclassify(compliance, system)

    result = services.obligations_sync(actor=compliance, incident=incident, reason="checked again")

    assert not result.changed
    assert timezone.is_aware(incident.obligations.first().created_at)
