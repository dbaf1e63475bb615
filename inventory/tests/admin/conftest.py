"""Fixtures of the admin tests: a signed-in client per role and a small inventory built through the services."""


import pytest
from django.test import Client

from inventory.tests.factories import make_small_inventory
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
    return make_small_inventory(actor=compliance, members=[role_users[roles.INCIDENT_RESPONDER]])
