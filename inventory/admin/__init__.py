"""The inventory admin, one module per subject; importing this package registers every page."""

from inventory.admin.base import ReadOnlyAdmin, ServiceInline, ServiceModelAdmin
from inventory.admin.components import ComponentAdmin, ComponentDependencyAdmin, SystemComponentAdmin
from inventory.admin.people import EscalationStepAdmin, RaciAssignmentAdmin, TeamAdmin
from inventory.admin.reference import InventoryEventAdmin, JurisdictionAdmin
from inventory.admin.systems import AISystemAdmin, EvidenceReadinessFilter
from inventory.admin.writes import ServiceRefused

__all__ = [
    "AISystemAdmin",
    "ComponentAdmin",
    "ComponentDependencyAdmin",
    "EscalationStepAdmin",
    "EvidenceReadinessFilter",
    "InventoryEventAdmin",
    "JurisdictionAdmin",
    "RaciAssignmentAdmin",
    "ReadOnlyAdmin",
    "ServiceInline",
    "ServiceModelAdmin",
    "ServiceRefused",
    "SystemComponentAdmin",
    "TeamAdmin",
]
