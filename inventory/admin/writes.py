"""How the admin writes each inventory model: the service functions to call and the name they take the row by."""

from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    RaciAssignment,
    SystemComponent,
    Team,
)
from portal.core.admin import Writes, register_writes

SERVICES = "inventory.services"

WRITES = {
    AISystem: Writes(SERVICES, "ai_system_create", "ai_system_update", "ai_system_delete", "system",
                     delete_check="ai_system_delete_check"),
    Component: Writes(SERVICES, "component_create", "component_update", "component_delete", "component",
                      delete_check="component_delete_check"),
    SystemComponent: Writes(SERVICES, "system_component_attach", "system_component_update",
                            "system_component_detach", "link"),
    ComponentDependency: Writes(SERVICES, "dependency_add", "dependency_update", "dependency_remove", "edge"),
    Team: Writes(SERVICES, "team_create", "team_update", "team_delete", "team", delete_check="team_delete_check"),
    RaciAssignment: Writes(SERVICES, "raci_assign", "raci_update", "raci_remove", "assignment"),
    EscalationStep: Writes(SERVICES, "escalation_step_create", "escalation_step_update", "escalation_step_delete",
                           "step"),
}

for _model, _writes in WRITES.items():
    register_writes(_model, _writes)
