"""Helpers of the ledger's API tests: API clients per role (a session, or a token with scopes)."""

from rest_framework.test import APIClient

from inventory.tests.api.conftest import ROLE_KEYS, field_errors  # noqa: F401  (re-exported for the tests)
from portal.core.tokens import api_token_create

API = "/api/v1/"
LIST = f"{API}affected-records/"


def api_client(role_users, role, *, scopes=None) -> APIClient:
    """A client signed in as the user of `role` (a short name: "compliance", ...); with `scopes`, by an API token
    holding them; `role=None`: anonymous."""
    client = APIClient()
    if role is None:
        return client
    user = role_users[ROLE_KEYS[role]]
    if scopes is None:
        client.force_login(user)
    else:
        _, key = api_token_create(actor=user, user=user, name="tests", scopes=list(scopes))
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.user = user
    return client
