"""factory_boy factories for the inventory. They create through the services, so every row has history.

Pass `actor=<user>` to name the acting user (default None: a system write).
"""

import factory

from inventory import services
from inventory.models import AISystem, Component, ComponentKind, Team


def _through(service):
    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return service(actor=actor, **kwargs)

    return _create


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    _create = _through(services.team_create)
    name = factory.Sequence(lambda n: f"Team {n}")
    email = factory.Sequence(lambda n: f"team{n}@example.org")


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    _create = _through(services.ai_system_create)
    name = factory.Sequence(lambda n: f"AI system {n}")
    slug = factory.Sequence(lambda n: f"ai-system-{n}")
    purpose = "Answers customer questions."
    risk_class = "minimal"
    risk_rationale = "No Annex III use."


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    _create = _through(services.component_create)
    kind = ComponentKind.MODEL
    name = factory.Sequence(lambda n: f"component-{n}")
    version = "1.0"
