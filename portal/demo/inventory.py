"""Loads the demo inventory (inventory.yaml) through the inventory services. Idempotent: an object that
already exists (by its natural key) is left exactly as it is, so a second run writes nothing."""

from pathlib import Path

import yaml

from inventory import services
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    RaciAssignment,
    SystemComponent,
    Team,
)

DATA = Path(__file__).with_name("inventory.yaml")


def _assignee(kind, name, users, teams):
    return {"user": users[name]} if kind == "user" else {"team": teams[name]}


def load_inventory(*, actor, users) -> dict:
    data = yaml.safe_load(DATA.read_text())
    created = {"teams": 0, "components": 0, "dependencies": 0, "systems": 0}

    teams = {}
    for row in data["teams"]:
        team = Team.objects.filter(name=row["name"]).first()
        if team is None:
            team = services.team_create(actor=actor, name=row["name"], email=row["email"],
                                        members=[users[u] for u in row.get("members", [])])
            created["teams"] += 1
        teams[team.name] = team

    components = {}
    for row in data["components"]:
        fields = {k: v for k, v in row.items() if k not in ("key", "derived_from")}
        if "derived_from" in row:
            fields["derived_from"] = components[row["derived_from"]]
        natural = {k: fields.get(k, "") for k in ("kind", "group", "name", "version")}
        component = Component.objects.filter(**natural).first()
        if component is None:
            component = services.component_create(actor=actor, **fields)
            created["components"] += 1
        components[row["key"]] = component

    for source, target, relation in data["dependencies"]:
        a, b = components[source], components[target]
        if not ComponentDependency.objects.filter(component=a, depends_on=b).exists():
            services.dependency_add(actor=actor, component=a, depends_on=b, relation=relation)
            created["dependencies"] += 1

    for row in data["systems"]:
        system = AISystem.objects.filter(slug=row["slug"]).first()
        if system is None:
            fields = {k: v for k, v in row.items() if k not in ("components", "raci", "escalation", "owner_team")}
            system = services.ai_system_create(actor=actor, owner_team=teams.get(row.get("owner_team")), **fields)
            created["systems"] += 1
        # Links, RACI and escalation steps missing from an existing system are added (a demo seeded before the
        # RACI grew gets it); what exists is left as it is.
        for key, usage, active in row.get("components", []):
            if not SystemComponent.objects.filter(system=system, component=components[key]).exists():
                services.system_component_attach(actor=actor, system=system, component=components[key],
                                                 usage=usage, is_active=active)
        for activity, role, kind, name in row.get("raci", []):
            assignee = _assignee(kind, name, users, teams)
            if not RaciAssignment.objects.filter(system=system, activity=activity, role=role, **assignee).exists():
                services.raci_assign(actor=actor, system=system, activity=activity, role=role, **assignee)
        for severity, order, kind, name, minutes in row.get("escalation", []):
            if not EscalationStep.objects.filter(system=system, severity=severity, order=order).exists():
                services.escalation_step_create(actor=actor, system=system, severity=severity, order=order,
                                                acknowledge_within_minutes=minutes,
                                                **_assignee(kind, name, users, teams))
    return created


