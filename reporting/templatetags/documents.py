"""Filters of the document templates (`{% load documents %}`)."""

from django import template

from portal.core.display import day_text, moment_text

register = template.Library()


@register.filter
def moment(value, fallback="—"):
    """An ISO 8601 moment as `7 Dec 2026 00:47 UTC`; an empty value as `fallback`; any other text as it is."""
    if not value:
        return fallback
    return moment_text(value) or str(value)


@register.filter
def moment_seconds(value, fallback="—"):
    """`moment` with the seconds (`7 Dec 2026 00:47:35 UTC`), for audit rows."""
    if not value:
        return fallback
    return moment_text(value, seconds=True) or str(value)


@register.filter
def day(value, fallback="—"):
    """An ISO 8601 date as `7 Dec 2026`."""
    if not value:
        return fallback
    return day_text(value) or str(value)
