"""factory_boy factories for the inventory. They write through the services, so every row has history."""

import factory

from inventory import services
from inventory.models import AISystem, Component, ComponentKind, Team


class ServiceFactory(factory.django.DjangoModelFactory):
    """Creates through a service function with `actor` (default: None, i.e. a system write)."""

    class Meta:
        abstract = True

    service = None

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return cls.service(actor=actor, **kwargs)


class TeamFactory(ServiceFactory):
    class Meta:
        model = Team

    service = staticmethod(services.team_create)
    name = factory.Sequence(lambda n: f"Team {n}")
    email = factory.Sequence(lambda n: f"team{n}@example.org")


class AISystemFactory(ServiceFactory):
    class Meta:
        model = AISystem

    service = staticmethod(services.ai_system_create)
    name = factory.Sequence(lambda n: f"AI system {n}")
    slug = factory.Sequence(lambda n: f"ai-system-{n}")
    purpose = "Answers customer questions."
    risk_class = "minimal"
    risk_rationale = "No Annex III use."


class ComponentFactory(ServiceFactory):
    class Meta:
        model = Component

    service = staticmethod(services.component_create)
    kind = ComponentKind.MODEL
    name = factory.Sequence(lambda n: f"component-{n}")
    version = "1.0"
