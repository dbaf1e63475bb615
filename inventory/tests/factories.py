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


def make_small_inventory(*, actor, members=()):
    """One system using a model trained on a dataset, a spare tool, an owner team (Accountable owner) and a P1
    escalation step: the shared scene of the admin and API tests."""
    from types import SimpleNamespace

    from inventory.models import Activity, RaciRole

    team = TeamFactory(actor=actor, name="ML platform", members=list(members))
    system = AISystemFactory(actor=actor, name="Support bot", slug="support-bot", owner_team=team,
                             jurisdictions=["DE", "FR"])
    model = ComponentFactory(actor=actor, kind=ComponentKind.MODEL, name="support-llm")
    dataset = ComponentFactory(actor=actor, kind=ComponentKind.DATASET, name="tickets-2025")
    tool = ComponentFactory(actor=actor, kind=ComponentKind.TOOL, name="crm-lookup")
    link = services.system_component_attach(actor=actor, system=system, component=model, usage="primary model")
    edge = services.dependency_add(actor=actor, component=model, depends_on=dataset, relation="trained_on")
    raci = services.raci_assign(actor=actor, system=system, activity=Activity.OWN_SYSTEM,
                                role=RaciRole.ACCOUNTABLE, team=team)
    step = services.escalation_step_create(actor=actor, system=system, severity="p1", order=1,
                                           acknowledge_within_minutes=60, team=team)
    return SimpleNamespace(team=team, system=system, model=model, dataset=dataset, tool=tool, link=link, edge=edge,
                           raci=raci, step=step, actor=actor)
