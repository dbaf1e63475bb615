"""Fixtures the ledger's tests share: an open incident of the compliance officer, and API clients per role."""

import pytest

from incidents.tests.factories import open_incident
from remediation.tests.api_helpers import api_client


@pytest.fixture
def incident(compliance):
    return open_incident(compliance)


@pytest.fixture
def client_for(role_users):
    """`client_for(role, scopes=...)`: an API client signed in as the user of `role` (or with a token)."""
    return lambda role, **kwargs: api_client(role_users, role, **kwargs)
