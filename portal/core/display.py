"""How the portal writes moments for people: one format everywhere, with the time zone named.

`7 Dec 2026 00:47 UTC` (or in another zone with its abbreviation: `7 Dec 2026 01:47 CET`). Stored and computed
times stay UTC; this is only how they are written on pages and in documents.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _parsed(value) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text \
                else date.fromisoformat(text)
        except ValueError:
            return None
    return None


def day_text(value) -> str:
    """`7 Dec 2026` for a date (or the date of a moment)."""
    parsed = _parsed(value)
    if parsed is None:
        return ""
    return f"{parsed.day} {MONTHS[parsed.month - 1]} {parsed.year}"


def moment_text(value, zone: str | None = None, *, seconds: bool = False) -> str:
    """`7 Dec 2026 00:47 UTC` for an aware datetime or an ISO 8601 string with an offset (a naive one is taken as
    UTC), in `zone` (an IANA name; default UTC). Not a moment (empty, unparsable): ""; a plain date: its day."""
    parsed = _parsed(value)
    if parsed is None:
        return ""
    if not isinstance(parsed, datetime):
        return day_text(parsed)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        local = parsed.astimezone(ZoneInfo(zone) if zone and zone != "UTC" else UTC)
    except OverflowError:  # year 9999 does not move east of UTC: shown in UTC
        local, zone = parsed.astimezone(UTC), None
    name = "UTC" if not zone or zone == "UTC" else local.tzname()
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{day_text(local)} {clock} {name}"


def field_label(model, name: str) -> str:
    """A field of `model` as people read it (its verbose name), or the name in words when it is not a field."""
    try:
        return str(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):  # not a field of the model, or no model
        return name.replace("_", " ")


def field_labels(model, names) -> str:
    """`field_label` of each name, comma-separated."""
    return ", ".join(field_label(model, name) for name in names)


def person(user) -> str:
    """A user as people read them: the full name, else the username; "someone" for nobody."""
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def size_text(size) -> str:
    """A file size a reader takes in: "40 bytes", "1.2 MB" (with the exact byte count when above a kilobyte)."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    from django.template.defaultfilters import filesizeformat

    return f"{filesizeformat(size)} ({size:,} bytes)".replace("\xa0", " ")


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`number` and the noun that agrees with it: "1 deadline", "2 deadlines", "1 SLA breach" / "2 SLA breaches"
    (`plural` for a noun that does not take an s). Only the noun's last word changes: "1 open incident"."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def admin_url(obj) -> str:
    """The admin page of a record."""
    from django.urls import reverse

    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def admin_link(obj, text=None):
    """The record as a link to its admin page, named `text` or as the record reads."""
    from django.utils.html import format_html

    return format_html('<a href="{}">{}</a>', admin_url(obj), obj if text is None else text)
