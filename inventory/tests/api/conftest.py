"""Fixtures of the inventory API tests: clients per role and a small inventory built through the services."""

from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inventory import services
from inventory.models import Activity, ComponentKind, RaciRole
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory
from portal.core import roles

# Role fixture keys by short name, as the tables of the tests read.
ROLE_KEYS = {
    "compliance": roles.COMPLIANCE_OFFICER,
    "responder": roles.INCIDENT_RESPONDER,
    "legal": roles.LEGAL_REVIEWER,
    "leadership": roles.LEADERSHIP,
    "auditor": roles.AUDITOR,
    "admin": "admin",
}


@pytest.fixture
def client_for(role_users):
    """`client_for("compliance")`: an API client signed in with a session; `client_for(None)`: anonymous."""

    def make(role, *, auth="session"):
        client = APIClient()
        if role is None:
            return client
        user = role_users[ROLE_KEYS[role]]
        if auth == "session":
            client.force_login(user)
        else:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


@pytest.fixture
def inventory(role_users):
    """One system with a model trained on a dataset, a spare tool, a team, RACI and an escalation step."""
    admin = role_users["admin"]
    team = TeamFactory(actor=admin, name="ML platform", members=[role_users[roles.INCIDENT_RESPONDER]])
    system = AISystemFactory(actor=admin, name="Support bot", slug="support-bot", owner_team=team,
                             jurisdictions=["DE", "FR"])
    model = ComponentFactory(actor=admin, kind=ComponentKind.MODEL, name="support-llm")
    dataset = ComponentFactory(actor=admin, kind=ComponentKind.DATASET, name="tickets-2025")
    tool = ComponentFactory(actor=admin, kind=ComponentKind.TOOL, name="crm-lookup")
    link = services.system_component_attach(actor=admin, system=system, component=model, usage="primary model")
    edge = services.dependency_add(actor=admin, component=model, depends_on=dataset, relation="trained_on")
    raci = services.raci_assign(actor=admin, system=system, activity=Activity.OWN_SYSTEM,
                                role=RaciRole.ACCOUNTABLE, team=team)
    step = services.escalation_step_create(actor=admin, system=system, severity="p1", order=1,
                                           acknowledge_within_minutes=60, team=team)
    return SimpleNamespace(team=team, system=system, model=model, dataset=dataset, tool=tool, link=link, edge=edge,
                           raci=raci, step=step, admin=admin)


def field_errors(response):
    """The field names a 400 response names."""
    assert response.status_code == 400, (response.status_code, response.content)
    return set(response.json())
