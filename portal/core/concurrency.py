"""Optimistic locking: a record edited by several people carries a `version`; a stale edit is refused."""

from django.core.exceptions import ValidationError


class StaleRecordError(ValidationError):
    """The record changed since the editor loaded it. The API answers 409 Conflict; the admin shows a form error."""


def check_version(locked, expected_version, *, label=None):
    """Refuse if `locked` (re-read under a row lock) is not at `expected_version`; name who changed it and when."""
    if expected_version is None or int(expected_version) == locked.version:
        return
    latest = locked.history.select_related("history_user").first() if hasattr(locked, "history") else None
    who = latest.history_user.get_username() if latest and latest.history_user else "someone"
    when = f" at {latest.history_date:%Y-%m-%d %H:%M:%S} UTC" if latest else ""
    raise StaleRecordError(
        f"{label or locked} was changed by {who}{when} (now version {locked.version}; your copy is version "
        f"{expected_version}). Reload it and apply your change again.",
        code="stale",
    )
