"""Fixtures of the incident API tests: clients per role (shared with the inventory API tests), the small
inventory scene, an incident opened through the services, and a few taxonomy rows."""

from types import SimpleNamespace

import pytest

from incidents.models import AtlasTechnique, OwaspRisk
from incidents.tests.factories import open_incident
from inventory.tests.api.conftest import ROLE_KEYS, client_for, field_errors, inventory  # noqa: F401  (fixtures)
from portal.core import roles

API = "/api/v1/"


def incident_url(incident_or_reference, suffix=""):
    reference = getattr(incident_or_reference, "reference", incident_or_reference)
    return f"{API}incidents/{reference}/{suffix}"


@pytest.fixture
def taxonomy(db):
    """An ATLAS technique and an OWASP risk (reference data: created directly when no migration loaded them)."""
    technique, _ = AtlasTechnique.objects.get_or_create(id="AML.T0051", defaults={"name": "LLM Prompt Injection"})
    risk, _ = OwaspRisk.objects.get_or_create(id="LLM01:2025", defaults={"name": "Prompt Injection",
                                                                        "edition": "2025"})
    return SimpleNamespace(technique=technique, risk=risk)


@pytest.fixture
def incident(role_users, inventory):  # noqa: F811  (the fixture imported above)
    """A P1 prompt injection on the support bot, opened by the compliance officer."""
    return open_incident(role_users[roles.COMPLIANCE_OFFICER], systems=[inventory.system])
