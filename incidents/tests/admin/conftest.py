"""Fixtures of the incident admin tests: a signed-in client per role, a small inventory and an open incident."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from incidents.tests.factories import open_incident
from inventory.tests.factories import make_small_inventory
from portal.core import roles


@pytest.fixture
def responder(role_users):
    return role_users[roles.INCIDENT_RESPONDER]


@pytest.fixture
def scene(role_users, compliance, responder):
    """Support bot (ML platform team, with the responder, Accountable owner) and a P1 prompt injection on it,
    detected two hours ago, opened by the compliance officer."""
    inventory = make_small_inventory(actor=compliance, members=[responder])
    detected = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    incident = open_incident(compliance, systems=[inventory.system], components=[inventory.model],
                             detected_at=detected, commander=responder)
    return SimpleNamespace(inventory=inventory, system=inventory.system, incident=incident, detected=detected)
