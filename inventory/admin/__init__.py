"""The inventory admin, one module per subject; importing this package registers every page."""

from inventory.admin import writes  # noqa: F401  (registers the services each model's admin writes through)
from inventory.admin.components import ComponentAdmin, ComponentDependencyAdmin, SystemComponentAdmin
from inventory.admin.people import EscalationStepAdmin, RaciAssignmentAdmin, TeamAdmin
from inventory.admin.reference import InventoryEventAdmin, JurisdictionAdmin
from inventory.admin.systems import AISystemAdmin, EvidenceReadinessFilter

__all__ = [
    "AISystemAdmin",
    "ComponentAdmin",
    "ComponentDependencyAdmin",
    "EscalationStepAdmin",
    "EvidenceReadinessFilter",
    "InventoryEventAdmin",
    "JurisdictionAdmin",
    "RaciAssignmentAdmin",
    "SystemComponentAdmin",
    "TeamAdmin",
]
