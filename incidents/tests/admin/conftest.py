"""Fixtures of the incident admin tests: a signed-in client per role, a small inventory and an open incident."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from incidents.tests.factories import open_incident
from inventory.tests.factories import make_small_inventory
from portal.core import roles


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_private_media(settings, tmp_path):
    """A fast hasher keeps the per-test role users quick; uploads land in a private folder (tests only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


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
def compliance(role_users):
    return role_users[roles.COMPLIANCE_OFFICER]


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
