"""Moving an affected record through its remediation states: only allowed moves, bound to the version read, by a
compliance officer or an incident responder, each leaving a history row with the user and a timeline event."""

import pytest
from django.core.exceptions import ValidationError

from incidents.models import TimelineEvent
from portal.core import roles
from portal.core.concurrency import StaleRecordError
from remediation import states
from remediation.services import affected_record_move
from remediation.states import State
from remediation.tests.factories import affected_record

pytestmark = pytest.mark.django_db


def _walk(actor, record, *path):
    for to in path:
        affected_record_move(actor=actor, record=record, to=to, expected_version=record.version)
    return record


def _paths(state=State.IDENTIFIED, path=()):
    """Every path from `state` to the final state through the allowed moves."""
    nexts = states.allowed(state)
    if not nexts:
        yield path
    for to in nexts:
        yield from _paths(to, (*path, to))


@pytest.mark.parametrize("path", list(_paths()), ids=lambda p: ">".join(p))
def test_every_allowed_path_is_walked_to_closed(compliance, path):
    record = _walk(compliance, affected_record(compliance), *path)
    record.refresh_from_db()
    assert record.state == State.CLOSED
    assert record.version == 1 + len(path)


def test_every_state_but_closed_has_a_next_and_every_move_is_allowed_from_somewhere():
    reached = {to for nexts in states.MOVES.values() for to in nexts}
    assert set(states.MOVES) == set(State.values)
    assert reached == set(State.values) - {State.IDENTIFIED}
    assert [s for s, nexts in states.MOVES.items() if not nexts] == [State.CLOSED]


def test_a_refused_move_names_the_states_allowed_next(compliance):
    record = affected_record(compliance)
    with pytest.raises(ValidationError) as refused:
        affected_record_move(actor=compliance, record=record, to=State.REVERSED, expected_version=1)
    assert refused.value.message_dict["state"] == ["From identified the record can move to: under re-review."]
    record.refresh_from_db()
    assert (record.state, record.version) == (State.IDENTIFIED, 1)


def test_a_move_from_re_review_names_both_outcomes(compliance):
    record = _walk(compliance, affected_record(compliance), State.UNDER_RE_REVIEW)
    with pytest.raises(ValidationError, match="can move to: upheld, reversed"):
        affected_record_move(actor=compliance, record=record, to=State.CLOSED, expected_version=record.version)


def test_a_closed_record_is_final(compliance):
    record = _walk(compliance, affected_record(compliance), State.UNDER_RE_REVIEW, State.UPHELD, State.CLOSED)
    with pytest.raises(ValidationError, match="closed record is final"):
        affected_record_move(actor=compliance, record=record, to=State.NOTIFIED, expected_version=record.version)


def test_a_stale_version_is_refused_naming_who_changed_it(compliance, role_users):
    responder = role_users[roles.INCIDENT_RESPONDER]
    record = affected_record(compliance)
    affected_record_move(actor=responder, record=record, to=State.UNDER_RE_REVIEW, expected_version=1)
    with pytest.raises(StaleRecordError, match=r"was changed by .* \(now version 2; your copy is version 1\)"):
        affected_record_move(actor=compliance, record=record, to=State.UPHELD, expected_version=1)


def test_a_move_without_the_version_read_is_refused(compliance):
    record = affected_record(compliance)
    with pytest.raises(ValidationError, match="Give the version"):
        affected_record_move(actor=compliance, record=record, to=State.UNDER_RE_REVIEW, expected_version=None)


@pytest.mark.parametrize("role", [roles.LEGAL_REVIEWER, roles.LEADERSHIP, roles.AUDITOR])
def test_only_compliance_officers_and_responders_move_records(compliance, role_users, role):
    record = affected_record(compliance)
    with pytest.raises(ValidationError, match="Only a compliance officer or an incident responder"):
        affected_record_move(actor=role_users[role], record=record, to=State.UNDER_RE_REVIEW, expected_version=1)
    record.refresh_from_db()
    assert record.state == State.IDENTIFIED


def test_a_move_records_who_and_when_with_a_history_row_naming_the_user(compliance, role_users):
    responder = role_users[roles.INCIDENT_RESPONDER]
    record = affected_record(compliance)
    affected_record_move(actor=responder, record=record, to=State.UNDER_RE_REVIEW, expected_version=1,
                         note="Model v2 scored it; re-run on v3.")
    record.refresh_from_db()
    assert record.state_changed_by == responder
    latest = record.history.order_by("-history_id").first()
    assert (latest.history_user, latest.state, latest.version, latest.note) == (
        responder, State.UNDER_RE_REVIEW, 2, "Model v2 scored it; re-run on v3.")
    assert latest.state_changed_at == record.state_changed_at


def test_a_move_leaves_a_timeline_event_on_the_incident(compliance):
    record = affected_record(compliance)
    affected_record_move(actor=compliance, record=record, to=State.UNDER_RE_REVIEW, expected_version=1)
    event = TimelineEvent.objects.filter(incident=record.incident, payload__affected_record=record.pk).get()
    assert event.actor == compliance
    assert event.summary == "Affected decision loan-1: identified → under re-review"
    assert (event.payload["from"], event.payload["to"]) == (State.IDENTIFIED, State.UNDER_RE_REVIEW)


def test_pure_refusal_allows_listed_moves_and_names_unknown_targets():
    assert states.refusal(State.REVERSED, State.REDRESS_OFFERED) is None
    assert states.refusal(State.CLOSED, "reopened") == "A closed record is final; it cannot move to 'reopened'."


def test_a_move_stamps_the_records_last_change(compliance):
    record = affected_record(compliance)
    assert record.updated_at is None
    affected_record_move(actor=compliance, record=record, to=State.UNDER_RE_REVIEW, expected_version=1)
    record.refresh_from_db()
    assert record.updated_at == record.state_changed_at
