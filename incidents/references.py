"""What incident records refer to in the inventory, registered with `portal.core.references` so that the inventory's
delete services refuse to delete it (the inventory never imports incidents; this app calls down).

- An AI system is referenced when an incident names it now, named it before (the incident's history keeps the link,
  so deleting the system would leave that history pointing at nothing), or a containment action targeted it.
- A component likewise: named on an incident now or before, or the target or rollback version of a containment
  action.
- A team when it answers for (as owner team, RACI assignee or escalation assignee) an AI system referenced as above.

Obligations, documents and disclosure decisions refer to the inventory only through their incident, which is never
deleted; the incident's references cover them. Each kind of reference is one query, whatever the number of
incidents; the labels are incident references (with the system's name where a team is reached through it).

Labels (`register_labels`) name incident records by their incident when a user they name cannot be deleted.
"""

from django.apps import apps
from django.db.models import Q

from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Incident,
    PostIncidentReview,
    RecoveryValidation,
    SlaNotice,
    TimelineEvent,
)
from inventory import selectors as inventory_selectors
from inventory.models import AISystem, Component, Team
from portal.core.references import Referrers, found, register_finder, register_label


def _history_links(field: str):
    """The history table of an incident's many-to-many field: one row per link in every snapshot of the incident."""
    return apps.get_model("incidents", f"HistoricalIncident_{field}")


def _by_incident(rows) -> tuple[str, ...]:
    """Labels "AIIR-2026-0001 (Support bot, Fraud model)" from (reference, system name) rows sorted by reference."""
    names: dict[str, list[str]] = {}
    for reference, name in rows:
        names.setdefault(reference, [])
        if name not in names[reference]:
            names[reference].append(name)
    return tuple(f"{reference} ({', '.join(sorted(systems))})" for reference, systems in names.items())


def _systems_referrers(systems, *, now: str, before: str, contained: str, with_names: bool) -> list[Referrers]:
    """The incidents that name any of `systems` (a queryset of AI systems), named them before, or contained them."""
    pks = systems.values("pk")
    current = Incident.systems.through.objects.filter(aisystem__in=pks)
    former = _history_links("systems").objects.filter(aisystem__in=pks).exclude(
        incident__in=current.values("incident_id"))
    actions = ContainmentAction.objects.filter(target_system__in=pks)
    if not with_names:
        return [found(now, current, "incident__reference"), found(before, former, "incident__reference"),
                found(contained, actions, "incident__reference")]
    return [
        Referrers(what, _by_incident(rows.order_by("incident__reference", name).values_list(
            "incident__reference", name).distinct()))
        for what, rows, name in ((now, current, "aisystem__name"), (before, former, "aisystem__name"),
                                 (contained, actions, "target_system__name"))
    ]


def ai_system_referrers(system: AISystem) -> list[Referrers]:
    return _systems_referrers(
        AISystem.objects.filter(pk=system.pk), with_names=False,
        now="is named on incidents",
        before="was named on (and removed from) incidents",
        contained="is the target of containment actions on incidents",
    )


def component_referrers(component: Component) -> list[Referrers]:
    current = Incident.components.through.objects.filter(component=component)
    former = _history_links("components").objects.filter(component_id=component.pk).exclude(
        incident__in=current.values("incident_id"))
    actions = ContainmentAction.objects.filter(Q(target_component=component) | Q(rollback_to=component))
    return [
        found("is named on incidents", current, "incident__reference"),
        found("was named on (and removed from) incidents", former, "incident__reference"),
        found("is the target or rollback version of containment actions on incidents", actions, "incident__reference"),
    ]


def team_referrers(team: Team) -> list[Referrers]:
    return _systems_referrers(
        inventory_selectors.systems_team_answers_for(team), with_names=True,
        now="answers for AI systems named on incidents",
        before="answers for AI systems once named on incidents",
        contained="answers for AI systems targeted by containment actions on incidents",
    )


def register() -> None:
    register_finder(AISystem, ai_system_referrers)
    register_finder(Component, component_referrers)
    register_finder(Team, team_referrers)
    register_label(Incident, "reference")
    for model in (TimelineEvent, SlaNotice, ChecklistItem, ContainmentAction, Evidence, RecoveryValidation,
                  PostIncidentReview):
        register_label(model, "incident__reference", "on incidents")
    register_label(CustodyEntry, "evidence__incident__reference", "on incidents")
    register_label(ActionItem, "review__incident__reference", "on incidents")
