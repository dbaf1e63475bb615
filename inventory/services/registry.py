"""Every write to the inventory. Each function runs in a transaction, validates (field rules, row invariants and
the invariants across rows), saves through the history wrapper with the acting user and appends an
`InventoryEvent`. Admin, API and commands call these; nothing else writes inventory rows.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory import selectors
from inventory.models import (
    Activity,
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
from inventory.signals import CLOCK_FIELDS, ai_system_changed
from portal.core import inputs, references
from portal.core.audit import current_source
from portal.core.history import delete_tracked, save_tracked
from portal.core.references import Referrers

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


def _readable(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value) if value not in (None, "") else "none"


def _clock_inputs_changed(*, actor, system: AISystem, changes: dict[str, str], components: Iterable = ()) -> None:
    """Tell the apps above (`inventory.signals.ai_system_changed`) that facts the regulatory clock may read changed
    on `system`: `changes` maps what changed to a readable description."""
    if changes:
        ai_system_changed.send(sender=AISystem, system=system, actor=actor, fields=list(changes), changes=changes,
                               components=list(components))


def _plain(value):
    return value if isinstance(value, str | int | float | bool | list | dict | type(None)) else str(value)


# --- what a delete is refused for ------------------------------------------------------------------------------
# Regulated records (incidents, obligations, documents, disclosure decisions) live in apps above the inventory;
# they register which of their records refer to an inventory row (`portal.core.references`). The inventory's own
# links (a component used by a system, a team assigned on one) are listed here. A refused delete changes nothing.

RETIRE_SYSTEM = "retire it instead (lifecycle: retired)"
RETIRE_COMPONENT = "retire it instead (status: retired)"
RETIRE_TEAM = "retire it instead (retired: the team keeps its records and takes no new assignments)"


def _refuse_delete(subject: str, regulated: list[Referrers], links: list[Referrers], retire: str) -> None:
    """Raise the refusal naming every referrer; links alone can also be removed first, regulated ones cannot."""
    links = [ref for ref in links if ref]
    if regulated or links:
        alternative = retire if regulated else f"remove those links first, or {retire}"
        raise references.refusal(subject, [*regulated, *links], alternative)


def _lock(instance) -> None:
    """Lock the row about to be deleted before checking what refers to it: a record that starts to refer to it
    meanwhile (a foreign key to it, e.g. an incident's link) waits for the delete, so none is dropped unseen."""
    list(type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))


def _labels(rows, label) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label(*row) for row in rows))


def _assignable(team: Team | None, field: str = "team") -> None:
    """A retired team takes no new assignment: refused naming the field."""
    if team is not None and team.retired_at is not None:
        raise ValidationError({field: f"Team {team} is retired; reinstate it or choose another team."})


# --- teams -----------------------------------------------------------------------------------------------

@transaction.atomic
def team_create(*, actor, name: str, email: str = "", members: Iterable = ()) -> Team:
    team = save_tracked(Team(name=name, email=email), actor=actor)
    team.members.set(members)  # a history row with the member list, naming the actor (set by save_tracked)
    record_event(Kind.TEAM_CHANGED, actor=actor, summary=f"Team {team} created", payload={"team": team.pk})
    return team


@transaction.atomic
def team_update(*, actor, team: Team, members: Iterable | None = None, retired: bool | None = None,
                **changes) -> Team:
    """Change a team; `retired=True` retires it (it keeps its records and takes no new assignments), `False`
    reinstates it. Each change leaves a history row naming the actor and a timeline event."""
    changed = _apply(team, changes)
    if retired is not None and bool(retired) != team.retired:
        team.retired_at = timezone.now() if retired else None
        changed.append("retired_at")
    if changed:
        save_tracked(team, actor=actor, update_fields=changed)
    members = None if members is None else list(members)
    if members is not None and {m.pk for m in members} != set(team.members.values_list("pk", flat=True)):
        team._history_user = actor
        team.members.set(members)
        changed.append("members")
    if changed == ["retired_at"]:
        summary = f"Team {team} {'retired' if team.retired else 'reinstated'}"
        record_event(Kind.TEAM_CHANGED, actor=actor, summary=summary, payload={"fields": changed})
    elif changed:
        record_event(Kind.TEAM_CHANGED, actor=actor, summary=f"Team {team} updated", payload={"fields": changed})
    return team


def team_delete_check(*, team: Team) -> None:
    """Refuse to delete a team that records still refer to, naming them and offering retirement.

    What refers to a team:
    - regulated records: the team answers for (as owner team, RACI assignee or escalation assignee) an AI system
      that regulated records refer to (see `ai_system_delete_check`): the team's part in that system's response is
      part of the record, so the team is retired, not deleted. Registered by the apps that hold those records.
    - the inventory's own links: the team owns AI systems (the delete would empty their owner without a history
      row), or is assigned in a RACI or on an escalation path. These can be reassigned first; then a team that no
      regulated record reaches can be deleted.
    One query per kind of reference.
    """
    owned = references.found("owns AI systems", AISystem.objects.filter(owner_team=team), "name")
    raci = Referrers("is assigned in the RACI of", _labels(
        RaciAssignment.objects.filter(team=team).order_by("system__name", "activity").values_list(
            "system__name", "activity"),
        lambda system, activity: f"{system} ({Activity(activity).label})"))
    steps = Referrers("is on the escalation path of", _labels(
        EscalationStep.objects.filter(team=team).order_by("system__name", "severity", "order").values_list(
            "system__name", "severity", "order"),
        lambda system, severity, order: f"{system} ({severity.upper()} step {order})"))
    _refuse_delete(f"Team '{team.name}'", references.referrers(team), [owned, raci, steps], RETIRE_TEAM)


@transaction.atomic
def team_delete(*, actor, team: Team) -> None:
    """Delete a team nothing refers to; otherwise refused (`team_delete_check`) and nothing changes."""
    _lock(team)
    team_delete_check(team=team)
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
        raise ValidationError({"jurisdictions": inputs.unknown_jurisdictions(unknown)})
    return [found[c] for c in codes]


@transaction.atomic
def ai_system_create(*, actor, jurisdictions: Iterable = (), **fields) -> AISystem:
    _assignable(fields.get("owner_team"), "owner_team")
    places = _jurisdictions(jurisdictions)
    system = save_tracked(AISystem(**fields), actor=actor)
    system.jurisdictions.set(places)
    record_event(Kind.SYSTEM_REGISTERED, actor=actor, system=system, summary=f"AI system {system} registered",
           payload={"risk_class": system.risk_class, "operator_role": system.operator_role})
    return system


@transaction.atomic
def ai_system_update(*, actor, system: AISystem, jurisdictions: Iterable | None = None, **changes) -> AISystem:
    before_risk = AISystem.objects.filter(pk=system.pk).values_list("risk_class", flat=True).first()
    if "owner_team" in changes and getattr(changes["owner_team"], "pk", None) != system.owner_team_id:
        _assignable(changes["owner_team"], "owner_team")
    before = {name: getattr(system, name) for name in CLOCK_FIELDS if name != "jurisdictions"}
    changed = _apply(system, changes)
    if changed:
        save_tracked(system, actor=actor, update_fields=changed)
    clock_changes = {name: f"{_readable(before[name])} -> {_readable(getattr(system, name))}"
                     for name in CLOCK_FIELDS if name in changed}
    if jurisdictions is not None:
        places = _jurisdictions(jurisdictions)
        current, new = set(system.jurisdictions.values_list("code", flat=True)), {j.code for j in places}
        if new != current:
            system._history_user = actor
            system.jurisdictions.set(places)
            changed.append("jurisdictions")
            clock_changes["jurisdictions"] = f"{_readable(sorted(current))} -> {_readable(sorted(new))}"
    if not changed:
        return system
    record_event(Kind.SYSTEM_UPDATED, actor=actor, system=system, summary=f"AI system {system} updated",
           payload={"fields": changed})
    if before_risk != system.risk_class:
        record_event(Kind.RISK_CLASSIFIED, actor=actor, system=system,
               summary=f"Risk class of {system}: {before_risk or 'unassessed'} -> {system.risk_class or 'unassessed'}",
               payload={"from": before_risk, "to": system.risk_class, "rationale": system.risk_rationale})
    _clock_inputs_changed(actor=actor, system=system, changes=clock_changes)
    return system


def ai_system_delete_check(*, system: AISystem) -> None:
    """Refuse to delete an AI system that regulated records refer to, naming them and offering retirement.

    What refers to a system, as the apps that hold the records register it (`portal.core.references`): an incident
    names it now, or named it before (the incident's history keeps the link), or a containment action targeted it.
    Obligations, documents and disclosure decisions refer to a system only through their incident, which is never
    deleted, so the incident check covers them. Retiring (lifecycle: retired) keeps the system, its components,
    RACI and escalation path as the records knew them. Its own component links, RACI and escalation steps do not
    block a delete: the delete removes them, each with a history row. One query per kind of reference.
    """
    _refuse_delete(f"AI system '{system.name}'", references.referrers(system), [], RETIRE_SYSTEM)


@transaction.atomic
def ai_system_delete(*, actor, system: AISystem) -> None:
    """Delete a system nothing regulated refers to, with its links, RACI and escalation steps, each leaving its own
    history row; otherwise refused (`ai_system_delete_check`) and nothing changes."""
    _lock(system)
    ai_system_delete_check(system=system)
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


def component_delete_check(*, component: Component) -> None:
    """Refuse to delete a component that records still refer to, naming them and offering retirement.

    What refers to a component:
    - regulated records, as the apps that hold them register it: an incident names it now or named it before (its
      history keeps the link), or a containment action targeted it or rolled back to it;
    - the inventory's own links: an AI system uses it, another component depends on it, or a newer version is
      derived from it (these can be removed first).
    Its own dependency edges do not block: the delete removes them with history rows. One query per kind.
    """
    used = references.found("is used by AI systems", SystemComponent.objects.filter(component=component),
                            "system__name")
    dependents = references.found("is depended on by components", component.dependents.all(), "component__name")
    derived = Referrers("has versions derived from it", tuple(
        str(c) for c in Component.objects.filter(derived_from=component).order_by("name", "version")))
    _refuse_delete(f"Component '{component}'", references.referrers(component), [used, dependents, derived],
                   RETIRE_COMPONENT)


@transaction.atomic
def component_delete(*, actor, component: Component) -> None:
    """Delete a component nothing refers to, with its own dependency edges (each with a history row); otherwise
    refused (`component_delete_check`) and nothing changes."""
    _lock(component)
    component_delete_check(component=component)
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
    _clock_inputs_changed(actor=actor, system=system, components=[component.pk], changes={
        "components": f"{component} attached" + ("" if is_active else " (inactive)")})
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
    if "is_active" in changed:
        _clock_inputs_changed(actor=actor, system=link.system, components=[link.component_id], changes={
            "components": f"{link.component} {'activated' if link.is_active else 'deactivated'}"})
    return link


@transaction.atomic
def system_component_detach(*, actor, link: SystemComponent) -> None:
    system, component = link.system, link.component
    delete_tracked(link, actor=actor)
    record_event(Kind.COMPONENT_DETACHED, actor=actor, system=system, component=component,
           summary=f"{component} detached from {system}")
    _clock_inputs_changed(actor=actor, system=system, components=[component.pk],
                          changes={"components": f"{component} detached"})


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
    _assignable(team)
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
    if "team" in changes and getattr(changes["team"], "pk", None) != assignment.team_id:
        _assignable(changes["team"])
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
    _assignable(team)
    step = save_tracked(EscalationStep(system=system, severity=severity, order=order, user=user, team=team,
                                       acknowledge_within_minutes=acknowledge_within_minutes), actor=actor)
    record_event(Kind.ESCALATION_CHANGED, actor=actor, system=system,
           summary=f"Escalation {step.get_severity_display()} step {order}: {step.assignee_label}",
           payload={"severity": severity, "order": order, "minutes": acknowledge_within_minutes})
    return step


@transaction.atomic
def escalation_step_update(*, actor, step: EscalationStep, **changes) -> EscalationStep:
    if "team" in changes and getattr(changes["team"], "pk", None) != step.team_id:
        _assignable(changes["team"])
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
