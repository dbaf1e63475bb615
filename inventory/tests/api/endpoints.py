"""The inventory endpoints as data: URL, a valid create payload, a valid patch and a row that may be deleted.

Payloads and rows are built from the `inventory` fixture (see conftest.py). Shared by the permission table and
the history tests so each endpoint is described once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inventory import services
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    ComponentKind,
    EscalationStep,
    InventoryEvent,
    Jurisdiction,
    RaciAssignment,
    SystemComponent,
    Team,
)
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory

API = "/api/v1/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    model: type
    lookup: Callable[[Any], str]  # the detail lookup of an existing row
    create: Callable[[Any], dict] | None = None  # None: read only
    patch: Callable[[Any], dict] | None = None
    deletable: Callable[[Any], str] | None = None  # builds a row nobody references, returns its lookup
    lookup_field: str = "pk"

    @property
    def list_url(self):
        return f"{API}{self.name}/"

    def detail_url(self, lookup):
        return f"{self.list_url}{lookup}/"

    def get(self, lookup):
        return self.model.objects.get(**{self.lookup_field: lookup})

    @property
    def writable(self):
        return self.create is not None

    def __str__(self):
        return self.name


def _fresh_component(inv, **kwargs):
    return ComponentFactory(actor=inv.admin, kind=ComponentKind.TOOL, **kwargs)


ENDPOINTS = [
    Endpoint(
        "systems", AISystem, lambda inv: inv.system.slug,
        create=lambda inv: {"name": "Credit scoring", "slug": "credit-scoring", "purpose": "Scores loan requests.",
                            "risk_class": "high_risk_annex_iii", "annex_iii_area": "essential_services",
                            "risk_rationale": "Creditworthiness (Annex III 5(b)).", "jurisdictions": ["de", "FR"],
                            "owner_team": inv.team.pk},
        patch=lambda inv: {"lifecycle": "production"},
        deletable=lambda inv: AISystemFactory(actor=inv.admin).slug,
        lookup_field="slug",
    ),
    Endpoint(
        "components", Component, lambda inv: inv.model.pk,
        create=lambda inv: {"kind": "guardrail", "name": "pii-filter", "version": "2.1", "disableable": True,
                            "disable_procedure": "Switch the gateway flag off.",
                            "hashes": [{"alg": "SHA-256", "content": "a" * 64}]},
        patch=lambda inv: {"supplier": "Acme AI", "known_good": True},
        deletable=lambda inv: _fresh_component(inv).pk,
    ),
    Endpoint(
        "system-components", SystemComponent, lambda inv: inv.link.pk,
        create=lambda inv: {"system": inv.system.slug, "component": inv.tool.pk, "usage": "CRM lookups"},
        patch=lambda inv: {"is_active": False},
        deletable=lambda inv: services.system_component_attach(
            actor=inv.admin, system=inv.system, component=_fresh_component(inv)).pk,
    ),
    Endpoint(
        "dependencies", ComponentDependency, lambda inv: inv.edge.pk,
        create=lambda inv: {"component": inv.model.pk, "depends_on": inv.tool.pk, "relation": "uses_tool"},
        patch=lambda inv: {"relation": "fine_tuned_from"},
        deletable=lambda inv: services.dependency_add(
            actor=inv.admin, component=inv.model, depends_on=_fresh_component(inv)).pk,
    ),
    Endpoint(
        "teams", Team, lambda inv: inv.team.pk,
        create=lambda inv: {"name": "Security operations", "email": "soc@example.org",
                            "members": [inv.admin.pk]},
        patch=lambda inv: {"email": "ml-platform@example.org"},
        deletable=lambda inv: TeamFactory(actor=inv.admin).pk,
    ),
    Endpoint(
        "raci", RaciAssignment, lambda inv: inv.raci.pk,
        create=lambda inv: {"system": inv.system.slug, "activity": "revoke_key", "role": "accountable",
                            "user": inv.admin.pk},
        patch=lambda inv: {"role": "responsible"},
        deletable=lambda inv: services.raci_assign(
            actor=inv.admin, system=inv.system, activity="notify_regulator", role="informed", team=inv.team).pk,
    ),
    Endpoint(
        "escalation-steps", EscalationStep, lambda inv: inv.step.pk,
        create=lambda inv: {"system": inv.system.slug, "severity": "p0", "order": 1,
                            "acknowledge_within_minutes": 15, "team": inv.team.pk},
        patch=lambda inv: {"acknowledge_within_minutes": 30},
        deletable=lambda inv: services.escalation_step_create(
            actor=inv.admin, system=inv.system, severity="p3", order=1, acknowledge_within_minutes=600,
            user=inv.admin).pk,
    ),
    Endpoint("jurisdictions", Jurisdiction, lambda inv: "DE", lookup_field="code"),
    Endpoint("events", InventoryEvent, lambda inv: InventoryEvent.objects.filter(system=inv.system).first().pk),
]

WRITABLE = [e for e in ENDPOINTS if e.writable]
READ_ONLY = [e for e in ENDPOINTS if not e.writable]
