"""Fixtures of the inventory API tests: clients per role and a small inventory built through the services."""


import pytest
from rest_framework.test import APIClient

from inventory.tests.factories import make_small_inventory
from portal.core import roles
from portal.core.models import TokenScope
from portal.core.tokens import api_token_create

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
            _, key = api_token_create(actor=user, user=user, name="tests", scopes=TokenScope.values)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.user = user
        return client

    return make


@pytest.fixture
def inventory(role_users):
    """One system with a model trained on a dataset, a spare tool, a team, RACI and an escalation step."""
    scene = make_small_inventory(actor=role_users["admin"], members=[role_users[roles.INCIDENT_RESPONDER]])
    scene.admin = scene.actor
    return scene


def field_errors(response):
    """The field names a 400 response names."""
    assert response.status_code == 400, (response.status_code, response.content)
    return set(response.json())
