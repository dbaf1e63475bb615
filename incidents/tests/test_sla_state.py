"""The SLA state in the database: the services keep `sla_next_due_at` / `sla_next_warn_at` right across
transitions and severity changes, and the selector turns them into on track / due soon / breached / met."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import selectors, services, sla
from incidents.models import Incident, PostIncidentReview, RecoveryValidation
from portal.core.history import save_tracked

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", email="alice@example.org")


@pytest.fixture
def bob():
    return get_user_model().objects.create_user("bob", email="bob@example.org")


def _open(actor, severity="p1", ago=timedelta(0), **fields):
    base = {"title": "Jailbreak of the support bot", "track": "security", "incident_class": "jailbreak"}
    return services.incident_open(actor=actor, severity=severity, detected_at=timezone.now() - ago,
                                  **{**base, **fields})


def _state(incident):
    return selectors.incident_list().get(pk=incident.pk).sla_state


def test_the_selector_says_on_track_due_soon_or_breached_from_the_detection_time(alice):
    on_track = _open(alice, "p2", ago=timedelta(minutes=10))  # 4 h to acknowledge
    due_soon = _open(alice, "p1", ago=timedelta(minutes=50))  # 10 of 60 minutes left
    breached = _open(alice, "p0", ago=timedelta(minutes=20))  # 15 minutes to acknowledge
    assert (_state(on_track), _state(due_soon), _state(breached)) == ("on_track", "due_soon", "breached")
    assert list(selectors.incidents_with_sla_state("breached")) == [breached]


def test_the_stored_next_deadline_is_the_acknowledge_target_with_its_due_soon_moment(alice):
    incident = _open(alice, "p1", ago=timedelta(minutes=5))
    assert incident.sla_next_due_at == incident.acknowledge_due_at == incident.detected_at + timedelta(hours=1)
    assert incident.sla_next_warn_at == incident.detected_at + timedelta(minutes=45)


def test_acknowledging_moves_the_next_deadline_to_containment(alice):
    incident = _open(alice, "p0", ago=timedelta(minutes=20))
    assert _state(incident) == "breached"
    services.incident_transition(actor=alice, incident=incident, to="triaged")
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.sla_next_due_at == incident.contain_due_at == incident.detected_at + timedelta(hours=4)
    assert incident.sla_next_warn_at == incident.detected_at + timedelta(hours=3)
    assert _state(incident) == "on_track"


def test_containing_moves_the_next_deadline_to_resolution(alice):
    incident = _open(alice, "p1", ago=timedelta(hours=2))
    services.incident_transition(actor=alice, incident=incident, to="triaged")
    services.incident_transition(actor=alice, incident=incident, to="contained")
    incident.refresh_from_db()
    assert incident.sla_next_due_at == incident.resolve_due_at == incident.detected_at + timedelta(hours=72)


def test_raising_the_severity_recomputes_the_due_times_and_the_state(alice):
    incident = _open(alice, "p2", ago=timedelta(minutes=30))
    assert _state(incident) == "on_track"
    services.incident_update(actor=alice, incident=incident, expected_version=incident.version, severity="p0")
    incident.refresh_from_db()
    assert incident.acknowledge_due_at == incident.detected_at + timedelta(minutes=15)
    assert incident.sla_next_due_at == incident.acknowledge_due_at
    assert _state(incident) == "breached"


def test_lowering_the_severity_after_acknowledgement_keeps_the_next_deadline_on_containment(alice):
    incident = _open(alice, "p0", ago=timedelta(hours=3, minutes=30))
    services.incident_transition(actor=alice, incident=incident, to="triaged")
    assert _state(incident) == "due_soon"  # 30 of 240 minutes left to contain
    services.incident_update(actor=alice, incident=incident, severity="p2")
    incident.refresh_from_db()
    assert incident.sla_next_due_at == incident.contain_due_at == incident.detected_at + timedelta(hours=72)
    assert _state(incident) == "on_track"


def test_moving_the_detection_time_recomputes_the_deadline(alice):
    incident = _open(alice, "p1", ago=timedelta(minutes=5))
    earlier = incident.detected_at - timedelta(hours=2)
    services.incident_update(actor=alice, incident=incident, detected_at=earlier, aware_at=earlier)
    incident.refresh_from_db()
    assert incident.sla_next_due_at == earlier + timedelta(hours=1)
    assert _state(incident) == "breached"


def test_an_open_incident_with_every_target_met_says_met(alice):
    incident = _open(alice, "p1", ago=timedelta(hours=5))
    stamps = {name: incident.detected_at + timedelta(minutes=minutes)
              for name, minutes in (("acknowledged_at", 10), ("contained_at", 60), ("recovered_at", 240))}
    services.incident_update(actor=alice, incident=incident, **stamps)
    incident.refresh_from_db()
    assert (incident.sla_next_due_at, incident.sla_next_warn_at) == (None, None)
    assert _state(incident) == "met"


def test_a_dismissed_incident_has_no_sla_state(alice):
    incident = _open(alice, "p0", ago=timedelta(hours=1))
    services.incident_transition(actor=alice, incident=incident, to="dismissed", note="A test prompt, not an attack.")
    incident.refresh_from_db()
    assert incident.sla_next_due_at is None
    assert _state(incident) == ""
    assert incident not in selectors.incidents_with_sla_state("breached")


def _close(incident, *, engineer, compliance):
    for to in ("triaged", "contained", "investigating", "recovering"):
        services.incident_transition(actor=engineer, incident=incident, to=to)
    now = timezone.now()
    save_tracked(RecoveryValidation(
        incident=incident, functional="passed", stress="passed", bias="passed", security="passed",
        engineering_signoff_by=engineer, engineering_signoff_at=now,
        compliance_signoff_by=compliance, compliance_signoff_at=now), actor=compliance)
    services.incident_transition(actor=engineer, incident=incident, to="review")
    save_tracked(PostIncidentReview(incident=incident, root_cause="An unguarded system prompt.",
                                    reviewed_by=compliance, reviewed_at=now), actor=compliance)
    services.incident_transition(actor=compliance, incident=incident, to="closed")


def test_a_closed_incident_has_no_sla_state_even_when_its_targets_were_missed(alice, bob):
    incident = _open(alice, "p0", ago=timedelta(days=3))  # every target missed
    _close(incident, engineer=alice, compliance=bob)
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.sla_next_due_at is None
    assert _state(incident) == ""
    assert sla.target_state(due_at=incident.resolve_due_at, met_at=incident.recovered_at,
                            detected_at=incident.detected_at, now=timezone.now(), due_soon_share=0.25) == "missed"


def test_recovery_meets_the_last_target_before_the_incident_closes(alice, bob):
    incident = _open(alice, "p2", ago=timedelta(hours=1))
    _close(incident, engineer=alice, compliance=bob)
    history = Incident.history.filter(id=incident.pk, status="review").get()
    assert (history.sla_next_due_at, history.sla_next_warn_at) == (None, None)


@pytest.mark.parametrize("extra", [0, 3])
def test_the_selector_computes_the_state_in_the_database_at_a_constant_query_count(
        alice, django_assert_num_queries, extra):
    _open(alice, "p1", ago=timedelta(minutes=50))
    for _ in range(extra):
        _open(alice, "p3", ago=timedelta(minutes=30))
    with django_assert_num_queries(2):  # incidents with commander and state, then their systems
        states = [i.sla_state for i in selectors.incident_list()]
    assert sorted(states) == ["due_soon"] + ["on_track"] * extra
