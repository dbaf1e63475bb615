"""Fixtures of the admin tests: a signed-in client per role and a small inventory built through the services."""

from types import SimpleNamespace

import pytest
from django.test import Client

from inventory import services
from inventory.models import Activity, ComponentKind, RaciRole
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory
from portal.core import roles


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The role users are created for every test; a fast hasher keeps the suite quick (tests only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def compliance(role_users):
    return role_users[roles.COMPLIANCE_OFFICER]


@pytest.fixture
def client_as(role_users):
    """`client_as(role)`: a client signed in as the user of `role` ("admin" for the superuser); None: anonymous."""

    def make(role):
        client = Client()
        if role is not None:
            client.force_login(role_users[role])
        return client

    return make


@pytest.fixture
def compliance_client(client_as):
    return client_as(roles.COMPLIANCE_OFFICER)


@pytest.fixture
def inventory(role_users, compliance):
    """One system using a model trained on a dataset, with an owner team, an Accountable owner and a step."""
    team = TeamFactory(actor=compliance, name="ML platform", members=[role_users[roles.INCIDENT_RESPONDER]])
    system = AISystemFactory(actor=compliance, name="Support bot", slug="support-bot", owner_team=team,
                             jurisdictions=["DE", "FR"])
    model = ComponentFactory(actor=compliance, kind=ComponentKind.MODEL, name="support-llm")
    dataset = ComponentFactory(actor=compliance, kind=ComponentKind.DATASET, name="tickets-2025")
    link = services.system_component_attach(actor=compliance, system=system, component=model, usage="primary model")
    edge = services.dependency_add(actor=compliance, component=model, depends_on=dataset, relation="trained_on")
    raci = services.raci_assign(actor=compliance, system=system, activity=Activity.OWN_SYSTEM,
                                role=RaciRole.ACCOUNTABLE, team=team)
    step = services.escalation_step_create(actor=compliance, system=system, severity="p1", order=1,
                                           acknowledge_within_minutes=60, team=team)
    return SimpleNamespace(team=team, system=system, model=model, dataset=dataset, link=link, edge=edge, raci=raci,
                           step=step)
