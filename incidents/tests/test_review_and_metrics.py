"""Post-incident review (root cause, one review per incident, action items) and the response-time metrics."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.metrics import incident_metrics
from incidents.models import PostIncidentReview, TimelineEvent
from incidents.tests.factories import advance, open_incident, signed_validation

pytestmark = pytest.mark.django_db


@pytest.fixture
def compliance(role_users):
    return role_users["compliance officer"]


@pytest.fixture
def responder(role_users):
    return role_users["incident responder"]


@pytest.fixture
def in_review(responder, compliance):
    incident = advance(open_incident(responder), responder, "recovering")
    signed_validation(incident, engineering=responder, compliance=compliance)
    return services.incident_transition(actor=responder, incident=incident, to="review")


def _review_events(incident):
    return list(TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.REVIEW).order_by("id"))


@pytest.mark.parametrize("root_cause", ["", "   "])
def test_a_review_needs_its_root_cause(in_review, compliance, root_cause):
    with pytest.raises(ValidationError) as excinfo:
        services.review_record(actor=compliance, incident=in_review, root_cause=root_cause)
    assert "needs its root cause" in excinfo.value.message_dict["root_cause"][0]
    assert not PostIncidentReview.objects.exists()


def test_recording_twice_updates_the_one_review_with_history_and_timeline(in_review, compliance, responder):
    review = services.review_record(actor=compliance, incident=in_review, root_cause="Unfiltered KB article.",
                                    lessons="Sanitise retrieved text.", runbook_updated=True)
    assert review.reviewed_by == compliance and review.runbook_updated
    again = services.review_record(actor=responder, incident=in_review, root_cause="Unfiltered KB article.",
                                   lessons="Sanitise retrieved text.", runbook_updated=True,
                                   regression_case_added=True)
    assert again.pk == review.pk and PostIncidentReview.objects.count() == 1
    assert again.regression_case_added and again.reviewed_by == responder
    assert [h.history_user for h in again.history.order_by("history_id")] == [compliance, responder]
    created, updated = _review_events(in_review)
    assert (created.actor, created.payload["created"]) == (compliance, True)
    assert (updated.actor, updated.payload["fields"]) == (responder, ["regression_case_added"])


def test_recording_the_same_review_again_writes_nothing(in_review, compliance):
    services.review_record(actor=compliance, incident=in_review, root_cause="Cause.")
    services.review_record(actor=compliance, incident=in_review, root_cause="Cause.")
    assert PostIncidentReview.objects.get().history.count() == 1 and len(_review_events(in_review)) == 1


def test_a_dismissed_incident_has_no_review(responder):
    incident = open_incident(responder)
    services.incident_transition(actor=responder, incident=incident, to="dismissed", note="Test alert.")
    with pytest.raises(ValidationError) as excinfo:
        services.review_record(actor=responder, incident=incident, root_cause="None.")
    assert "dismissed" in excinfo.value.message_dict["incident"][0]


def test_action_items_have_an_owner_and_due_date_and_completing_records_when(in_review, compliance, responder):
    review = services.review_record(actor=compliance, incident=in_review, root_cause="No retry limit.")
    item = services.action_item_add(actor=compliance, review=review, description="Add a retry limit",
                                    owner=responder, due_on=date(2026, 6, 30))
    assert (item.owner, item.due_on, item.done_at) == (responder, date(2026, 6, 30), None)
    assert item.history.get().history_user == compliance
    done = services.action_item_complete(actor=responder, item=item)
    assert done.done_at is not None and item.done_at == done.done_at
    assert done.history.first().history_user == responder
    events = _review_events(in_review)
    assert events[-2].actor == compliance and "due 2026-06-30" in events[-2].summary
    assert events[-1].actor == responder and events[-1].payload["done"] is True
    with pytest.raises(ValidationError) as excinfo:
        services.action_item_complete(actor=responder, item=item)
    assert "already completed" in excinfo.value.message_dict["done_at"][0]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"owner": None}, "owner"),
    ({"due_on": None}, "due_on"),
    ({"description": ""}, "description"),
])
def test_an_action_item_without_its_facts_is_refused(in_review, compliance, responder, kwargs, field):
    review = services.review_record(actor=compliance, incident=in_review, root_cause="Cause.")
    values = {"description": "Fix it", "owner": responder, "due_on": date(2026, 7, 1), **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.action_item_add(actor=compliance, review=review, **values)
    assert field in excinfo.value.message_dict
    assert not review.action_items.exists()


def test_closing_is_refused_without_a_review_and_allowed_with_one(in_review, compliance):
    with pytest.raises(ValidationError) as excinfo:
        services.incident_transition(actor=compliance, incident=in_review, to="closed")
    assert "post-incident review" in excinfo.value.message_dict["status"][0]
    services.review_record(actor=compliance, incident=in_review, root_cause="Cause.")
    closed = services.incident_transition(actor=compliance, incident=in_review, to="closed")
    assert closed.status == "closed" and closed.closed_at is not None


def test_metrics_are_the_intervals_from_detection():
    t0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    incident = SimpleNamespace(occurred_at=t0, detected_at=t0 + timedelta(hours=3),
                               acknowledged_at=t0 + timedelta(hours=3, minutes=10),
                               contained_at=t0 + timedelta(hours=5), recovered_at=t0 + timedelta(days=2))
    assert incident_metrics(incident) == {
        "mttd": timedelta(hours=3), "mtta": timedelta(minutes=10), "mttc": timedelta(hours=2),
        "mttr": timedelta(days=2, hours=-3),
    }


def test_metrics_are_none_while_a_timestamp_is_missing(responder):
    incident = open_incident(responder)  # detected only: no occurrence, acknowledgement, containment, recovery
    assert incident_metrics(incident) == {"mttd": None, "mtta": None, "mttc": None, "mttr": None}
    services.incident_transition(actor=responder, incident=incident, to="triaged")
    metrics = incident_metrics(incident)
    assert metrics["mtta"] == incident.acknowledged_at - incident.detected_at and metrics["mttc"] is None
