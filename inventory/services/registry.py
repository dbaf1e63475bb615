"""Every write to the inventory. Each function runs in a transaction, validates (field rules, row invariants and
the invariants across rows), saves through the history wrapper with the acting user and appends an
`InventoryEvent`. Admin, API and commands call these; nothing else writes inventory rows.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory import selectors
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    InventoryEvent,
    Jurisdiction,
    RaciAssignment,
    RaciRole,
    SystemComponent,
    Team,
)
from portal.core.audit import current_source
from portal.core.history import delete_tracked, save_tracked

Kind = InventoryEvent.Kind


def record_event(kind, *, actor, summary, system=None, component=None, payload=None) -> InventoryEvent:
    return InventoryEvent.objects.create(
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        source=current_source(),
        system=system,
        component=component,
        summary=summary[:300],
        payload=payload or {},
    )


def _apply(instance, changes: dict) -> list[str]:
    """Set `changes` on the instance; return the names of fields whose value really changed."""
    changed = []
    for field, value in changes.items():
        instance._meta.get_field(field)  # unknown field names fail loudly
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def _plain(value):
    return value if isinstance(value, str | int | float | bool | list | dict | type(None)) else str(value)


# --- teams -----------------------------------------------------------------------------------------------

@transaction.atomic
def team_create(*, actor, name: str, email: str = "", members: Iterable = ()) -> Team:
    team = save_tracked(Team(name=name, email=email), actor=actor)
    team.members.set(members)  # a history row with the member list, naming the actor (set by save_tracked)
    record_event(Kind.TEAM_CHANGED, actor=actor, summary=f"Team {team} created", payload={"team": team.pk})
    return team


@transaction.atomic
def team_update(*, actor, team: Team, members: Iterable | None = None, **changes) -> Team:
    changed = _apply(team, changes)
    if changed:
        save_tracked(team, actor=actor, update_fields=changed)
    members = None if members is None else list(members)
    if members is not None and {m.pk for m in members} != set(team.members.values_list("pk", flat=True)):
        team._history_user = actor
        team.members.set(members)
        changed.append("members")
    if changed:
        record_event(Kind.TEAM_CHANGED, actor=actor, summary=f"Team {team} updated", payload={"fields": changed})
    return team


@transaction.atomic
def team_delete(*, actor, team: Team) -> None:
    name = team.name
    delete_tracked(team, actor=actor)
    record_event(Kind.TEAM_CHANGED, actor=actor, summary=f"Team {name} deleted", payload={"team": name})


# --- AI systems ------------------------------------------------------------------------------------------

def _jurisdictions(codes_or_objects: Iterable) -> list[Jurisdiction]:
    items = list(codes_or_objects)
    codes = [j if isinstance(j, str) else j.code for j in items]
    found = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError({"jurisdictions": f"Unknown jurisdiction codes: {', '.join(unknown)}."})
    return [found[c] for c in codes]


@transaction.atomic
def ai_system_create(*, actor, jurisdictions: Iterable = (), **fields) -> AISystem:
    places = _jurisdictions(jurisdictions)
    system = save_tracked(AISystem(**fields), actor=actor)
    system.jurisdictions.set(places)
    record_event(Kind.SYSTEM_REGISTERED, actor=actor, system=system, summary=f"AI system {system} registered",
           payload={"risk_class": system.risk_class, "operator_role": system.operator_role})
    return system


@transaction.atomic
def ai_system_update(*, actor, system: AISystem, jurisdictions: Iterable | None = None, **changes) -> AISystem:
    before_risk = AISystem.objects.filter(pk=system.pk).values_list("risk_class", flat=True).first()
    changed = _apply(system, changes)
    if changed:
        save_tracked(system, actor=actor, update_fields=changed)
    if jurisdictions is not None:
        places = _jurisdictions(jurisdictions)
        if {j.pk for j in places} != set(system.jurisdictions.values_list("pk", flat=True)):
            system._history_user = actor
            system.jurisdictions.set(places)
            changed.append("jurisdictions")
    if not changed:
        return system
    record_event(Kind.SYSTEM_UPDATED, actor=actor, system=system, summary=f"AI system {system} updated",
           payload={"fields": changed})
    if before_risk != system.risk_class:
        record_event(Kind.RISK_CLASSIFIED, actor=actor, system=system,
               summary=f"Risk class of {system}: {before_risk or 'unassessed'} -> {system.risk_class or 'unassessed'}",
               payload={"from": before_risk, "to": system.risk_class, "rationale": system.risk_rationale})
    return system


@transaction.atomic
def ai_system_delete(*, actor, system: AISystem) -> None:
    """Delete a system and its links, RACI and escalation steps, each leaving its own history row."""
    name, slug = system.name, system.slug
    for related in (*system.system_components.all(), *system.raci.all(), *system.escalation_steps.all()):
        delete_tracked(related, actor=actor)
    delete_tracked(system, actor=actor)
    record_event(Kind.SYSTEM_DELETED, actor=actor, summary=f"AI system {name} deleted", payload={"slug": slug})


# --- components ------------------------------------------------------------------------------------------

@transaction.atomic
def component_create(*, actor, **fields) -> Component:
    component = save_tracked(Component(**fields), actor=actor)
    record_event(Kind.COMPONENT_REGISTERED, actor=actor, component=component,
                 summary=f"Component {component} registered")
    return component


@transaction.atomic
def component_update(*, actor, component: Component, **changes) -> Component:
    changed = _apply(component, changes)
    if changed:
        save_tracked(component, actor=actor, update_fields=changed)
        record_event(Kind.COMPONENT_UPDATED, actor=actor, component=component, summary=f"Component {component} updated",
               payload={"fields": changed, "values": {f: _plain(getattr(component, f)) for f in changed}})
    return component


@transaction.atomic
def component_delete(*, actor, component: Component) -> None:
    if component.system_uses.exists() or component.dependents.exists() or component.derivatives.exists():
        raise ValidationError(
            f"Component {component} is still used by a system, depended on or derived from; "
            "detach it first or mark it retired."
        )
    label = str(component)
    for dependency in component.dependencies.all():
        delete_tracked(dependency, actor=actor)
    delete_tracked(component, actor=actor)
    record_event(Kind.COMPONENT_DELETED, actor=actor, summary=f"Component {label} deleted",
                 payload={"component": label})


# --- system <-> component links ----------------------------------------------------------------------------

@transaction.atomic
def system_component_attach(*, actor, system: AISystem, component: Component, usage: str = "",
                            is_active: bool = True) -> SystemComponent:
    link = save_tracked(SystemComponent(system=system, component=component, usage=usage, is_active=is_active),
                        actor=actor)
    record_event(Kind.COMPONENT_ATTACHED, actor=actor, system=system, component=component,
           summary=f"{component} attached to {system}", payload={"usage": usage, "is_active": is_active})
    return link


@transaction.atomic
def system_component_update(*, actor, link: SystemComponent, **changes) -> SystemComponent:
    if {"system", "component"} & set(changes):
        raise ValidationError("Detach the component and attach the new one instead of re-pointing a link.")
    changed = _apply(link, changes)
    if changed:
        save_tracked(link, actor=actor, update_fields=changed)
        record_event(Kind.COMPONENT_ATTACHED, actor=actor, system=link.system, component=link.component,
               summary=f"Use of {link.component} by {link.system} updated",
               payload={f: _plain(getattr(link, f)) for f in changed})
    return link


@transaction.atomic
def system_component_detach(*, actor, link: SystemComponent) -> None:
    system, component = link.system, link.component
    delete_tracked(link, actor=actor)
    record_event(Kind.COMPONENT_DETACHED, actor=actor, system=system, component=component,
           summary=f"{component} detached from {system}")


# --- dependency graph -------------------------------------------------------------------------------------

def dependency_check(*, component: Component, depends_on: Component) -> None:
    """Refuse a self-dependency or an edge that would close a cycle (one recursive query)."""
    if component.pk is None or depends_on.pk is None:
        return
    if component.pk == depends_on.pk:
        raise ValidationError({"depends_on": "A component cannot depend on itself."})
    if selectors.component_depends_on(depends_on, component):
        raise ValidationError(
            {"depends_on": f"{depends_on} already depends on {component}; this dependency would make a cycle."}
        )


@transaction.atomic
def dependency_add(*, actor, component: Component, depends_on: Component,
                   relation: str = "depends_on") -> ComponentDependency:
    # Lock the two endpoints so two concurrent edges cannot close a cycle between them.
    list(Component.objects.select_for_update().filter(pk__in=[component.pk, depends_on.pk]))
    dependency_check(component=component, depends_on=depends_on)
    edge = save_tracked(ComponentDependency(component=component, depends_on=depends_on, relation=relation),
                        actor=actor)
    record_event(Kind.DEPENDENCY_ADDED, actor=actor, component=component, summary=str(edge),
           payload={"depends_on": depends_on.pk, "relation": relation})
    return edge


@transaction.atomic
def dependency_update(*, actor, edge: ComponentDependency, relation: str) -> ComponentDependency:
    if _apply(edge, {"relation": relation}):
        save_tracked(edge, actor=actor, update_fields=["relation"])
        record_event(Kind.DEPENDENCY_ADDED, actor=actor, component=edge.component, summary=f"{edge} (relation changed)",
               payload={"depends_on": edge.depends_on_id, "relation": relation})
    return edge


@transaction.atomic
def dependency_remove(*, actor, edge: ComponentDependency) -> None:
    component, label = edge.component, str(edge)
    delete_tracked(edge, actor=actor)
    record_event(Kind.DEPENDENCY_REMOVED, actor=actor, component=component, summary=f"Removed: {label}")


# --- RACI and escalation ------------------------------------------------------------------------------------

def raci_check(*, assignment: RaciAssignment) -> None:
    """One Accountable per system and activity, with a message naming who holds it now."""
    if assignment.role != RaciRole.ACCOUNTABLE or not assignment.system_id:
        return
    holder = (
        RaciAssignment.objects.filter(system_id=assignment.system_id, activity=assignment.activity,
                                      role=RaciRole.ACCOUNTABLE)
        .exclude(pk=assignment.pk)
        .select_related("user", "team")
        .first()
    )
    if holder:
        raise ValidationError({"role": (
            f"{holder.assignee_label} is already Accountable for '{assignment.get_activity_display()}' on "
            f"{assignment.system}; there is exactly one Accountable per system and activity."
        )})


@transaction.atomic
def raci_assign(*, actor, system: AISystem, activity: str, role: str, user=None, team=None) -> RaciAssignment:
    assignment = RaciAssignment(system=system, activity=activity, role=role, user=user, team=team)
    raci_check(assignment=assignment)
    save_tracked(assignment, actor=actor)
    record_event(Kind.RACI_CHANGED, actor=actor, system=system,
           summary=f"{assignment.assignee_label}: {assignment.get_role_display()} for "
                   f"{assignment.get_activity_display()}",
           payload={"activity": activity, "role": role, "user": getattr(user, "pk", None),
                    "team": getattr(team, "pk", None)})
    return assignment


@transaction.atomic
def raci_update(*, actor, assignment: RaciAssignment, **changes) -> RaciAssignment:
    if "system" in changes and changes["system"] != assignment.system:
        raise ValidationError({"system": "A RACI assignment cannot move to another system."})
    changed = _apply(assignment, changes)
    if changed:
        raci_check(assignment=assignment)
        save_tracked(assignment, actor=actor, update_fields=changed)
        record_event(Kind.RACI_CHANGED, actor=actor, system=assignment.system,
               summary=f"RACI updated: {assignment.assignee_label} {assignment.get_role_display()} for "
                       f"{assignment.get_activity_display()}", payload={"fields": changed})
    return assignment


@transaction.atomic
def raci_remove(*, actor, assignment: RaciAssignment) -> None:
    system, label = assignment.system, f"{assignment.assignee_label} {assignment}"
    delete_tracked(assignment, actor=actor)
    record_event(Kind.RACI_CHANGED, actor=actor, system=system, summary=f"RACI removed: {label}")


@transaction.atomic
def escalation_step_create(*, actor, system: AISystem, severity: str, order: int, acknowledge_within_minutes: int,
                           user=None, team=None) -> EscalationStep:
    step = save_tracked(EscalationStep(system=system, severity=severity, order=order, user=user, team=team,
                                       acknowledge_within_minutes=acknowledge_within_minutes), actor=actor)
    record_event(Kind.ESCALATION_CHANGED, actor=actor, system=system,
           summary=f"Escalation {step.get_severity_display()} step {order}: {step.assignee_label}",
           payload={"severity": severity, "order": order, "minutes": acknowledge_within_minutes})
    return step


@transaction.atomic
def escalation_step_update(*, actor, step: EscalationStep, **changes) -> EscalationStep:
    changed = _apply(step, changes)
    if changed:
        save_tracked(step, actor=actor, update_fields=changed)
        record_event(Kind.ESCALATION_CHANGED, actor=actor, system=step.system, summary=f"Escalation {step} updated",
               payload={"fields": changed})
    return step


@transaction.atomic
def escalation_step_delete(*, actor, step: EscalationStep) -> None:
    system, label = step.system, str(step)
    delete_tracked(step, actor=actor)
    record_event(Kind.ESCALATION_CHANGED, actor=actor, system=system, summary=f"Escalation {label} removed")
