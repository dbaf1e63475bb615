"""Optimistic locking: a record edited by several people carries a `version`; a stale edit is refused.

The refusal says who changed the record, when, and which fields: read from the record's history rows written
since the version the editor read. Only field names are given, never values, so the message may name a
confidential field (the privileged analysis) without saying what it holds.
"""

from django.core.exceptions import ValidationError

from portal.core.display import field_label, moment_text, person

# A message names at most this many changes (the newest); more are counted.
SHOWN_CHANGES = 3


class StaleRecordError(ValidationError):
    """The record changed since the editor loaded it. The API answers 409 Conflict; the admin shows a form error."""


def _who(row) -> str:
    return person(row.history_user) if row.history_user_id else "someone"


def _fields_changed(row, previous) -> list[str]:
    if previous is None:
        return []
    try:
        model = getattr(row, "instance_type", None)
        return [field_label(model, name) for name in row.diff_against(previous).changed_fields if name != "version"]
    except (TypeError, AttributeError):  # history rows of another shape (a model changed since): name no fields
        return []


def changes_since(locked, expected_version: int) -> list[tuple[str, object, list[str]]]:
    """(who, when, field names) of every history row of `locked` written after version `expected_version`,
    oldest first. Empty when the record keeps no history or none of its rows is newer."""
    history = getattr(locked, "history", None)
    if history is None or not any(f.name == "version" for f in history.model._meta.fields):
        return []
    rows = list(history.filter(version__gt=expected_version).select_related("history_user")
                .order_by("history_date", "history_id"))
    if not rows:
        return []
    previous = history.filter(version__lte=expected_version).order_by("-history_date", "-history_id").first()
    changes = []
    for row in rows:
        changes.append((_who(row), row.history_date, _fields_changed(row, previous)))
        previous = row
    return changes


def _describe(who, when, fields) -> str:
    return f"{who} at {moment_text(when, seconds=True)}" + (f" ({', '.join(fields)})" if fields else "")


def stale_message(locked, expected_version, *, label=None) -> str:
    """'<label> was changed by <who> at <when> UTC (<fields>)[, then by ...] (now version N; your copy is version
    M). Reload it and apply your change again.'"""
    changes = changes_since(locked, int(expected_version))
    if changes:
        shown = changes[-SHOWN_CHANGES:]
        text = ", then by ".join(_describe(*change) for change in shown)
        if hidden := len(changes) - len(shown):
            text += f" (and {hidden} earlier change{'s' if hidden > 1 else ''})"
    else:
        history = getattr(locked, "history", None)
        latest = history.select_related("history_user").first() if history is not None else None
        text = _describe(_who(latest), latest.history_date, []) if latest else "someone"
    return (f"{label or locked} was changed by {text} (now version {locked.version}; your copy is version "
            f"{expected_version}). Reload it and apply your change again.")


def check_version(locked, expected_version, *, label=None, required=False):
    """Refuse if `locked` (re-read under a row lock) is not at `expected_version`; name who changed what and when.

    With `required`, a missing version is refused too (naming the field `version`): approvals and sign-offs must
    say which version of the record the person saw."""
    if expected_version is None:
        if required:
            raise ValidationError({"version": (
                f"Give the version of {label or locked} you read: an approval or sign-off is bound to the "
                "version seen.")}, code="required")
        return
    if int(expected_version) == locked.version:
        return
    raise StaleRecordError(stale_message(locked, expected_version, label=label), code="stale")
