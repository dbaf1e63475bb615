"""Reads for reporting pages: the deadline board and an incident's reporting records."""

from datetime import timedelta

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from inventory.models import PersonalData
from reporting.models import Document, Obligation


def obligation_list():
    return Obligation.objects.select_related("incident", "submitted_by")


def deadline_board(*, now=None, queryset=None):
    """Open obligations across incidents, soonest first (no fixed deadline last), annotated with `urgency`:
    0 overdue, 1 due within 24 hours, 2 later, 3 no fixed deadline."""
    now = now or timezone.now()
    queryset = Obligation.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status=Obligation.Status.OPEN)
        .select_related("incident")
        .annotate(urgency=Case(
            When(due_at__isnull=True, then=Value(3)),
            When(due_at__lt=now, then=Value(0)),
            When(due_at__lte=now + timedelta(hours=24), then=Value(1)),
            default=Value(2), output_field=IntegerField(),
        ))
        .order_by(F("due_at").asc(nulls_last=True), "incident__reference", "key")
    )


def overdue_q(now):
    return Q(due_at__lt=now)


def due_within_q(now, hours=24):
    return Q(due_at__gte=now, due_at__lte=now + timedelta(hours=hours))


def document_next_version(kind, subject: str) -> int:
    """The version the next document of `kind` issued for `subject` (e.g. "obligation:12") will have."""
    latest = Document.objects.filter(kind=kind, subject=subject).order_by("-version").values_list(
        "version", flat=True).first()
    return (latest or 0) + 1


def breach_categories_proposed(incident) -> list[str]:
    """The personal-data categories the incident's AI systems process (their inventory records), in the order of
    the choices: a proposal for the breach's categories, which a compliance officer confirms or corrects. Reads
    `incident.systems` (prefetch it for a list)."""
    processed = {c for system in incident.systems.all() for c in system.personal_data_categories or []}
    return [value for value in PersonalData.values if value in processed]
