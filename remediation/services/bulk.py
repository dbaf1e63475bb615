"""Changing many affected records at once: moving them to a state, or putting them in a reviewer's queue.

A bulk change selects its records in one of two ways, each with its version check:

- **Records named with the version read** (`records`: [(id, version), ...], at most `MAX_NAMED`): all or nothing. A
  record changed since (another version), missing, or (for a move) in a state that cannot move there refuses the
  whole change, naming the records.
- **Every record a filter matches** (`filters`, see `remediation.selectors`), as the user saw it at `as_of`: the
  records whose state allows the move and that nobody changed after `as_of` are changed; the ones changed since
  (their `updated_at`, or for a record never changed its import or creation time, is later) are left alone and
  counted, as are the ones whose state cannot move there. A filter may match a million records: they are changed in
  chunks under row locks, in one transaction.

Every changed record gets a history row naming the actor (written in bulk, chained), and each incident touched one
timeline event saying what was done to how many of its records and what was left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from portal.core import inputs, roles
from portal.core.concurrency import StaleRecordError
from portal.core.display import person
from portal.core.history import history_in_bulk
from remediation import selectors, states
from remediation.models import AffectedRecord
from remediation.services.moves import WORKERS, require_worker
from remediation.states import State

ACTIONS = ("move", "assign")
MAX_NAMED = 10_000
CHUNK = 5_000
NAMED_IN_MESSAGE = 10
MAX_NOTE = 2_000


@dataclass
class BulkResult:
    action: str
    changed: int = 0
    changed_since: int = 0
    not_allowed: dict[str, int] = field(default_factory=dict)
    per_incident: dict[int, int] = field(default_factory=dict)
    what: str = ""

    def summary(self) -> str:
        parts = [f"{self.changed:,} affected record{'s' if self.changed != 1 else ''} {self.what}"]
        if self.changed_since:
            parts.append(f"{self.changed_since:,} changed by someone else since the selection left alone")
        if self.not_allowed:
            parts.append("left alone as their state cannot move there: " + ", ".join(
                f"{count:,} {states.label(state)}" for state, count in sorted(self.not_allowed.items())))
        return "; ".join(parts) + "."


def predecessors(to: str) -> tuple[str, ...]:
    """The states from which a record may move to `to`."""
    return tuple(state for state, nexts in states.MOVES.items() if to in nexts)


def _watermark():
    return Coalesce("updated_at", "state_changed_at")


@dataclass
class BulkRequest:
    """A bulk change checked: what to do and to which records."""

    action: str
    to: str = ""
    reviewer: object = None
    note: str = ""
    filters: dict | None = None
    as_of: datetime | None = None
    records: list[tuple[int, int]] | None = None

    @property
    def what(self) -> str:
        if self.action == "move":
            return f"moved to {states.label(self.to)}"
        return f"put in {person(self.reviewer)}'s queue" if self.reviewer else "taken out of their reviewer's queue"


def check_reviewer(value):
    """The user `value` (a user or an id) checked as a reviewer: an active compliance officer or incident
    responder; None for none."""
    if value in (None, "", "none"):
        return None
    user = value
    if not isinstance(value, get_user_model()):
        if isinstance(value, bool) or not str(value).isdigit() or not 0 < int(str(value)) <= selectors.MAX_ID:
            raise ValidationError({"reviewer": f"{str(value)[:40]!r} is not a user id."})
        user = get_user_model().objects.filter(pk=int(str(value))).first()
        if user is None:
            raise ValidationError({"reviewer": f"No user with the id {value}."})
    if not user.is_active or not set(WORKERS) & set(roles.user_roles(user)):
        raise ValidationError({"reviewer": f"{person(user)} is not an active {' or '.join(WORKERS)}: only they work "
                                           "the ledger."})
    return user


def _named(records) -> list[tuple[int, int]]:
    if not isinstance(records, list | tuple) or not records:
        raise ValidationError({"records": "Name at least one record as [id, version]."})
    if len(records) > MAX_NAMED:
        raise ValidationError({"records": f"At most {MAX_NAMED:,} records can be named; select more by a filter."})
    pairs, seen = [], set()
    for item in records:
        if isinstance(item, Mapping):
            item = (item.get("id"), item.get("version"))
        if (not isinstance(item, list | tuple) or len(item) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= selectors.MAX_ID
                           for v in item)):
            raise ValidationError({"records": f"{str(item)[:60]} is not an [id, version] pair of positive whole "
                                              "numbers."})
        if item[0] in seen:
            raise ValidationError({"records": f"The record {item[0]} is named twice."})
        seen.add(item[0])
        pairs.append((int(item[0]), int(item[1])))
    return pairs


def _as_of(value) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError({"as_of": f"{value[:40]!r} is not an ISO 8601 date and time."}) from None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({"as_of": "Give when the selection was seen, with its time zone (the version check of "
                                        "a filtered change)."})
    if problem := inputs.moment_out_of_range(value):
        raise ValidationError({"as_of": problem})
    if value > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"as_of": "The selection cannot have been seen in the future."})
    return value


def check_request(*, actor, action, to="", reviewer=None, note="", filters=None, as_of=None,
                  records=None) -> BulkRequest:
    """The bulk change checked before anything runs: every bad value refused naming its field."""
    require_worker(actor, "change affected records")
    if action not in ACTIONS:
        raise ValidationError({"action": f"{str(action)[:40]!r} is not one of {', '.join(ACTIONS)}."})
    request = BulkRequest(action=action)
    if action == "move":
        if to not in State.values:
            raise ValidationError({"to": f"{str(to)[:40]!r} is not a state; the states are "
                                         f"{', '.join(State.values)}."})
        request.to = to
    else:
        request.reviewer = check_reviewer(reviewer)
    note = "" if note is None else note
    if not isinstance(note, str) or inputs.NUL in note or len(note) > MAX_NOTE:
        raise ValidationError({"note": f"The note must be text of at most {MAX_NOTE:,} characters, without NUL."})
    request.note = note.strip()
    if (filters is None) == (records is None):
        raise ValidationError({"records": "Select the records either by naming them with their versions or by a "
                                          "filter, not both."})
    if records is not None:
        request.records = _named(records)
    else:
        if not isinstance(filters, Mapping):
            raise ValidationError({"filters": "The filter must be an object of filter names and values."})
        request.filters = selectors.clean_filters(filters, actor=actor)
        request.as_of = _as_of(as_of)
    return request


def _check_named(request: BulkRequest) -> list[int]:
    ids = [pk for pk, _ in request.records]
    found = {row["pk"]: row for row in AffectedRecord.objects.select_for_update().filter(pk__in=ids)
             .values("pk", "version", "state", "external_id").order_by("pk")}
    if missing := [pk for pk in ids if pk not in found]:
        raise ValidationError({"records": f"No affected record with the id(s) "
                                          f"{', '.join(map(str, missing[:NAMED_IN_MESSAGE]))}"
                                          f"{' …' if len(missing) > NAMED_IN_MESSAGE else ''}."})
    stale = [(found[pk], version) for pk, version in request.records if found[pk]["version"] != version]
    if stale:
        named = ", ".join(f"{row['external_id']} (id {row['pk']}: now version {row['version']}, yours {version})"
                          for row, version in stale[:NAMED_IN_MESSAGE])
        raise StaleRecordError(f"{len(stale):,} of the records changed since you read them: {named}"
                               f"{' …' if len(stale) > NAMED_IN_MESSAGE else ''}. Reload them and apply your change "
                               "again; nothing was changed.", code="stale")
    if request.action == "move":
        refused = [(row, problem) for row in found.values() if (problem := states.refusal(row["state"], request.to))]
        if refused:
            named = "; ".join(f"{row['external_id']} (id {row['pk']}, {states.label(row['state'])}): {problem}"
                              for row, problem in refused[:NAMED_IN_MESSAGE])
            raise ValidationError({"state": f"{len(refused):,} of the records cannot move to "
                                            f"{states.label(request.to)}: {named}"
                                            f"{' …' if len(refused) > NAMED_IN_MESSAGE else ''}. Nothing was "
                                            "changed."}, code="not_allowed")
    return sorted(ids)


def _values(request: BulkRequest, actor, now) -> dict:
    if request.action == "move":
        return {"state": request.to, "state_changed_at": now, "state_changed_by": actor, "note": request.note}
    return {"reviewer": request.reviewer}


def _apply(ids: list[int], values: dict, actor, now, result: BulkResult) -> None:
    AffectedRecord.objects.filter(pk__in=ids).update(**values, version=F("version") + 1, updated_at=now)
    changed = list(AffectedRecord.objects.filter(pk__in=ids).order_by("pk"))
    history_in_bulk(AffectedRecord, changed, actor=actor, update=True)
    result.changed += len(changed)
    for record in changed:
        result.per_incident[record.incident_id] = result.per_incident.get(record.incident_id, 0) + 1


@transaction.atomic
def affected_records_bulk_change(*, actor, action, to="", reviewer=None, note="", filters=None, as_of=None,
                                 records=None, progress: Callable | None = None) -> BulkResult:
    """Change the selected records (see the module's docstring); returns what was changed and left alone."""
    request = check_request(actor=actor, action=action, to=to, reviewer=reviewer, note=note, filters=filters,
                            as_of=as_of, records=records)
    now = timezone.now()
    result = BulkResult(action=request.action, what=request.what)
    values = _values(request, actor, now)
    if request.records is not None:
        ids = _check_named(request)
        for start in range(0, len(ids), CHUNK):
            _apply(ids[start:start + CHUNK], values, actor, now, result)
            if progress:
                progress(result.changed, len(ids))
    else:
        selected = selectors.ledger_records(request.filters)
        candidates = selected
        if request.action == "move":
            allowed_from = predecessors(request.to)
            result.not_allowed = dict(selected.exclude(state__in=allowed_from).order_by().values_list("state")
                                      .annotate(n=Count("pk")))
            candidates = selected.filter(state__in=allowed_from)
        candidates = candidates.alias(seen=_watermark())
        result.changed_since = candidates.filter(seen__gt=request.as_of).count()
        candidates = candidates.filter(seen__lte=request.as_of)
        total, last = candidates.count(), 0
        while True:
            ids = list(candidates.filter(pk__gt=last).order_by("pk").select_for_update()
                       .values_list("pk", flat=True)[:CHUNK])
            if not ids:
                break
            _apply(ids, values, actor, now, result)
            last = ids[-1]
            if progress:
                progress(result.changed, total)
    _events(request, result, actor)
    return result


def _events(request: BulkRequest, result: BulkResult, actor) -> None:
    if not result.per_incident:
        return
    selection = (f"{len(request.records):,} records named with their versions" if request.records is not None
                 else f"filter {selectors.describe_filters(request.filters)}, as seen at "
                      f"{request.as_of.astimezone(UTC).isoformat(timespec='seconds')}")
    for incident in Incident.objects.filter(pk__in=result.per_incident).order_by("pk"):
        count = result.per_incident[incident.pk]
        summary = f"Bulk change: {count:,} affected record{'s' if count != 1 else ''} {result.what} ({selection})"
        if result.changed_since or result.not_allowed:
            summary += "; " + result.summary().split("; ", 1)[1].rstrip(".")
        record_event(incident, TimelineEvent.Kind.UPDATED, actor=actor, summary=summary[:1000],
                     payload={"bulk_change": request.action, "changed": count,
                              **({"to": request.to} if request.action == "move" else
                                 {"reviewer": getattr(request.reviewer, "pk", None)}),
                              **({"note": request.note[:200]} if request.note else {}),
                              "changed_since": result.changed_since, "not_allowed": result.not_allowed})
