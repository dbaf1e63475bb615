"""Every inventory changelist runs the same number of queries at 10 rows and at 60 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    InventoryEvent,
    Jurisdiction,
    RaciAssignment,
    SystemComponent,
    Team,
)
from inventory.tests.admin.helpers import ALL_MODELS, admin_url
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory
from portal.core import roles

SMALL, LARGE = 10, 60  # a query per row would show at either size; 60 keeps the suite quick


class Rows:
    """Grows the rows of one model to a count, each row with the related rows its list page shows."""

    def __init__(self, actor, user):
        self.actor, self.user = actor, user
        self.team = TeamFactory(actor=actor, members=[user])
        self.systems = [AISystemFactory(actor=actor, owner_team=self.team) for _ in range(2)]
        self.base = ComponentFactory(actor=actor, name="base-model", known_good=True)

    def add_aisystem(self, i):
        system = AISystemFactory(actor=self.actor, owner_team=self.team, jurisdictions=["DE", "FR"])
        services.system_component_attach(actor=self.actor, system=system, component=self.base)
        services.raci_assign(actor=self.actor, system=system, activity="own_system", role="accountable",
                             user=self.user if i % 2 else None, team=None if i % 2 else self.team)

    def add_component(self, i):
        component = ComponentFactory(actor=self.actor, derived_from=self.base, supplier=f"Supplier {i % 7}")
        services.system_component_attach(actor=self.actor, system=self.systems[i % 2], component=component)

    def add_systemcomponent(self, i):
        services.system_component_attach(actor=self.actor, system=self.systems[i % 2],
                                         component=ComponentFactory(actor=self.actor))

    def add_componentdependency(self, i):
        services.dependency_add(actor=self.actor, component=ComponentFactory(actor=self.actor), depends_on=self.base)

    def add_team(self, i):
        TeamFactory(actor=self.actor, members=[self.user, self.actor])

    def add_raciassignment(self, i):
        services.raci_assign(actor=self.actor, system=self.systems[i % 2], activity="triage_incident",
                             role="responsible", user=self.user if i % 2 else None, team=None if i % 2 else self.team)

    def add_escalationstep(self, i):
        services.escalation_step_create(actor=self.actor, system=self.systems[i % 2], severity="p2", order=i + 1,
                                        acknowledge_within_minutes=30, user=self.user if i % 2 else None,
                                        team=None if i % 2 else self.team)

    def add_inventoryevent(self, i):
        services.record_event(InventoryEvent.Kind.SYSTEM_UPDATED, actor=self.actor, summary=f"Event {i}",
                              system=self.systems[i % 2], component=self.base)

    def add_jurisdiction(self, i):
        Jurisdiction.objects.create(code=f"Z{i}", name=f"Test territory {i}")  # reference data, not tracked

    def grow(self, model_name, count):
        model = MODELS[model_name]
        for i in range(model.objects.count(), count):
            getattr(self, f"add_{model_name}")(i)


MODELS = {
    "aisystem": AISystem, "component": Component, "systemcomponent": SystemComponent,
    "componentdependency": ComponentDependency, "team": Team, "raciassignment": RaciAssignment,
    "escalationstep": EscalationStep, "inventoryevent": InventoryEvent, "jurisdiction": Jurisdiction,
}


def _queries(client, url):
    client.get(url)  # warm caches (content types, sessions) so both sizes start alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("model_name", ALL_MODELS)
def test_each_changelist_runs_the_same_number_of_queries_at_10_and_200_rows(client_as, role_users, model_name):
    rows = Rows(role_users[roles.COMPLIANCE_OFFICER], role_users[roles.INCIDENT_RESPONDER])
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url(model_name, "changelist") + "?all="

    rows.grow(model_name, SMALL)
    small = _queries(client, url)
    rows.grow(model_name, LARGE)
    large = _queries(client, url)

    assert MODELS[model_name].objects.count() >= LARGE
    assert large == small


FILTERED_SYSTEM_LISTS = ["?readiness=gaps", "?readiness=ready", "?jurisdictions__id__exact=1", "?q=system&o=6.-7"]


def test_the_filtered_and_sorted_system_list_runs_the_same_number_of_queries_at_10_and_200_rows(
    client_as, role_users
):
    rows = Rows(role_users[roles.COMPLIANCE_OFFICER], role_users[roles.INCIDENT_RESPONDER])
    client = client_as(roles.AUDITOR)
    urls = [admin_url("aisystem", "changelist") + query for query in FILTERED_SYSTEM_LISTS]

    rows.grow("aisystem", SMALL)
    small = [_queries(client, url) for url in urls]
    rows.grow("aisystem", LARGE)
    large = [_queries(client, url) for url in urls]

    assert large == small
