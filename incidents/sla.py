"""Incident SLAs, pure: due times from severity and detection time, and the state of a target at a moment."""

from datetime import datetime, timedelta

from django.db.models import TextChoices

from portal.core.businesstime import BusinessCalendar

TARGETS = ("acknowledge", "contain", "resolve")
# The incident timestamp that meets each target.
MET_BY = {"acknowledge": "acknowledged_at", "contain": "contained_at", "resolve": "recovered_at"}
DUE_FIELD = {"acknowledge": "acknowledge_due_at", "contain": "contain_due_at", "resolve": "resolve_due_at"}


class SlaState(TextChoices):
    MET = "met", "Met"
    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    BREACHED = "breached", "Breached"
    MISSED = "missed", "Met late"


def due_time(target_rule: dict, detected_at: datetime, calendar: BusinessCalendar) -> datetime:
    if "minutes" in target_rule:
        return detected_at + timedelta(minutes=target_rule["minutes"])
    if "business_days" in target_rule:
        return calendar.end_of_business_day_after(detected_at, target_rule["business_days"])
    raise ValueError(f"Unknown SLA target rule {target_rule!r}")


def due_times(severity: str, detected_at: datetime, config: dict, calendar: BusinessCalendar) -> dict[str, datetime]:
    """{"acknowledge_due_at": ..., "contain_due_at": ..., "resolve_due_at": ...} for the severity."""
    rules = config[severity]
    return {DUE_FIELD[t]: due_time(rules[t], detected_at, calendar) for t in TARGETS}


def warn_time(due_at: datetime, detected_at: datetime, due_soon_share: float) -> datetime:
    """The moment a target turns "due soon": when no more than `due_soon_share` of its window is left."""
    return due_at - (due_at - detected_at) * due_soon_share


def target_state(*, due_at, met_at, detected_at, now, due_soon_share: float) -> SlaState | None:
    """The state of one target: met (in time or late), or for an unmet one on track / due soon / breached.

    Uses the same `warn_time` the services store in `sla_next_warn_at`, so this and the database agree."""
    if due_at is None:
        return None
    if met_at is not None:
        return SlaState.MET if met_at <= due_at else SlaState.MISSED
    if now > due_at:
        return SlaState.BREACHED
    if due_at <= detected_at or now >= warn_time(due_at, detected_at, due_soon_share):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def overall_state(states) -> SlaState | None:
    """The worst state of an incident's targets (what the changelist shows)."""
    order = [SlaState.BREACHED, SlaState.DUE_SOON, SlaState.MISSED, SlaState.ON_TRACK, SlaState.MET]
    present = [s for s in states if s is not None]
    return next((s for s in order if s in present), None)


def next_deadline(incident, due_soon_share: float) -> tuple[datetime | None, datetime | None]:
    """(due, warn) of the earliest unmet target of an open incident; (None, None) when all are met or it is
    closed. `warn` is the moment the target turns "due soon"."""
    if incident.status in ("closed", "dismissed") or incident.detected_at is None:
        return None, None
    pending = [
        getattr(incident, DUE_FIELD[t]) for t in TARGETS
        if getattr(incident, MET_BY[t]) is None and getattr(incident, DUE_FIELD[t]) is not None
    ]
    if not pending:
        return None, None
    due = min(pending)
    return due, warn_time(due, incident.detected_at, due_soon_share)
