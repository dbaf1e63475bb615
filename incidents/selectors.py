"""Reads of incidents: list querysets with their joins and the SLA state computed in the database."""


from django.db import connections, router
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When, Window
from django.db.models.functions import Cast, Now, RowNumber

from incidents.lifecycle import Status
from incidents.models import Incident
from incidents.sla import SlaState
from portal.core.compiled import CompiledOnce
from portal.core.json_sets import keep_loaded


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


# The sets an incident names, with the column that identifies a member and the model's own ordering: what the
# detail shows of them (slugs, ids, codes) is read in one query for all five.
NAMED_SETS = {
    "systems": ("slug", ("name",)),
    "components": ("id", ("kind", "name", "version")),
    "atlas_techniques": ("id", ("id",)),
    "owasp_risks": ("id", ("id",)),
    "jurisdictions": ("code", ("code",)),
}


def _named_sets_query(incident_id) -> QuerySet:
    """The named sets of the incident `incident_id`: one UNION of the link tables, rows (set, member, label,
    position in the target model's order)."""
    parts = []
    for name, (shown, ordering) in NAMED_SETS.items():
        link = Incident._meta.get_field(name)
        target = link.m2m_reverse_field_name()
        rows = link.remote_field.through.objects.filter(**{link.m2m_field_name(): incident_id})
        parts.append(rows.annotate(
            set_name=Value(name, output_field=CharField()),
            member=Cast(f"{target}__pk", CharField()),
            label=Cast(f"{target}__{shown}", CharField()),
            position=Window(RowNumber(), order_by=[F(f"{target}__{field}").asc() for field in ordering]),
        ).values_list("set_name", "member", "label", "position"))
    return parts[0].union(*parts[1:], all=True)


NAMED_SETS_QUERY = CompiledOnce(_named_sets_query)


def incident_named_sets(incident: Incident) -> None:
    """Load the AI systems, components, ATLAS techniques, OWASP risks and jurisdictions of `incident` as its
    prefetched sets, in one query (a UNION of the link tables) instead of one per set.

    Each member is loaded with its key and identifying column only (other fields are deferred), in the order of
    its model's `Meta.ordering`, as a prefetch would list them. The query is compiled once per database
    (`NAMED_SETS_QUERY`), then run with the incident's id."""
    using = incident._state.db or router.db_for_read(Incident)
    with connections[using].cursor() as cursor:
        cursor.execute(*NAMED_SETS_QUERY.sql(using, incident.pk))
        rows = cursor.fetchall()
    members = {name: [] for name in NAMED_SETS}
    for name, member, label, position in rows:
        members[name].append((position, member, label))
    for name, (shown, _ordering) in NAMED_SETS.items():
        model = Incident._meta.get_field(name).related_model
        pk = model._meta.pk
        loaded = [field for field in model._meta.concrete_fields if field is pk or field.attname == shown]
        objects = []
        for _position, member, label in sorted(members[name]):
            values = {shown: label, pk.attname: pk.to_python(member)}
            objects.append(model.from_db(incident._state.db, [field.attname for field in loaded],
                                         [values[field.attname] for field in loaded]))
        keep_loaded(incident, name, objects)


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
