"""The lifecycle table, pure: every pair of states is either an allowed transition or refused with the allowed
next states named. No database."""

import itertools

import pytest

from incidents.lifecycle import TRANSITIONS, Guard, Status, TransitionError, allowed_targets, transition_for

ALLOWED = {(t.source, t.target) for t in TRANSITIONS}
ALL_GUARDS = {Guard.SIGNED_RECOVERY_VALIDATION: True, Guard.POST_INCIDENT_REVIEW: True, Guard.DISMISSAL_REASON: True}
PAIRS = list(itertools.product(Status.values, Status.values))


def test_the_main_path_and_the_exits_are_in_the_table():
    path = ["detected", "triaged", "contained", "investigating", "recovering", "review", "closed"]
    assert set(itertools.pairwise(path)) <= ALLOWED
    assert {("detected", "dismissed"), ("triaged", "dismissed"), ("recovering", "investigating")} <= ALLOWED


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_transition_passes_when_its_guards_hold(source, target):
    assert transition_for(source, target, ALL_GUARDS).target == target


@pytest.mark.parametrize(("source", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_every_other_transition_is_refused_naming_the_allowed_next_states(source, target):
    with pytest.raises(TransitionError) as excinfo:
        transition_for(source, target, ALL_GUARDS)
    message = str(excinfo.value)
    assert f"cannot go from {Status(source).label.lower()}" in message
    allowed = allowed_targets(source)
    if allowed:
        for state in allowed:
            assert Status(state).label.lower() in message
    else:
        assert "none (final state)" in message


@pytest.mark.parametrize(
    ("source", "target", "guard", "words"),
    [
        ("recovering", "review", Guard.SIGNED_RECOVERY_VALIDATION, "two different people"),
        ("review", "closed", Guard.POST_INCIDENT_REVIEW, "post-incident review"),
        ("detected", "dismissed", Guard.DISMISSAL_REASON, "not an incident"),
        ("triaged", "dismissed", Guard.DISMISSAL_REASON, "not an incident"),
    ],
)
def test_a_guarded_transition_is_refused_while_its_guard_fails(source, target, guard, words):
    facts = {**ALL_GUARDS, guard: False}
    with pytest.raises(TransitionError, match=words):
        transition_for(source, target, facts)


def test_each_forward_transition_stamps_its_timestamp():
    stamps = {(t.source, t.target): t.stamps for t in TRANSITIONS}
    assert stamps[("detected", "triaged")] == "acknowledged_at"
    assert stamps[("triaged", "contained")] == "contained_at"
    assert stamps[("recovering", "review")] == "recovered_at"
    assert stamps[("review", "closed")] == "closed_at"
    assert stamps[("detected", "dismissed")] == "closed_at"


def test_closed_and_dismissed_are_final():
    assert allowed_targets(Status.CLOSED) == [] and allowed_targets(Status.DISMISSED) == []
