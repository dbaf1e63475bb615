"""Reads of incidents: list querysets with their joins and the SLA state computed in the database."""

from django.db.models import Case, CharField, Count, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Now

from incidents.lifecycle import Status
from incidents.models import Incident, TimelineEvent
from incidents.sla import SlaState


def with_sla_state(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate `sla_state`: breached, due_soon, on_track, met (no unmet target) or none (closed/dismissed).

    Uses the `sla_next_due_at` / `sla_next_warn_at` the services keep, so it is one CASE in the query."""
    return queryset.annotate(
        sla_state=Case(
            When(status__in=[Status.CLOSED, Status.DISMISSED], then=Value("")),
            When(sla_next_due_at__isnull=True, then=Value(SlaState.MET)),
            When(sla_next_due_at__lt=Now(), then=Value(SlaState.BREACHED)),
            When(sla_next_warn_at__lte=Now(), then=Value(SlaState.DUE_SOON)),
            default=Value(SlaState.ON_TRACK),
            output_field=CharField(),
        )
    )


def incident_list() -> QuerySet[Incident]:
    """Incidents with what list pages show: commander, affected systems, SLA state. Constant query count."""
    return with_sla_state(
        Incident.objects.select_related("commander").prefetch_related("systems")
    )


def incident_open_list() -> QuerySet[Incident]:
    return incident_list().exclude(status__in=[Status.CLOSED, Status.DISMISSED])


def incidents_with_sla_state(state: str) -> QuerySet[Incident]:
    return incident_list().filter(sla_state=state)


def incident_detail(pk) -> Incident:
    return incident_list().prefetch_related(
        "components", "atlas_techniques", "owasp_risks", "jurisdictions",
        Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor")),
    ).get(pk=pk)


def open_incident_by_dedup_key(dedup_key: str) -> Incident | None:
    """The open incident an alert with this deduplication key appends to (the newest one, if several)."""
    if not dedup_key:
        return None
    return (
        Incident.objects.filter(dedup_key=dedup_key)
        .exclude(status__in=[Status.CLOSED, Status.DISMISSED])
        .order_by("-detected_at", "-id")
        .first()
    )


def incident_counts_by_status() -> dict[str, int]:
    return dict(Incident.objects.values_list("status").annotate(n=Count("id")).order_by())


def open_q() -> Q:
    return ~Q(status__in=[Status.CLOSED, Status.DISMISSED])


def incidents_open_involving(*, system, components=()) -> QuerySet[Incident]:
    """The open incidents (not closed or dismissed) that name the AI system `system`, or one of the component ids
    `components`: one query (a subquery where it is used as one), without duplicates."""
    involved = Q(systems=system)
    if components:
        involved |= Q(components__in=list(components))
    ids = Incident.objects.filter(involved).filter(open_q()).values("pk")
    return Incident.objects.filter(pk__in=ids)
