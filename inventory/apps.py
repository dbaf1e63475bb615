from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "AI inventory (AIBOM)"

    def ready(self):
        from inventory.models import AISystem, EscalationStep, RaciAssignment, Team
        from portal.core.references import register_label

        # How inventory rows are named when a delete of a user they name is refused (portal.core.users).
        register_label(AISystem, "name")
        register_label(Team, "name")
        register_label(RaciAssignment, "system__name", "on AI systems")
        register_label(EscalationStep, "system__name", "on AI systems")
