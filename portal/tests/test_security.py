"""Security settings: login throttling with lockout (django-axes), password rules, cookies in production, and the
Content-Security-Policy on every response."""

import json
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client

from portal.tests.test_settings import PRODUCTION, _manage

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # portal.tests.factories.make_user
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def axes_on(settings):
    """django-axes as in production (the test settings switch it off for `Client.login()`)."""
    settings.AXES_ENABLED = True
    return settings


def attempt(client, password, username="compliance", ip="192.0.2.10"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def cool_off_passes():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))


# --- login throttling -----------------------------------------------------------------------------------------

def test_five_failed_logins_lock_the_username_and_address_out_even_with_the_right_password(role_users, axes_on):
    client = Client()
    for _ in range(4):
        response = attempt(client, "wrong-password")
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    # The fifth failure reaches the limit: its answer is the lockout, and so is every attempt after it.
    assert attempt(client, "wrong-password").status_code == 429
    sixth = attempt(client, "wrong-password")
    assert sixth.status_code == 429 and "too many login attempts" in sixth.content.decode().lower()
    right = attempt(client, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # A locked-out browser has no session, so the API (which accepts the admin session) refuses it too.
    assert client.get("/api/v1/systems/").status_code == 403

    cool_off_passes()
    assert signed_in(attempt(client, PASSWORD))
    assert client.get("/api/v1/systems/").status_code == 200


def test_the_lockout_is_per_username_and_address(role_users, axes_on):
    client = Client()
    for _ in range(5):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 429
    assert signed_in(attempt(Client(), PASSWORD, ip="198.51.100.7")), "the same user from another address"
    assert signed_in(attempt(Client(), PASSWORD, username="auditor")), "another user from the same address"


def test_a_successful_login_resets_the_count(role_users, axes_on):
    for _ in range(4):
        attempt(Client(), "wrong-password")
    assert signed_in(attempt(Client(), PASSWORD))
    for _ in range(4):
        assert attempt(Client(), "wrong-password").status_code == 200
    assert signed_in(attempt(Client(), PASSWORD))


def test_failures_during_the_lockout_do_not_extend_it(role_users, axes_on):
    client = Client()
    for _ in range(5):
        attempt(client, "wrong-password")
    cool_off_passes()
    assert attempt(client, "wrong-password").status_code == 200, "a new window after the cool-off"


# --- passwords --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "rule"), [
    ("Sh0rt-pass!", "at least 12 characters"),
    ("password1234", "too common"),
    ("840395728163", "entirely numeric"),
])
def test_weak_passwords_are_refused_naming_the_rule(password, rule):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert any(rule in message for message in error.value.messages), error.value.messages


def test_a_long_uncommon_password_is_accepted():
    validate_password("tidal-orchard-quartz-2026")


# --- production settings --------------------------------------------------------------------------------------

def test_production_cookies_sessions_and_lockout_settings():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', "
        "'SESSION_COOKIE_AGE', 'AXES_ENABLED', 'AXES_FAILURE_LIMIT', 'AXES_LOCKOUT_PARAMETERS', "
        "'AXES_RESET_ON_SUCCESS', 'AUTHENTICATION_BACKENDS', 'MIDDLEWARE']} | "
        "{'cooloff': s.AXES_COOLOFF_TIME.total_seconds(), 'caches': s.CACHES['default']['BACKEND']}))"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["SESSION_COOKIE_SECURE"] and got["CSRF_COOKIE_SECURE"]
    assert got["SESSION_COOKIE_HTTPONLY"] and got["CSRF_COOKIE_HTTPONLY"]
    assert got["SESSION_COOKIE_SAMESITE"] == got["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert got["SESSION_EXPIRE_AT_BROWSER_CLOSE"] and got["SESSION_COOKIE_AGE"] <= 12 * 3600
    assert got["AXES_ENABLED"] and got["AXES_FAILURE_LIMIT"] == 5 and got["cooloff"] == 15 * 60
    assert got["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]] and got["AXES_RESET_ON_SUCCESS"]
    assert got["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert got["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
    assert "csp.middleware.CSPMiddleware" in got["MIDDLEWARE"]
    assert got["caches"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_session_cookie_is_httponly_lax_and_ends_with_the_browser(role_users, settings):
    response = Client().post(LOGIN, {"username": "compliance", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["expires"]


# --- Content-Security-Policy ----------------------------------------------------------------------------------

def policy(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return {name: values.split() for name, _, values in (d.strip().partition(" ") for d in header.split(";"))}


def test_every_kind_of_response_carries_the_policy(client_as):
    admin = client_as("admin")
    for client, url in [(Client(), "/admin/login/"), (admin, "/admin/"), (admin, "/api/v1/systems/"),
                        (admin, "/api/schema/"), (Client(), "/health/"), (Client(), "/api/v1/systems/")]:
        directives = policy(client.get(url))
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"], "no inline script and no eval"
        assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
        assert directives["img-src"] == ["'self'", "data:"]
        assert directives["object-src"] == directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == directives["form-action"] == ["'self'"]
        assert not any("unsafe-eval" in v for values in directives.values() for v in values)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/", "/admin/incidents/incident/",
                                 "/admin/incidents/incident/add/", "/admin/inventory/aisystem/add/",
                                 "/admin/core/apitoken/add/", "/api/docs/", "/api/v1/systems/", "/audit/",
                                 "/dashboard/"])
def test_pages_run_no_inline_script_the_policy_would_block(client_as, url):
    client = Client() if url == "/admin/login/" else client_as("admin")
    response = client.get(url, HTTP_ACCEPT="text/html")
    if response.status_code == 404:
        pytest.skip(f"{url} is not there")
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), INLINE_SCRIPT.findall(html)
    assert not INLINE_HANDLER.findall(html), INLINE_HANDLER.findall(html)[:3]
    assert "javascript:" not in html.lower()


def test_the_api_docs_page_has_the_same_strict_policy_and_its_script_is_served_from_the_portal(client_as):
    response = client_as("auditor").get("/api/docs/")
    assert policy(response)["script-src"] == ["'self'"]
    script = client_as("auditor").get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
