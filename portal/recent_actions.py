""""Recent actions" on the admin home: the signed-in user's own latest work.

Django's panel lists the admin's LogEntry rows, but the portal's writes go through services that record a typed
timeline instead (an incident's `TimelineEvent`, the inventory's `InventoryEvent`), wherever they came from: admin,
API or command. The panel merges the user's newest timeline rows of both with their LogEntry rows for the models
that keep no timeline (users, groups, API tokens), newest first, in three queries.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.urls import NoReverseMatch, reverse

from incidents.models import TimelineEvent
from inventory.models import InventoryEvent

# Apps whose writes record a timeline event (their LogEntry rows would repeat it).
TIMELINE_APPS = ("inventory", "incidents", "reporting")


@dataclass(frozen=True)
class RecentAction:
    at: datetime
    what: str  # the kind of action, e.g. "Status change"
    summary: str
    subject: str  # the record acted on, e.g. an incident's reference
    url: str  # its admin page, or ""


def _url(name, pk) -> str:
    try:
        return reverse(name, args=[pk]) if pk else ""
    except NoReverseMatch:
        return ""


def recent_actions(user, limit: int = 10) -> list[RecentAction]:
    """The user's `limit` newest actions, newest first; [] for an anonymous user."""
    if not getattr(user, "pk", None):
        return []
    actions = []
    for event in (TimelineEvent.objects.filter(actor=user).select_related("incident")
                  .only("at", "kind", "summary", "incident__reference").order_by("-at", "-id")[:limit]):
        actions.append(RecentAction(event.at, event.get_kind_display(), event.summary, event.incident.reference,
                                    _url("admin:incidents_incident_change", event.incident_id)))
    for event in (InventoryEvent.objects.filter(actor=user).select_related("system", "component")
                  .order_by("-at", "-id")[:limit]):
        if event.system_id:
            subject, url = event.system.name, _url("admin:inventory_aisystem_change", event.system_id)
        elif event.component_id:
            subject, url = str(event.component), _url("admin:inventory_component_change", event.component_id)
        else:
            subject, url = "Inventory", ""
        actions.append(RecentAction(event.at, event.get_kind_display(), event.summary, subject, url))
    for entry in (LogEntry.objects.filter(user=user).exclude(content_type__app_label__in=TIMELINE_APPS)
                  .select_related("content_type").order_by("-action_time", "-id")[:limit]):
        what = ("Added" if entry.is_addition() else "Changed" if entry.is_change() else "Deleted")
        kind = entry.content_type.name if entry.content_type else "record"
        actions.append(RecentAction(entry.action_time, f"{what} {kind}", entry.get_change_message() or what,
                                    entry.object_repr, "" if entry.is_deletion() else entry.get_admin_url() or ""))
    actions.sort(key=lambda a: a.at, reverse=True)
    return actions[:limit]
