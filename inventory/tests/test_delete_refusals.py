"""A delete of an AI system, component or team that incidents refer to is refused by the service: the refusal names
the referring incidents and the alternative (retire), and nothing changes. Unreferenced rows are still deleted."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services as incident_services
from incidents.models import Incident
from incidents.tests.factories import open_incident
from inventory import services
from inventory.models import (
    AISystem,
    Component,
    ComponentKind,
    EscalationStep,
    InventoryEvent,
    Lifecycle,
    RaciAssignment,
    SystemComponent,
    Team,
)
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory, make_small_inventory
from portal.core.references import ReferencedError

pytestmark = pytest.mark.django_db

INVENTORY_MODELS = (AISystem, Component, Team, SystemComponent, RaciAssignment, EscalationStep)


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def inventory(alice):
    return make_small_inventory(actor=alice)


def _state():
    """Every inventory row and history row, and the timeline: a refused delete leaves all of them as they were."""
    return (
        {model.__name__: model.objects.count() for model in INVENTORY_MODELS},
        {model.__name__: model.history.count() for model in INVENTORY_MODELS},
        InventoryEvent.objects.count(),
        sorted(Incident.systems.through.objects.values_list("incident_id", "aisystem_id")),
        sorted(Incident.components.through.objects.values_list("incident_id", "component_id")),
    )


def _refused(service, **kwargs) -> str:
    before = _state()
    with pytest.raises(ReferencedError) as excinfo:
        service(**kwargs)
    assert _state() == before, "a refused delete changed something"
    return excinfo.value.messages[0]


def _references(incidents):
    return sorted(incident.reference for incident in incidents)


# --- AI systems ----------------------------------------------------------------------------------------------------

def test_a_system_named_on_incidents_is_not_deleted_and_the_refusal_names_them_and_retiring(alice, inventory):
    incidents = [open_incident(alice, systems=[inventory.system]) for _ in range(5)]

    message = _refused(services.ai_system_delete, actor=alice, system=inventory.system)

    first = ", ".join(_references(incidents)[:3])
    assert message == (f"AI system 'Support bot' is named on incidents {first} (and 2 more); "
                       "retire it instead (lifecycle: retired).")
    assert all(list(incident.systems.all()) == [inventory.system] for incident in incidents)


def test_a_system_removed_from_an_incident_stays_referenced_by_the_incidents_history(alice, inventory):
    incident = open_incident(alice, systems=[inventory.system])
    incident_services.incident_update(actor=alice, incident=incident, systems=[])

    message = _refused(services.ai_system_delete, actor=alice, system=inventory.system)

    assert f"was named on (and removed from) incidents {incident.reference}" in message


def test_a_system_targeted_by_a_containment_action_is_not_deleted(alice, inventory):
    incident = open_incident(alice)
    incident_services.containment_record(actor=alice, incident=incident, kind="maintenance_banner",
                                         target_system=inventory.system, override_reason="Drill.")

    message = _refused(services.ai_system_delete, actor=alice, system=inventory.system)

    assert f"is the target of containment actions on incidents {incident.reference}" in message


def test_the_refusal_runs_one_query_per_kind_of_reference_whatever_the_number_of_incidents(alice, inventory):
    def queries():
        with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError):
            services.ai_system_delete_check(system=inventory.system)
        return len(captured)

    open_incident(alice, systems=[inventory.system])
    few = queries()
    for _ in range(6):
        open_incident(alice, systems=[inventory.system])
    assert queries() == few == 3  # named now, named before, containment targets


def test_a_system_no_incident_refers_to_is_deleted_with_its_links(alice, inventory):
    open_incident(alice, systems=[AISystemFactory(actor=alice)])  # another system's incident

    pk = inventory.system.pk
    services.ai_system_delete(actor=alice, system=inventory.system)

    assert not AISystem.objects.filter(pk=pk).exists()
    assert AISystem.history.filter(id=pk, history_type="-").get().history_user == alice


def test_retiring_a_referenced_system_keeps_its_incidents_and_leaves_history(alice, inventory):
    incident = open_incident(alice, systems=[inventory.system])

    services.ai_system_update(actor=alice, system=inventory.system, lifecycle=Lifecycle.RETIRED)

    latest = AISystem.history.filter(id=inventory.system.pk).latest("history_id")
    assert (latest.lifecycle, latest.history_user) == (Lifecycle.RETIRED, alice)
    assert list(incident.systems.all()) == [inventory.system]


# --- components ----------------------------------------------------------------------------------------------------

def test_a_component_named_on_an_incident_is_not_deleted_and_the_refusal_names_it(alice, inventory):
    incident = open_incident(alice, components=[inventory.tool])

    message = _refused(services.component_delete, actor=alice, component=inventory.tool)

    assert message == (f"Component 'crm-lookup 1.0 [Tool]' is named on incidents {incident.reference}; "
                       "retire it instead (status: retired).")
    assert list(incident.components.all()) == [inventory.tool]


def test_a_component_removed_from_an_incident_stays_referenced_by_the_incidents_history(alice, inventory):
    incident = open_incident(alice, components=[inventory.tool])
    incident_services.incident_update(actor=alice, incident=incident, components=[])

    message = _refused(services.component_delete, actor=alice, component=inventory.tool)

    assert f"was named on (and removed from) incidents {incident.reference}" in message


def test_a_component_a_containment_action_targeted_is_not_deleted_after_it_is_detached(alice, inventory):
    tool = ComponentFactory(actor=alice, kind=ComponentKind.TOOL, name="web-search", disableable=True,
                            disable_procedure="Flip the gateway flag.")
    link = services.system_component_attach(actor=alice, system=inventory.system, component=tool)
    incident = open_incident(alice)
    incident_services.containment_record(actor=alice, incident=incident, kind="disable_tool",
                                         target_system=inventory.system, target_component=tool,
                                         override_reason="Drill.")
    services.system_component_detach(actor=alice, link=SystemComponent.objects.get(pk=link.pk))

    message = _refused(services.component_delete, actor=alice, component=Component.objects.get(pk=tool.pk))

    assert f"is the target or rollback version of containment actions on incidents {incident.reference}" in message


def test_a_component_only_linked_in_the_inventory_is_refused_naming_the_links_to_remove_first(alice, inventory):
    message = _refused(services.component_delete, actor=alice, component=inventory.dataset)

    assert message == ("Component 'tickets-2025 1.0 [Dataset]' is depended on by components support-llm; "
                       "remove those links first, or retire it instead (status: retired).")


def test_a_component_nothing_refers_to_is_deleted(alice, inventory):
    pk = inventory.tool.pk
    services.component_delete(actor=alice, component=inventory.tool)

    assert not Component.objects.filter(pk=pk).exists()


# --- teams ---------------------------------------------------------------------------------------------------------

def test_a_team_answering_for_a_system_named_on_an_incident_is_not_deleted(alice, inventory):
    incident = open_incident(alice, systems=[inventory.system])

    message = _refused(services.team_delete, actor=alice, team=inventory.team)

    assert message.startswith(
        f"Team 'ML platform' answers for AI systems named on incidents {incident.reference} (Support bot); "
        "owns AI systems Support bot; is assigned in the RACI of Support bot (Own the system); "
        "is on the escalation path of Support bot (P1 step 1); retire it instead")
    assert AISystem.objects.get(pk=inventory.system.pk).owner_team == inventory.team


def test_a_team_only_on_the_escalation_path_of_a_system_named_on_an_incident_is_not_deleted(alice):
    night_shift = TeamFactory(actor=alice, name="Night shift")
    system = AISystemFactory(actor=alice, name="Fraud model")
    services.escalation_step_create(actor=alice, system=system, severity="p0", order=1,
                                    acknowledge_within_minutes=15, team=night_shift)
    incident = open_incident(alice, systems=[system])

    message = _refused(services.team_delete, actor=alice, team=night_shift)

    assert f"answers for AI systems named on incidents {incident.reference} (Fraud model)" in message


def test_a_team_owning_systems_no_incident_names_is_refused_rather_than_emptying_their_owner(alice, inventory):
    message = _refused(services.team_delete, actor=alice, team=inventory.team)

    assert "owns AI systems Support bot" in message
    assert message.endswith("remove those links first, or retire it instead (retired: the team keeps its records "
                            "and takes no new assignments).")


def test_a_team_nothing_refers_to_is_deleted(alice):
    team = TeamFactory(actor=alice, members=[alice])

    pk = team.pk
    services.team_delete(actor=alice, team=team)

    assert not Team.objects.filter(pk=pk).exists()


def test_a_retired_team_keeps_its_records_takes_no_new_assignment_and_can_be_reinstated(alice, inventory):
    open_incident(alice, systems=[inventory.system])

    services.team_update(actor=alice, team=inventory.team, retired=True)

    team = Team.objects.get(pk=inventory.team.pk)
    retired = team.history.latest("history_id")
    assert team.retired and (retired.retired_at, retired.history_user) == (team.retired_at, alice)
    assert InventoryEvent.objects.filter(summary="Team ML platform retired", actor=alice).exists()
    assert RaciAssignment.objects.filter(team=team).exists()  # the record as it was
    other = AISystemFactory(actor=alice)
    with pytest.raises(ValidationError) as excinfo:
        services.raci_assign(actor=alice, system=other, activity="own_system", role="accountable", team=team)
    assert excinfo.value.message_dict["team"] == ["Team ML platform is retired; reinstate it or choose another team."]
    with pytest.raises(ValidationError) as excinfo:
        services.ai_system_update(actor=alice, system=other, owner_team=team)
    assert set(excinfo.value.message_dict) == {"owner_team"}

    services.team_update(actor=alice, team=team, retired=False)

    assert not Team.objects.get(pk=team.pk).retired
    services.raci_assign(actor=alice, system=other, activity="own_system", role="accountable", team=team)
