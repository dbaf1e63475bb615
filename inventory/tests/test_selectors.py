"""Blast radius and evidence-readiness reads."""

from collections import deque
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from simple_history.utils import bulk_create_with_history

from inventory import selectors, services
from inventory.models import AISystem, Component, ComponentDependency, SystemComponent
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_blast_radius_follows_dependencies_transitively_and_names_the_accountable_owner():
    owner = get_user_model().objects.create_user("owner")
    dataset = ComponentFactory(kind="dataset", name="tickets")
    model = ComponentFactory(name="fine-tune")
    agent = ComponentFactory(kind="agent", name="agent")
    unrelated = ComponentFactory(name="other")
    services.dependency_add(actor=None, component=model, depends_on=dataset)
    services.dependency_add(actor=None, component=agent, depends_on=model)
    via_agent = AISystemFactory(name="Uses the agent")
    via_model = AISystemFactory(name="Uses the model", owner_team=TeamFactory(name="ML"))
    untouched = AISystemFactory(name="Untouched")
    services.system_component_attach(actor=None, system=via_agent, component=agent)
    services.system_component_attach(actor=None, system=via_model, component=model)
    services.system_component_attach(actor=None, system=untouched, component=unrelated)
    services.raci_assign(actor=None, system=via_agent, activity="own_system", role="accountable", user=owner)
    services.raci_assign(actor=None, system=via_model, activity="own_system", role="responsible", user=owner)

    affected = list(selectors.systems_affected_by_component(dataset))

    assert [s.name for s in affected] == ["Uses the agent", "Uses the model"]
    assert affected[0].accountable_owner == "owner"
    assert affected[1].accountable_owner is None  # Responsible is not Accountable
    assert affected[1].owner_team.name == "ML"
    assert [s.name for s in selectors.systems_affected_by_component(unrelated)] == ["Untouched"]


def test_accountable_owner_can_be_a_team():
    system = AISystemFactory()
    team = TeamFactory(name="Platform")
    component = ComponentFactory()
    services.system_component_attach(actor=None, system=system, component=component)
    services.raci_assign(actor=None, system=system, activity="own_system", role="accountable", team=team)
    assert selectors.systems_affected_by_component(component).get().accountable_owner == "Platform"


def _tree(size):
    """Components 0..size-1, component i depending on component (i-1)//2: a binary tree rooted at 0."""
    components = bulk_create_with_history(
        [Component(kind="library", name=f"lib-{i}", version="1") for i in range(size)], Component
    )
    components = list(Component.objects.order_by("id"))
    edges = [
        ComponentDependency(component=components[i], depends_on=components[(i - 1) // 2]) for i in range(1, size)
    ]
    bulk_create_with_history(edges, ComponentDependency)
    return components


def _expected_systems(component, components, links):
    """The same answer computed the slow way, breadth first in Python."""
    dependents = {}
    for i in range(1, len(components)):
        dependents.setdefault(components[(i - 1) // 2].pk, []).append(components[i].pk)
    seen, queue = {component.pk}, deque([component.pk])
    while queue:
        for nxt in dependents.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return sorted({system for system, comp in links if comp in seen})


def test_blast_radius_on_a_thousand_component_graph_is_one_query(django_assert_num_queries):
    components = _tree(1000)
    systems = bulk_create_with_history(
        [AISystem(name=f"System {i:03}", slug=f"system-{i}", purpose="p") for i in range(60)], AISystem
    )
    systems = list(AISystem.objects.order_by("id"))
    # Each system uses a leaf-ish component, spread over the tree.
    links = [(systems[i].pk, components[999 - i * 7].pk) for i in range(60)]
    bulk_create_with_history(
        [SystemComponent(system_id=s, component_id=c) for s, c in links], SystemComponent
    )

    for probe in (components[0], components[3], components[40], components[999]):
        with django_assert_num_queries(1):
            found = sorted(s.pk for s in selectors.systems_affected_by_component(probe))
        assert found == _expected_systems(probe, components, links)
    assert len(_expected_systems(components[0], components, links)) == 60


def test_cycle_check_sees_a_long_chain():
    chain = [ComponentFactory(name=f"step-{i}") for i in range(30)]
    for a, b in pairwise(chain):
        services.dependency_add(actor=None, component=a, depends_on=b)
    assert selectors.component_depends_on(chain[0], chain[-1])
    assert not selectors.component_depends_on(chain[-1], chain[0])


def test_readiness_gaps_name_each_missing_piece():
    system = AISystemFactory(risk_class="", risk_rationale="")
    model = ComponentFactory(name="m")
    services.system_component_attach(actor=None, system=system, component=model)
    services.raci_assign(actor=None, system=system, activity="revoke_key", role="accountable",
                         team=TeamFactory())

    gaps = selectors.system_readiness_gaps(system)

    assert "Risk class not yet assessed." in gaps
    assert any("No inference logging" in g for g in gaps)
    assert "No kill-switch procedure written." in gaps
    assert "No rollback procedure written." in gaps
    containment = next(g for g in gaps if g.startswith("No Accountable for containment"))
    assert "Revoke an API key" not in containment and "Disable a tool" in containment
    assert "No known-good rollback version for at least one active model." in gaps


def test_a_ready_system_has_no_gaps_and_is_not_listed_as_having_gaps():
    team = TeamFactory()
    system = AISystemFactory(inference_logging=True, kill_switch_procedure="flag off",
                             rollback_procedure="redeploy previous")
    previous = ComponentFactory(name="model", version="1", known_good=True)
    current = ComponentFactory(name="model", version="2", derived_from=previous)
    services.system_component_attach(actor=None, system=system, component=current)
    for activity in ("suspend_endpoint", "revoke_key", "disable_tool", "rollback_model"):
        services.raci_assign(actor=None, system=system, activity=activity, role="accountable", team=team)

    assert selectors.system_readiness_gaps(system) == []
    assert not selectors.systems_with_readiness_gaps().filter(pk=system.pk).exists()
    assert selectors.readiness_gap_count(selectors.system_list().get(pk=system.pk)) == 0


def test_a_standby_known_good_model_counts_as_rollback_target():
    system = AISystemFactory()
    services.system_component_attach(actor=None, system=system, component=ComponentFactory(name="live"))
    services.system_component_attach(actor=None, system=system, is_active=False,
                                     component=ComponentFactory(name="standby", known_good=True))
    assert not selectors.system_list().get(pk=system.pk).model_without_rollback
