"""Fixtures of the admin tests: a signed-in client per role and a small inventory built through the services."""

import pytest

from inventory.tests.factories import make_small_inventory
from portal.core import roles


@pytest.fixture
def compliance_client(client_as):
    return client_as(roles.COMPLIANCE_OFFICER)


@pytest.fixture
def inventory(role_users, compliance):
    """One system using a model trained on a dataset, with an owner team, an Accountable owner and a step."""
    return make_small_inventory(actor=compliance, members=[role_users[roles.INCIDENT_RESPONDER]])
