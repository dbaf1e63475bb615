"""Bulk changes of affected records: named records all or nothing with their versions, or every record a filter
matches as seen at a moment (records changed since are left alone and counted), each changed record with its history
row naming the user and one timeline event per incident."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import TimelineEvent
from incidents.tests.factories import open_incident
from portal.core import roles
from portal.core.concurrency import StaleRecordError
from portal.core.jobs.models import Job, JobState
from remediation import selectors
from remediation.models import AffectedRecord
from remediation.services import affected_record_move
from remediation.services.bulk import affected_records_bulk_change, predecessors
from remediation.services.records import affected_record_create
from remediation.states import State
from remediation.tasks import bulk_change_start
from remediation.tests.factories import affected_record

pytestmark = pytest.mark.django_db



def _records(actor, incident, n, **fields):
    return [affected_record(actor, incident=incident, external_id=f"loan-{i}", **fields) for i in range(n)]


def _past():
    return timezone.now() + timedelta(seconds=1)


def test_a_filter_moves_every_matching_record_and_leaves_history_naming_the_user(compliance, incident):
    records = _records(compliance, incident, 3)
    other = open_incident(compliance)
    untouched = affected_record(compliance, incident=other, external_id="other")
    result = affected_records_bulk_change(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                          filters={"incident": str(incident.pk)}, as_of=_past(), note="batch 1")
    assert result.changed == 3
    for record in records:
        record.refresh_from_db()
        assert (record.state, record.version, record.note) == (State.UNDER_RE_REVIEW, 2, "batch 1")
        latest = record.history.order_by("-history_id").first()
        assert (latest.history_type, latest.history_user, latest.state) == ("~", compliance, State.UNDER_RE_REVIEW)
    untouched.refresh_from_db()
    assert untouched.state == State.IDENTIFIED
    event = TimelineEvent.objects.filter(incident=incident, payload__bulk_change="move").get()
    assert "3 affected records moved to under re-review" in event.summary
    assert not TimelineEvent.objects.filter(incident=other, payload__bulk_change="move").exists()


def test_a_record_changed_after_the_selection_was_seen_is_left_alone_and_counted(compliance, role_users, incident):
    first, second = _records(compliance, incident, 2)
    seen = timezone.now()
    responder = role_users[roles.INCIDENT_RESPONDER]
    affected_record_move(actor=responder, record=second, to=State.UNDER_RE_REVIEW, expected_version=1)
    result = affected_records_bulk_change(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                          filters={"incident": str(incident.pk)}, as_of=seen)
    assert (result.changed, result.changed_since) == (1, 0)  # the changed one is no longer in a state that can move
    assert result.not_allowed == {State.UNDER_RE_REVIEW: 1}
    result = affected_records_bulk_change(actor=compliance, action="assign", reviewer=responder.pk,
                                          filters={"incident": str(incident.pk)}, as_of=seen)
    assert (result.changed, result.changed_since) == (0, 2)
    assert "2 changed by someone else since the selection left alone" in result.summary()
    first.refresh_from_db()
    assert first.reviewer is None


def test_records_added_after_the_selection_was_seen_are_not_changed(compliance, incident):
    seen = timezone.now() - timedelta(seconds=5)
    late = affected_record(compliance, incident=incident)
    result = affected_records_bulk_change(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                          filters={"incident": str(incident.pk)}, as_of=seen)
    assert (result.changed, result.changed_since) == (0, 1)
    late.refresh_from_db()
    assert late.state == State.IDENTIFIED


def test_named_records_with_a_stale_version_refuse_the_whole_change(compliance, incident):
    first, second = _records(compliance, incident, 2)
    affected_record_move(actor=compliance, record=second, to=State.UNDER_RE_REVIEW, expected_version=1)
    with pytest.raises(StaleRecordError, match=r"loan-1 \(id \d+: now version 2, yours 1\)"):
        affected_records_bulk_change(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                     records=[[first.pk, 1], [second.pk, 1]])
    first.refresh_from_db()
    assert first.state == State.IDENTIFIED and first.version == 1


def test_named_records_that_cannot_move_there_are_named_with_the_allowed_states(compliance, incident):
    (record,) = _records(compliance, incident, 1)
    with pytest.raises(ValidationError) as refused:
        affected_records_bulk_change(actor=compliance, action="move", to=State.CLOSED, records=[[record.pk, 1]])
    assert "From identified the record can move to: under re-review" in refused.value.message_dict["state"][0]


def test_named_records_move_together_with_their_versions(compliance, incident):
    records = _records(compliance, incident, 2)
    result = affected_records_bulk_change(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                          records=[{"id": r.pk, "version": r.version} for r in records])
    assert result.changed == 2
    assert set(AffectedRecord.objects.values_list("state", flat=True)) == {State.UNDER_RE_REVIEW}


@pytest.mark.parametrize(("values", "field"), [
    ({"action": "delete"}, "action"),
    ({"action": "move", "to": "gone"}, "to"),
    ({"action": "move", "to": "closed", "note": "a\x00b", "records": [[1, 1]]}, "note"),
    ({"action": "move", "to": "closed", "records": [[1, 1]], "filters": {}}, "records"),
    ({"action": "move", "to": "closed", "records": [["x", 1]]}, "records"),
    ({"action": "move", "to": "closed", "records": [[2**64, 1]]}, "records"),
    ({"action": "move", "to": "closed", "records": [[1, 1], [1, 2]]}, "records"),
    ({"action": "move", "to": "closed", "records": []}, "records"),
    ({"action": "move", "to": "closed", "filters": {"state": "nope"}, "as_of": "2026-01-01T00:00:00+00:00"}, "state"),
    ({"action": "move", "to": "closed", "filters": {"colour": "red"}, "as_of": "2026-01-01T00:00:00+00:00"},
     "colour"),
    ({"action": "move", "to": "closed", "filters": {"incident": "1"}}, "as_of"),
    ({"action": "move", "to": "closed", "filters": {"incident": "1"}, "as_of": "2026-01-01T00:00:00"}, "as_of"),
    ({"action": "move", "to": "closed", "filters": {"incident": "1"}, "as_of": "3026-01-01T00:00:00+00:00"},
     "as_of"),
    ({"action": "assign", "reviewer": "abc", "records": [[1, 1]]}, "reviewer"),
    ({"action": "assign", "reviewer": 10**12, "records": [[1, 1]]}, "reviewer"),
])
def test_a_bad_bulk_change_is_refused_naming_the_field(compliance, values, field):
    with pytest.raises(ValidationError) as refused:
        affected_records_bulk_change(actor=compliance, **values)
    assert field in refused.value.message_dict


def test_only_a_worker_of_the_ledger_can_be_a_reviewer_or_change_in_bulk(compliance, role_users, incident):
    (record,) = _records(compliance, incident, 1)
    with pytest.raises(ValidationError, match="not an active"):
        affected_records_bulk_change(actor=compliance, action="assign", reviewer=role_users[roles.AUDITOR].pk,
                                     records=[[record.pk, 1]])
    with pytest.raises(ValidationError, match="Only a compliance officer"):
        affected_records_bulk_change(actor=role_users[roles.LEGAL_REVIEWER], action="assign", reviewer=None,
                                     records=[[record.pk, 1]])


def test_a_reviewers_queue_is_selected_by_me_or_none(compliance, role_users, incident):
    responder = role_users[roles.INCIDENT_RESPONDER]
    mine, _ = _records(compliance, incident, 2)
    affected_records_bulk_change(actor=compliance, action="assign", reviewer=responder, records=[[mine.pk, 1]])
    queue = selectors.ledger_records(selectors.clean_filters({"reviewer": "me"}, actor=responder))
    assert list(queue.values_list("external_id", flat=True)) == ["loan-0"]
    unassigned = selectors.ledger_records(selectors.clean_filters({"reviewer": "none"}))
    assert list(unassigned.values_list("external_id", flat=True)) == ["loan-1"]
    event = TimelineEvent.objects.filter(incident=incident, payload__bulk_change="assign").get()
    assert "put in" in event.summary and "queue" in event.summary


def test_filters_select_by_several_states_and_the_system_version(compliance, incident):
    from inventory.tests.factories import ComponentFactory

    component = ComponentFactory()
    a, b, _c = _records(compliance, incident, 3)
    AffectedRecord.objects.filter(pk=a.pk).update(component=component)
    AffectedRecord.objects.filter(pk=b.pk).update(state=State.UPHELD)
    clean = selectors.clean_filters({"state": "identified,upheld", "component": str(component.pk)})
    assert list(selectors.ledger_records(clean)) == [a]
    assert selectors.describe_filters(clean) == (
        f"state: identified, upheld; component: {f'{component.name} {component.version}'.strip()} (id {component.pk})")
    words = selectors.describe_filters(selectors.clean_filters({"incident": str(incident.pk), "reviewer": "none"}))
    assert words == f"incident: {incident.reference}; reviewer: none"


def test_the_states_a_record_can_move_from_follow_the_moves():
    assert set(predecessors(State.NOTIFIED)) == {State.UPHELD, State.REDRESS_ACCEPTED, State.REDRESS_DECLINED}
    assert predecessors(State.IDENTIFIED) == ()


def test_a_bulk_change_runs_as_a_job_that_names_what_it_did(compliance, incident):
    _records(compliance, incident, 2)
    job, created = bulk_change_start(actor=compliance, action="move", to=State.UNDER_RE_REVIEW,
                                     filters={"incident": str(incident.pk)}, as_of=_past())
    job.refresh_from_db()
    assert created and job.state == JobState.SUCCEEDED
    assert job.summary.startswith("2 affected records moved to under re-review")
    assert job.progress_done == 2


def test_a_bad_bulk_job_is_refused_before_any_job_exists(compliance):
    with pytest.raises(ValidationError):
        bulk_change_start(actor=compliance, action="move", to="nowhere", filters={}, as_of=_past())
    assert not Job.objects.exists()


def test_one_record_is_added_by_hand_with_history_and_a_timeline_event(compliance, incident):
    record = affected_record_create(actor=compliance, incident=incident, kind="person", external_id="p-1",
                                    jurisdiction="de", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert (record.state, record.jurisdiction, record.history.get().history_user) == (
        State.IDENTIFIED, "DE", compliance)
    assert TimelineEvent.objects.filter(incident=incident, payload__affected_record=record.pk).exists()
    with pytest.raises(ValidationError) as refused:
        affected_record_create(actor=compliance, incident=incident, kind="person", external_id="p-1")
    assert "external_id" in str(refused.value) or "already lists" in str(refused.value)
