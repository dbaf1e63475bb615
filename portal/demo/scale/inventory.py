"""The people and the inventory of the scale data set: a few dozen users in the portal's roles, and AI systems,
components, which system uses which component, and dependency edges between components, in proportion to the
number of incidents (about 300 systems, 3,000 components and 6,000 edges for 100,000 incidents)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import (
    AISystem,
    AnnexIIIArea,
    Component,
    ComponentDependency,
    ComponentKind,
    DependencyRelation,
    DeploymentKind,
    InventoryEvent,
    Lifecycle,
    SystemComponent,
)
from portal.core import roles
from portal.core.audit import Source
from portal.demo.scale.tables import HistoryChain, copy_rows, defaults, reserve_ids

USERS = (
    (roles.COMPLIANCE_OFFICER, "compliance", 4),
    (roles.INCIDENT_RESPONDER, "responder", 12),
    (roles.LEGAL_REVIEWER, "legal", 2),
    (roles.LEADERSHIP, "leadership", 2),
    (roles.AUDITOR, "auditor", 1),
)

# The (operator role, risk class) pairs systems are given, with their share: the regulatory clock reads them.
PROFILES = (
    (("deployer", "minimal"), 30),
    (("deployer", "transparency"), 20),
    (("deployer", "high_risk_annex_iii"), 20),
    (("provider", "high_risk_annex_iii"), 15),
    (("provider", "gpai"), 5),
    (("deployer", ""), 10),
)
SYSTEM_NAMES = ("Support assistant", "Fraud scoring", "Claims triage", "Code review agent", "Credit decisioning",
                "Document summariser", "Hiring screen", "Search ranking", "Medical coding", "Sales copilot")
# What each kind of component typically depends on, and how.
DEPENDS = {
    "model": (("dataset", DependencyRelation.TRAINED_ON), ("model", DependencyRelation.FINE_TUNED_FROM)),
    "agent": (("tool", DependencyRelation.USES_TOOL), ("model", DependencyRelation.DEPENDS_ON),
              ("credential", DependencyRelation.AUTHENTICATES_WITH)),
    "endpoint": (("model", DependencyRelation.DEPENDS_ON), ("guardrail", DependencyRelation.PROTECTED_BY)),
    "prompt": (("model", DependencyRelation.DEPENDS_ON),),
    "vector_store": (("dataset", DependencyRelation.RETRIEVES_FROM),),
    "tool": (("library", DependencyRelation.DEPENDS_ON), ("credential", DependencyRelation.AUTHENTICATES_WITH)),
    "service": (("library", DependencyRelation.DEPENDS_ON),),
}


@dataclass
class Inventory:
    users: dict[str, list[int]]  # role key ("compliance", "responder" ...) -> user ids
    systems: dict[tuple[str, str], list[int]]  # (operator role, risk class) -> system ids
    components_of: dict[int, list[int]]  # system id -> its component ids
    components: list[int] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)


def ensure_users(prefix: str = "scale") -> dict[str, list[int]]:
    """Users in every role (`scale-responder-01` ...), created once; they have no usable password."""
    User = get_user_model()
    found = {}
    for role, key, count in USERS:
        group = Group.objects.get(name=role)
        ids = []
        for number in range(1, count + 1):
            username = f"{prefix}-{key}-{number:02d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=key.capitalize(), last_name=f"{number:02d}",
                            email=f"{username}@scale.example", is_staff=True)
                user.set_unusable_password()
                user.save()
                user.groups.add(group)
            ids.append(user.pk)
        found[key] = ids
    return found


def sizes(incidents: int) -> tuple[int, int]:
    """(systems, components) for a data set of `incidents`."""
    systems = max(12, min(400, incidents // 300))
    return systems, systems * 10


def _history(rows: list[dict], tracked: list[str], *, first_id: int, at, actor: int) -> list[dict]:
    return [{**{name: row[name] for name in tracked}, "history_id": first_id + i, "history_date": at,
             "history_change_reason": None, "history_type": "+", "history_user_id": actor,
             "history_source": Source.COMMAND} for i, row in enumerate(rows)]


def _write(model, rows: list[dict], *, at, actor: int) -> None:
    """Insert `rows` (ids given) and their history rows, chained."""
    copy_rows(model, rows)
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    HistoryChain(history).append(_history(rows, tracked, first_id=reserve_ids(history, len(rows)), at=at,
                                          actor=actor))


def create_inventory(rng, *, incidents: int, users: dict[str, list[int]], now) -> Inventory:
    """Systems, components, their links and dependency edges, each with its history row and an inventory event
    per system and component, written in a few statements per table."""
    n_systems, n_components = sizes(incidents)
    actor = users["compliance"][0]
    at = now - dt.timedelta(days=3 * 365 + 30)

    # Components: kinds in proportion, unique by (kind, group, name, version).
    kinds = list(ComponentKind.values)
    weights = [4 if k in ("model", "dataset", "library", "tool", "prompt") else 2 for k in kinds]
    first = reserve_ids(Component, n_components)
    base = defaults(Component)
    components, by_kind = [], {}
    for i in range(n_components):
        kind = rng.choices(kinds, weights)[0]
        pk = first + i
        components.append({**base, "id": pk, "kind": kind, "name": f"{kind.replace('_', '-')}-{pk}",
                           "group": rng.choice(("acme", "northwind", "open-source", "vendor-x")),
                           "version": f"{rng.randint(1, 4)}.{rng.randint(0, 9)}", "supplier": "Scale data set",
                           "created_at": at, "updated_at": at})
        by_kind.setdefault(kind, []).append(pk)
    _write(Component, components, at=at, actor=actor)

    # Dependency edges: about two per component, towards the kinds it typically depends on (no self edges).
    edges, seen = [], set()
    for row in components:
        for target_kind, relation in DEPENDS.get(row["kind"], (("library", DependencyRelation.DEPENDS_ON),)):
            pool = by_kind.get(target_kind)
            if not pool:
                continue
            for _ in range(rng.choice((1, 1, 2))):
                target = rng.choice(pool)
                if target != row["id"] and (row["id"], target) not in seen:
                    seen.add((row["id"], target))
                    edges.append({"component_id": row["id"], "depends_on_id": target, "relation": relation})
    first = reserve_ids(ComponentDependency, len(edges))
    for i, edge in enumerate(edges):
        edge["id"] = first + i
    _write(ComponentDependency, edges, at=at, actor=actor)

    # Systems, with the profile the regulatory clock reads.
    profiles = [p for p, _ in PROFILES]
    shares = [w for _, w in PROFILES]
    first = reserve_ids(AISystem, n_systems)
    base = defaults(AISystem)
    systems, by_profile = [], {}
    for i in range(n_systems):
        pk = first + i
        role, risk_class = profiles[i] if i < len(profiles) else rng.choices(profiles, shares)[0]
        name = f"{SYSTEM_NAMES[i % len(SYSTEM_NAMES)]} {pk}"
        systems.append({
            **base, "id": pk, "name": name, "slug": f"scale-system-{pk}", "purpose": f"{name}: scale data set.",
            "deployment_kind": rng.choice(DeploymentKind.values), "lifecycle": Lifecycle.PRODUCTION,
            "operator_role": role, "risk_class": risk_class,
            "annex_iii_area": rng.choice(AnnexIIIArea.values) if risk_class == "high_risk_annex_iii" else "",
            "risk_rationale": "Assessed for the scale data set." if risk_class else "",
            "personal_data_categories": [], "owner_team_id": None, "created_at": at, "updated_at": at})
        by_profile.setdefault((role, risk_class), []).append(pk)
    _write(AISystem, systems, at=at, actor=actor)

    # Each system uses 6 to 14 components (at least one model).
    uses, components_of = [], {}
    for system in systems:
        chosen = {rng.choice(by_kind.get("model") or [c["id"] for c in components])}
        chosen.update(rng.sample([c["id"] for c in components], min(len(components), rng.randint(5, 13))))
        components_of[system["id"]] = sorted(chosen)
        uses += [{"system_id": system["id"], "component_id": c, "usage": "", "is_active": True}
                 for c in sorted(chosen)]
    first = reserve_ids(SystemComponent, len(uses))
    for i, use in enumerate(uses):
        use["id"] = first + i
    _write(SystemComponent, uses, at=at, actor=actor)

    event = {**defaults(InventoryEvent), "actor_id": actor, "source": Source.COMMAND, "at": at, "payload": {}}
    copy_rows(InventoryEvent, [
        *({**event, "kind": InventoryEvent.Kind.SYSTEM_REGISTERED, "system_id": s["id"],
           "summary": f"System registered: {s['name']}"} for s in systems),
        *({**event, "kind": InventoryEvent.Kind.COMPONENT_REGISTERED, "component_id": c["id"],
           "summary": f"Component registered: {c['name']} {c['version']}"} for c in components),
    ])
    return Inventory(users=users, systems=by_profile, components_of=components_of,
                     components=[c["id"] for c in components],
                     created={"AI systems": len(systems), "components": len(components),
                              "system-component links": len(uses), "dependency edges": len(edges)})


def existing_inventory(users: dict[str, list[int]]) -> Inventory:
    """The inventory already in the database (for `--append`): incidents are spread over it."""
    by_profile = {}
    for pk, role, risk_class in AISystem.objects.order_by("pk").values_list("pk", "operator_role", "risk_class"):
        by_profile.setdefault((role or "", risk_class or ""), []).append(pk)
    components_of = {}
    for system_id, component_id in SystemComponent.objects.order_by("pk").values_list("system_id", "component_id"):
        components_of.setdefault(system_id, []).append(component_id)
    components = list(Component.objects.order_by("pk").values_list("pk", flat=True))
    return Inventory(users=users, systems=by_profile, components_of=components_of, components=components)
