"""The OpenAPI 3 schema and its docs page: for signed-in users only, valid, and served without any CDN."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from portal.core import roles
from portal.core.tokens import api_token_create

pytestmark = pytest.mark.django_db

INVENTORY_PATHS = {
    "/api/v1/systems/", "/api/v1/systems/{slug}/", "/api/v1/components/", "/api/v1/components/{id}/",
    "/api/v1/components/{id}/blast-radius/", "/api/v1/system-components/", "/api/v1/dependencies/",
    "/api/v1/teams/", "/api/v1/raci/", "/api/v1/escalation-steps/", "/api/v1/jurisdictions/",
    "/api/v1/jurisdictions/{code}/", "/api/v1/events/",
}


@pytest.fixture
def auditor(role_users):
    client = APIClient()
    client.force_login(role_users[roles.AUDITOR])
    return client


def test_a_signed_in_user_gets_a_valid_openapi_3_schema_in_yaml(auditor):
    response = auditor.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert set(schema["paths"]) >= INVENTORY_PATHS
    assert "/api/schema/" not in schema["paths"]


def test_the_schema_is_served_as_json_on_request_and_documents_both_authentications(role_users):
    client = APIClient()
    user = role_users[roles.LEADERSHIP]
    _, key = api_token_create(actor=user, user=user, name="schema", scopes=["read"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert {"cookieAuth", "tokenAuth"} <= set(schema["components"]["securitySchemes"])
    system = schema["components"]["schemas"]["AISystemDetailRequest"]["properties"]
    assert system["jurisdictions"]["items"]["type"] == "string"
    assert system["owner_team"]["type"] == "integer"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/?script="])
def test_anonymous_users_are_refused_the_schema_and_the_docs_script(client, url):
    assert client.get(url).status_code in (401, 403)


def test_an_anonymous_browser_is_sent_from_the_docs_page_to_sign_in_and_shown_nothing(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/?next=/api/docs/"
    assert b"swagger" not in response.content.lower()


def test_the_docs_page_loads_swagger_ui_from_local_static_files_only(auditor):
    response = auditor.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html

    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads its assets"
    # The start-up script comes from the page's own URL (no inline script: see the Content-Security-Policy).
    assert "/api/docs/?script=" in assets
    assets.remove("/api/docs/?script=")
    script = auditor.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE), "no external host"
    for cdn in ("jsdelivr", "unpkg", "cdnjs", "googleapis", "cloudflare"):
        assert cdn not in html
