"""The incident lifecycle as a pure table: states, allowed transitions, their guards and the timestamp each
transition stamps. No ORM here; `services.incident_transition` applies it and writes the timeline event.

detected -> triaged -> contained -> investigating -> recovering -> review -> closed, plus dismissed (not an
incident) from detected or triaged, and recovering -> investigating when recovery validation fails.
"""

from dataclasses import dataclass

from django.db.models import TextChoices


class Status(TextChoices):
    DETECTED = "detected", "Detected"
    TRIAGED = "triaged", "Triaged"
    CONTAINED = "contained", "Contained"
    INVESTIGATING = "investigating", "Investigating"
    RECOVERING = "recovering", "Recovering"
    REVIEW = "review", "Post-incident review"
    CLOSED = "closed", "Closed"
    DISMISSED = "dismissed", "Dismissed (not an incident)"


OPEN_STATUSES = tuple(s for s in Status.values if s not in (Status.CLOSED, Status.DISMISSED))


class Guard:
    """Facts a transition needs; the service supplies them as booleans."""

    SIGNED_RECOVERY_VALIDATION = "signed_recovery_validation"
    POST_INCIDENT_REVIEW = "post_incident_review"
    DISMISSAL_REASON = "dismissal_reason"

    MESSAGES = {
        SIGNED_RECOVERY_VALIDATION: "a recovery validation signed off by an engineering lead and a compliance lead "
                                    "(two different people)",
        POST_INCIDENT_REVIEW: "a post-incident review with its root cause",
        DISMISSAL_REASON: "a note saying why this is not an incident",
    }


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    stamps: str | None = None  # the timestamp field set when the transition happens (if not already set)
    guards: tuple[str, ...] = ()


TRANSITIONS = (
    Transition(Status.DETECTED, Status.TRIAGED, stamps="acknowledged_at"),
    Transition(Status.DETECTED, Status.DISMISSED, stamps="closed_at", guards=(Guard.DISMISSAL_REASON,)),
    Transition(Status.TRIAGED, Status.CONTAINED, stamps="contained_at"),
    Transition(Status.TRIAGED, Status.DISMISSED, stamps="closed_at", guards=(Guard.DISMISSAL_REASON,)),
    Transition(Status.CONTAINED, Status.INVESTIGATING),
    Transition(Status.INVESTIGATING, Status.RECOVERING),
    Transition(Status.RECOVERING, Status.INVESTIGATING),
    Transition(Status.RECOVERING, Status.REVIEW, stamps="recovered_at", guards=(Guard.SIGNED_RECOVERY_VALIDATION,)),
    Transition(Status.REVIEW, Status.CLOSED, stamps="closed_at", guards=(Guard.POST_INCIDENT_REVIEW,)),
)
_TABLE = {(t.source, t.target): t for t in TRANSITIONS}


class TransitionError(ValueError):
    pass


def allowed_targets(source: str) -> list[str]:
    return [t.target for t in TRANSITIONS if t.source == source]


def transition_for(source: str, target: str, facts: dict[str, bool] | None = None) -> Transition:
    """The transition from `source` to `target`, or TransitionError naming what is allowed or missing."""
    transition = _TABLE.get((source, target))
    if transition is None:
        allowed = allowed_targets(source)
        allowed_text = ", ".join(Status(s).label.lower() for s in allowed) if allowed else "none (final state)"
        raise TransitionError(
            f"An incident cannot go from {Status(source).label.lower()} to {Status(target).label.lower()}; "
            f"allowed next states: {allowed_text}."
        )
    missing = [g for g in transition.guards if not (facts or {}).get(g)]
    if missing:
        raise TransitionError(
            f"Moving from {Status(source).label.lower()} to {Status(target).label.lower()} needs "
            + " and ".join(Guard.MESSAGES[g] for g in missing) + "."
        )
    return transition
