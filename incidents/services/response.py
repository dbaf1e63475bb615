"""What responders do on an incident: work its runbook checklist and record the post-incident review.

Containment, evidence and recovery validation live in their own modules (`containment.py`, `evidence.py`,
`recovery.py`) and use the small helpers defined here. Every service runs in a transaction, re-reads the row it
changes under a lock, saves through the history wrapper with the acting user and appends a timeline event.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.lifecycle import Status
from incidents.models import ActionItem, ChecklistItem, Incident, PostIncidentReview, TimelineEvent
from incidents.services.records import lock, record_event
from portal.core.display import person
from portal.core.history import save_tracked

Kind = TimelineEvent.Kind


# --- helpers shared by the response services ------------------------------------------------------------

def require_user(actor, what: str) -> None:
    """Response records name a person (performed by, collected by, signed off by): a system write cannot."""
    if not getattr(actor, "pk", None):
        raise ValidationError({"actor": f"{what} needs a signed-in user as the actor."})


def require_open(incident: Incident, what: str, *, field: str = "incident") -> None:
    if incident.status in (Status.CLOSED, Status.DISMISSED):
        raise ValidationError({field: (
            f"{incident.reference} is {Status(incident.status).label.lower()}; {what} is only recorded on an open "
            "incident."
        )})


# A client clock slightly ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=1)


def moment(value, field: str):
    """`value` or now; a moment in the future is refused (a record says what happened, not what will)."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise ValidationError({field: "Give the time with its time zone (UTC is stored)."})
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: f"{value:%Y-%m-%d %H:%M} UTC is in the future; record what has happened."})
    return value


who = person  # a user in a message: the full name, else the username; "someone" for nobody


def refresh_caller(original, locked) -> None:
    """Let the caller's instance see the saved state (the services work on a copy re-read under a lock)."""
    if original is not locked:
        original.__dict__.update(locked.__dict__)


# --- runbook checklist ------------------------------------------------------------------------------------

@transaction.atomic
def checklist_item_complete(*, actor, item: ChecklistItem, notes: str = "") -> ChecklistItem:
    """Tick a checklist step: who did it, when, and any notes."""
    require_user(actor, "Completing a checklist step")
    locked = ChecklistItem.objects.select_for_update(of=("self",)).select_related("done_by").get(pk=item.pk)
    if locked.done_at is not None:
        raise ValidationError({"done_at": (
            f"Step '{locked}' was already completed by {who(locked.done_by)} at {locked.done_at:%Y-%m-%d %H:%M} "
            "UTC; reopen it first to complete it again."
        )})
    locked.done_at, locked.done_by, locked.notes = timezone.now(), actor, notes.strip()
    save_tracked(locked, actor=actor, update_fields=["done_at", "done_by", "notes"])
    record_event(locked.incident, Kind.CHECKLIST, actor=actor, summary=f"Step done: {locked}",
                 payload={"item": locked.pk, "order": locked.order, "phase": locked.phase, "done": True,
                          "notes": locked.notes})
    refresh_caller(item, locked)
    return locked


@transaction.atomic
def checklist_item_reopen(*, actor, item: ChecklistItem) -> ChecklistItem:
    """Undo a completion: done by/at and notes are cleared (the history keeps them)."""
    require_user(actor, "Reopening a checklist step")
    locked = ChecklistItem.objects.select_for_update(of=("self",)).select_related("done_by").get(pk=item.pk)
    if locked.done_at is None:
        raise ValidationError({"done_at": f"Step '{locked}' is not completed; there is nothing to reopen."})
    previous = {"done_by": who(locked.done_by), "done_at": locked.done_at.isoformat(), "notes": locked.notes}
    locked.done_at, locked.done_by, locked.notes = None, None, ""
    save_tracked(locked, actor=actor, update_fields=["done_at", "done_by", "notes"])
    record_event(locked.incident, Kind.CHECKLIST, actor=actor, summary=f"Step reopened: {locked}",
                 payload={"item": locked.pk, "order": locked.order, "phase": locked.phase, "done": False,
                          "previous": previous})
    refresh_caller(item, locked)
    return locked


# --- post-incident review ---------------------------------------------------------------------------------

REVIEW_FIELDS = ("root_cause", "contributing_factors", "what_worked", "lessons", "runbook_updated",
                 "regression_case_added")


@transaction.atomic
def review_record(*, actor, incident: Incident, root_cause: str, contributing_factors: str = "",
                  what_worked: str = "", lessons: str = "", runbook_updated: bool = False,
                  regression_case_added: bool = False) -> PostIncidentReview:
    """Create the incident's post-incident review, or update it (one review per incident)."""
    require_user(actor, "A post-incident review")
    if not (root_cause or "").strip():
        raise ValidationError({"root_cause": "A post-incident review needs its root cause."})
    locked = lock(incident)  # serialises the creation of the one review per incident
    if locked.status == Status.DISMISSED:
        raise ValidationError({"incident": f"{locked.reference} was dismissed as not an incident; there is "
                                           "nothing to review."})
    values = {"root_cause": root_cause.strip(), "contributing_factors": contributing_factors.strip(),
              "what_worked": what_worked.strip(), "lessons": lessons.strip(),
              "runbook_updated": bool(runbook_updated), "regression_case_added": bool(regression_case_added)}
    review = PostIncidentReview.objects.select_for_update().filter(incident=locked).first()
    created = review is None
    if created:
        review = PostIncidentReview(incident=locked, **values)
        changed = list(REVIEW_FIELDS)
    else:
        changed = [name for name, value in values.items() if getattr(review, name) != value]
        if not changed:
            return review
        for name in changed:
            setattr(review, name, values[name])
    review.reviewed_by, review.reviewed_at = actor, timezone.now()
    save_tracked(review, actor=actor, update_fields=None if created else [*changed, "reviewed_by", "reviewed_at"])
    record_event(locked, Kind.REVIEW, actor=actor,
                 summary=("Post-incident review recorded" if created else "Post-incident review updated")
                 + f": {review.root_cause}",
                 payload={"review": review.pk, "created": created, "fields": changed})
    return review


@transaction.atomic
def action_item_add(*, actor, review: PostIncidentReview, description: str, owner, due_on) -> ActionItem:
    """An action item of a review, with the person who owns it and its due date."""
    require_user(actor, "An action item")
    if not getattr(owner, "pk", None):
        raise ValidationError({"owner": "An action item needs an owner (a user)."})
    if due_on is None:
        raise ValidationError({"due_on": "An action item needs a due date."})
    item = ActionItem(review=review, description=(description or "").strip(), owner=owner, due_on=due_on)
    save_tracked(item, actor=actor)
    record_event(review.incident, Kind.REVIEW, actor=actor,
                 summary=f"Action item for {who(owner)} due {due_on:%Y-%m-%d}: {item.description}",
                 payload={"action_item": item.pk, "owner": owner.pk, "due_on": due_on.isoformat()})
    return item


@transaction.atomic
def action_item_complete(*, actor, item: ActionItem) -> ActionItem:
    require_user(actor, "Completing an action item")
    locked = ActionItem.objects.select_for_update(of=("self",)).select_related("review__incident").get(pk=item.pk)
    if locked.done_at is not None:
        raise ValidationError({"done_at": f"Action item '{locked}' was already completed at "
                                          f"{locked.done_at:%Y-%m-%d %H:%M} UTC."})
    locked.done_at = timezone.now()
    save_tracked(locked, actor=actor, update_fields=["done_at"])
    record_event(locked.review.incident, Kind.REVIEW, actor=actor, summary=f"Action item done: {locked}",
                 payload={"action_item": locked.pk, "done": True})
    refresh_caller(item, locked)
    return locked
