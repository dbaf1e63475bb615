"""The remediation states of an affected record and the moves allowed between them, as data (no ORM).

identified -> under_re_review -> upheld | reversed -> redress_offered -> redress_accepted | redress_declined
-> notified -> closed. An upheld decision needs no redress: it goes to notified (the person is told the outcome)
or closed.
"""

from django.db import models


class State(models.TextChoices):
    IDENTIFIED = "identified", "identified"
    UNDER_RE_REVIEW = "under_re_review", "under re-review"
    UPHELD = "upheld", "upheld"
    REVERSED = "reversed", "reversed"
    REDRESS_OFFERED = "redress_offered", "redress offered"
    REDRESS_ACCEPTED = "redress_accepted", "redress accepted"
    REDRESS_DECLINED = "redress_declined", "redress declined"
    NOTIFIED = "notified", "notified"
    CLOSED = "closed", "closed"


MOVES: dict[str, tuple[str, ...]] = {
    State.IDENTIFIED: (State.UNDER_RE_REVIEW,),
    State.UNDER_RE_REVIEW: (State.UPHELD, State.REVERSED),
    State.UPHELD: (State.NOTIFIED, State.CLOSED),
    State.REVERSED: (State.REDRESS_OFFERED,),
    State.REDRESS_OFFERED: (State.REDRESS_ACCEPTED, State.REDRESS_DECLINED),
    State.REDRESS_ACCEPTED: (State.NOTIFIED,),
    State.REDRESS_DECLINED: (State.NOTIFIED,),
    State.NOTIFIED: (State.CLOSED,),
    State.CLOSED: (),
}


def allowed(current: str) -> tuple[str, ...]:
    return MOVES.get(current, ())


def label(state: str) -> str:
    return State(state).label


def refusal(current: str, to: str) -> str | None:
    """Why the move `current` -> `to` is refused, naming the states allowed next; None when it is allowed."""
    if to in allowed(current):
        return None
    nexts = allowed(current)
    if not nexts:
        return f"A {label(current)} record is final; it cannot move to {_name(to)}."
    return f"From {label(current)} the record can move to: {', '.join(label(s) for s in nexts)}."


def _name(state: str) -> str:
    return label(state) if state in State.values else repr(state)
