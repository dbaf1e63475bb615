"""Opening, updating and moving incidents: references, timestamp order, versions, stamps and the timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import Incident, TimelineEvent
from inventory.tests.factories import AISystemFactory
from portal.core.concurrency import StaleRecordError

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def bob():
    return get_user_model().objects.create_user("bob")


def _open(actor, **fields):
    base = {"title": "Prompt injection in support bot", "track": "security", "incident_class": "prompt_injection",
            "severity": "p1"}
    return services.incident_open(actor=actor, **{**base, **fields})


def test_references_count_per_year_and_restart_each_year(alice):
    first = _open(alice, detected_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    second = _open(alice, detected_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    next_year = _open(alice, detected_at=datetime(2027, 1, 2, 9, tzinfo=UTC))
    assert (first.reference, second.reference, next_year.reference) == (
        "AIIR-2026-0001", "AIIR-2026-0002", "AIIR-2027-0001")


def test_opening_leaves_history_a_timeline_event_and_sla_due_times(alice):
    system = AISystemFactory()
    detected = timezone.now()
    incident = _open(alice, detected_at=detected, systems=[system], jurisdictions=["DE"])
    assert incident.status == "detected" and incident.version == 1
    assert incident.aware_at == detected  # defaults to detection
    assert incident.acknowledge_due_at == detected + timedelta(hours=1)
    assert incident.sla_next_due_at == incident.acknowledge_due_at
    assert {r.history_user for r in incident.history.all()} == {alice}
    event = incident.timeline.get()
    assert event.kind == "opened" and event.actor == alice


@pytest.mark.parametrize(
    ("fields", "field", "names"),
    [
        ({"occurred_at": datetime(2026, 5, 2, tzinfo=UTC), "detected_at": datetime(2026, 5, 1, tzinfo=UTC)},
         "detected_at", ("detected at", "occurred at")),
        ({"detected_at": datetime(2026, 5, 2, tzinfo=UTC), "acknowledged_at": datetime(2026, 5, 1, tzinfo=UTC)},
         "acknowledged_at", ("acknowledged at", "detected at")),
    ],
)
def test_out_of_order_timestamps_are_refused_naming_both_fields(alice, fields, field, names):
    with pytest.raises(ValidationError) as excinfo:
        _open(alice, **fields)
    message = excinfo.value.message_dict[field][0].lower()
    assert all(name in message for name in names)
    assert not Incident.objects.exists()


def test_an_update_out_of_order_is_refused_and_nothing_changes(alice):
    incident = _open(alice, detected_at=datetime(2026, 5, 1, 12, tzinfo=UTC))
    services.incident_transition(actor=alice, incident=incident, to="triaged",
                                 at=datetime(2026, 5, 1, 13, tzinfo=UTC))
    with pytest.raises(ValidationError) as excinfo:
        services.incident_update(actor=alice, incident=incident, contained_at=datetime(2026, 5, 1, 12, 30, tzinfo=UTC))
    assert "acknowledged at" in excinfo.value.message_dict["contained_at"][0]
    assert Incident.objects.get(pk=incident.pk).contained_at is None


def test_a_stale_update_is_refused_naming_who_changed_it(alice, bob):
    incident = _open(alice)
    services.incident_update(actor=bob, incident=incident, expected_version=1, title="Renamed by Bob")
    with pytest.raises(StaleRecordError) as excinfo:
        services.incident_update(actor=alice, incident=Incident.objects.get(pk=incident.pk), expected_version=1,
                                 title="Alice's title")
    assert "changed by bob" in str(excinfo.value) and "version 2" in str(excinfo.value)
    assert Incident.objects.get(pk=incident.pk).title == "Renamed by Bob"


def test_severity_change_recomputes_due_times_and_is_on_the_timeline(alice):
    incident = _open(alice, severity="p2")
    detected = incident.detected_at
    services.incident_update(actor=alice, incident=incident, severity="p0")
    assert incident.acknowledge_due_at == detected + timedelta(minutes=15)
    assert incident.version == 2
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert "severity_change" in kinds


def test_lifecycle_status_cannot_be_edited_directly(alice):
    incident = _open(alice)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_update(actor=alice, incident=incident, status="closed")
    assert "lifecycle" in excinfo.value.message_dict["status"][0]


def test_a_transition_stamps_its_timestamp_bumps_the_version_and_records_who(alice):
    incident = _open(alice)
    services.incident_transition(actor=alice, incident=incident, to="triaged")
    services.incident_transition(actor=alice, incident=incident, to="contained")
    assert incident.acknowledged_at and incident.contained_at and incident.version == 3
    assert incident.sla_next_due_at == incident.resolve_due_at  # acknowledged and contained: resolution is next
    change = incident.timeline.filter(kind="status_change").last()
    assert change.actor == alice and change.payload == {"from": "triaged", "to": "contained", "note": ""}
    assert incident.history.first().history_user == alice


def test_a_forbidden_transition_names_the_allowed_next_states(alice):
    incident = _open(alice)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_transition(actor=alice, incident=incident, to="recovering")
    message = excinfo.value.message_dict["status"][0]
    assert "allowed next states: triaged, dismissed" in message
    assert Incident.objects.get(pk=incident.pk).status == "detected"


def test_dismissal_needs_a_reason_and_closes_the_clock(alice):
    incident = _open(alice)
    with pytest.raises(ValidationError):
        services.incident_transition(actor=alice, incident=incident, to="dismissed")
    services.incident_transition(actor=alice, incident=incident, to="dismissed", note="Red-team exercise")
    assert incident.status == "dismissed" and incident.closed_at and incident.sla_next_due_at is None


def test_recovery_to_review_is_refused_without_a_signed_validation(alice):
    incident = _open(alice)
    for state in ("triaged", "contained", "investigating", "recovering"):
        services.incident_transition(actor=alice, incident=incident, to=state)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_transition(actor=alice, incident=incident, to="review")
    assert "two different people" in excinfo.value.message_dict["status"][0]


def test_notes_are_timeline_events_and_blank_notes_are_refused(alice):
    incident = _open(alice)
    services.incident_note(actor=alice, incident=incident, text="Customer called back.")
    with pytest.raises(ValidationError):
        services.incident_note(actor=alice, incident=incident, text="   ")
    assert TimelineEvent.objects.filter(incident=incident, kind="note").count() == 1


def test_timeline_events_are_append_only(alice):
    event = _open(alice).timeline.get()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_unknown_jurisdictions_and_bad_harms_are_refused(alice):
    with pytest.raises(ValidationError) as excinfo:
        _open(alice, jurisdictions=["ZZ"])
    assert "ZZ" in excinfo.value.message_dict["jurisdictions"][0]
    with pytest.raises(ValidationError) as excinfo:
        _open(alice, harms=["death", "boredom"])
    assert "boredom" in excinfo.value.message_dict["harms"][0]
