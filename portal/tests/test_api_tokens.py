"""API tokens: stored as a digest, shown once, scoped (read / write / alert_intake), revocable, with history; the
admin page and the command that create them; every API endpoint enforces the scopes."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.api.alerts import OBSERVABILITY_ALERT
from inventory.tests.factories import make_small_inventory
from portal.core import roles, tokens
from portal.core.models import ApiToken
from portal.core.tokens import api_token_create, api_token_revoke, key_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(role_users):
    return role_users["admin"]


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_for(user, *scopes, **kwargs):
    return api_token_create(actor=user, user=user, name="integration", scopes=list(scopes), **kwargs)


# --- the record -----------------------------------------------------------------------------------------------

def test_only_the_digest_and_a_prefix_are_stored_never_the_key(admin_user):
    token, key = token_for(admin_user, "read")
    assert key.startswith("aip_") and len(key) >= 40
    assert token.key_hash == key_digest(key) and token.prefix == key[:12]
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    history = token.history.values().get()
    assert key not in repr(stored) and key not in repr(history)


def test_creation_and_revocation_leave_history_naming_the_actor(role_users, admin_user):
    owner = role_users[roles.INCIDENT_RESPONDER]
    token, _ = api_token_create(actor=admin_user, user=owner, name="Datadog", scopes=["alert_intake"])
    api_token_revoke(actor=admin_user, token=token)
    token.refresh_from_db()
    assert token.revoked_by == admin_user and token.revoked_at is not None
    rows = list(token.history.order_by("history_id").values_list("history_type", "history_user", "revoked_at"))
    assert [(kind, user) for kind, user, _ in rows] == [("+", admin_user.pk), ("~", admin_user.pk)]
    assert rows[0][2] is None and rows[1][2] is not None


def test_a_token_cannot_be_revoked_twice(admin_user):
    token, _ = token_for(admin_user, "read")
    api_token_revoke(actor=admin_user, token=token)
    with pytest.raises(Exception, match="already revoked"):
        api_token_revoke(actor=admin_user, token=token)


@pytest.mark.parametrize(("scopes", "message"), [
    ([], "at least one scope"),
    (["read", "admin"], "Unknown scope admin"),
])
def test_bad_scopes_are_refused_naming_the_field(admin_user, scopes, message):
    with pytest.raises(Exception, match=message) as error:
        token_for(admin_user, *scopes)
    assert "scopes" in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_an_expiry_in_the_past_and_an_inactive_user_are_refused(role_users, admin_user):
    with pytest.raises(Exception, match="in the future") as error:
        token_for(admin_user, "read", expires_at=timezone.now() - timedelta(minutes=1))
    assert "expires_at" in error.value.message_dict
    user = role_users[roles.AUDITOR]
    user.is_active = False
    user.save()
    with pytest.raises(Exception, match="inactive"):
        api_token_create(actor=admin_user, user=user, name="x", scopes=["read"])


# --- authentication ---------------------------------------------------------------------------------------------

def test_a_valid_key_authenticates_as_its_user_and_records_its_use_without_history(admin_user):
    token, key = token_for(admin_user, "read")
    response = client_with(key).get("/api/v1/systems/")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.history.count() == 1  # the creation only


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "inactive user", "malformed"])
def test_unusable_keys_are_refused(role_users, admin_user, state):
    owner = role_users[roles.AUDITOR]
    token, key = api_token_create(actor=admin_user, user=owner, name="x", scopes=["read"],
                                  expires_at=timezone.now() + timedelta(hours=1))
    header = f"Token {key}"
    if state == "unknown":
        header = "Token aip_" + "x" * 40
    elif state == "revoked":
        api_token_revoke(actor=admin_user, token=token)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "inactive user":
        get_user_model().objects.filter(pk=owner.pk).update(is_active=False)
    elif state == "malformed":
        header = f"Token {key} extra"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    # 403 rather than 401 where the session is the first authentication (DRF sends 401 only with a challenge
    # header of the first class; the alert intake, token-only, answers 401).
    response = client.get("/api/v1/systems/")
    assert response.status_code == 403 and "token" in response.json()["detail"].lower(), response.content
    response = client.post("/api/v1/alerts/", {}, format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token", response.content


# --- scopes ---------------------------------------------------------------------------------------------------

def test_a_read_token_reads_but_does_not_write_and_the_refusal_names_the_scope(admin_user):
    _, key = token_for(admin_user, "read")
    client = client_with(key)
    assert client.get("/api/v1/teams/").status_code == 200
    response = client.post("/api/v1/teams/", {"name": "Red team"}, format="json")
    assert response.status_code == 403
    assert "`write` scope" in response.json()["detail"]


def test_a_write_token_without_read_cannot_read(admin_user):
    _, key = token_for(admin_user, "write")
    client = client_with(key)
    assert client.post("/api/v1/teams/", {"name": "Red team"}, format="json").status_code == 201
    response = client.get("/api/v1/teams/")
    assert response.status_code == 403 and "`read` scope" in response.json()["detail"]


def test_scopes_narrow_a_role_but_never_widen_it(role_users):
    auditor = role_users[roles.AUDITOR]
    _, key = token_for(auditor, "read", "write")
    client = client_with(key)
    assert client.get("/api/v1/teams/").status_code == 200
    assert client.post("/api/v1/teams/", {"name": "Red team"}, format="json").status_code == 403


def test_a_session_is_not_scope_limited(role_users):
    client = APIClient()
    client.force_login(role_users[roles.COMPLIANCE_OFFICER])
    assert client.post("/api/v1/teams/", {"name": "Red team"}, format="json").status_code == 201
    assert client.get("/api/v1/teams/").status_code == 200


def _alert():
    return {**OBSERVABILITY_ALERT, "observed_at": (timezone.now() - timedelta(minutes=1)).isoformat()}


def test_alert_intake_needs_the_alert_intake_scope_and_accepts_it_without_write(role_users):
    responder = role_users[roles.INCIDENT_RESPONDER]
    make_small_inventory(actor=role_users["admin"])
    _, intake_key = token_for(responder, "alert_intake")
    _, read_write_key = token_for(responder, "read", "write")

    refused = client_with(read_write_key).post("/api/v1/alerts/", _alert(), format="json")
    assert refused.status_code == 403 and "`alert_intake` scope" in refused.json()["detail"]
    accepted = client_with(intake_key).post("/api/v1/alerts/", _alert(), format="json")
    assert accepted.status_code == 201, accepted.content
    # ... and the intake scope opens nothing else.
    assert client_with(intake_key).get("/api/v1/incidents/").status_code == 403
    assert client_with(intake_key).post("/api/v1/incidents/", {}, format="json").status_code == 403


def test_alert_intake_refuses_a_session(role_users):
    client = APIClient()
    client.force_login(role_users[roles.INCIDENT_RESPONDER])
    assert client.post("/api/v1/alerts/", _alert(), format="json").status_code in (401, 403)


def _api_patterns(resolver=None, prefix=""):
    """(route, pattern) of every endpoint under /api/, format-suffix variants left out."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/") and "format" not in route:
            yield route, pattern


def _sample_url(route):
    """A URL that resolves to the route, with placeholder values: the scope is checked before any lookup."""
    path = route.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", "1", path)
    return "/" + path


def test_every_api_endpoint_refuses_a_token_without_the_scope_of_the_method(admin_user):
    """A superuser's token, so only the scope can refuse: a view that forgets the scope check fails here."""
    _, read_key = token_for(admin_user, "read")
    _, write_key = token_for(admin_user, "write")
    reader, writer = client_with(read_key), client_with(write_key)
    checked = []
    for route, _ in _api_patterns():
        url = _sample_url(route)
        assert get_resolver().resolve(url), url
        for method in ("post", "put", "patch", "delete"):
            response = getattr(reader, method)(url, {}, format="json")
            assert response.status_code == 403, (method, url, response.status_code)
        response = writer.get(url)
        assert response.status_code == 403, ("get", url, response.status_code)
        checked.append(url)
    assert "/api/v1/alerts/" in checked and "/api/schema/" in checked and len(checked) > 40


# --- throttling -----------------------------------------------------------------------------------------------

@pytest.fixture
def rates(monkeypatch):
    """Throttle rates for one test, on a clean cache (DRF reads its rates when its classes are defined)."""
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()

    def set_rates(**values):
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", values)

    yield set_rates
    cache.clear()


def test_the_api_throttles_a_user_past_the_user_rate(admin_user, rates):
    rates(user="3/hour", anon="1/hour", alert_intake="100/hour")
    _, key = token_for(admin_user, "read")
    client = client_with(key)
    assert [client.get("/api/v1/teams/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_alert_intake_has_its_own_higher_rate(role_users, rates):
    rates(user="1/hour", anon="1/hour", alert_intake="3/hour")
    make_small_inventory(actor=role_users["admin"])
    _, key = token_for(role_users[roles.INCIDENT_RESPONDER], "alert_intake")
    client = client_with(key)
    codes = [client.post("/api/v1/alerts/", _alert(), format="json").status_code for _ in range(4)]
    assert codes == [201, 200, 200, 429]


# --- admin page and command ---------------------------------------------------------------------------------

def test_a_superuser_creates_a_token_in_the_admin_and_sees_the_key_once(role_users, admin_user):
    client = Client()
    client.force_login(admin_user)
    owner = role_users[roles.INCIDENT_RESPONDER]
    response = client.post("/admin/core/apitoken/add/", {
        "user": owner.pk, "name": "Datadog", "scopes": ["alert_intake", "read"], "expires_at_0": "",
        "expires_at_1": "",
    })
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'value="(aip_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert (token.user, token.scopes, token.created_by) == (owner, ["read", "alert_intake"], admin_user)
    assert token.key_hash == key_digest(key)
    assert token.history.get().history_source == "admin"
    # The token's page never shows the key again.
    page = client.get(f"/admin/core/apitoken/{token.pk}/change/")
    assert page.status_code == 200 and key not in page.content.decode() and token.prefix in page.content.decode()


def test_the_admin_refuses_a_past_expiry_on_the_form(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/core/apitoken/add/", {
        "user": admin_user.pk, "name": "x", "scopes": ["read"], "expires_at_0": "2020-01-01",
        "expires_at_1": "10:00:00",
    })
    assert response.status_code == 200 and "The expiry must be in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_selected_tokens(admin_user):
    token, key = token_for(admin_user, "read")
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin_user
    assert client_with(key).get("/api/v1/teams/").status_code == 403


def test_the_command_prints_the_key_once_and_the_key_works(role_users):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "--user", "responder", "--scope", "read", "--scope", "alert_intake",
                 "--name", "Guardrails", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == key_digest(key) and token.scopes == ["read", "alert_intake"]
    assert token.user == role_users[roles.INCIDENT_RESPONDER] and token.prefix in err.getvalue()
    assert token.history.get().history_source == "command"
    assert client_with(key).get("/api/v1/incidents/").status_code == 200


@pytest.mark.parametrize(("args", "message"), [
    (["--user", "nobody", "--scope", "read", "--name", "x"], "no user named 'nobody'"),
    (["--user", "responder", "--scope", "read", "--name", "x", "--expires", "2020-01-01"], "expires_at"),
    (["--user", "responder", "--scope", "read", "--name", "x", "--expires", "2030-01-01T10:00"], "time zone"),
    (["--user", "responder", "--scope", "read", "--name", ""], "name"),
])
def test_the_command_refuses_bad_input_naming_it(role_users, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_last_use_is_written_at_most_once_a_minute(admin_user, django_assert_num_queries):
    token, _ = token_for(admin_user, "read")
    tokens.api_token_touch(token)
    with django_assert_num_queries(0):
        tokens.api_token_touch(token)


# --- the user's permissions, read with the token ---------------------------------------------------------------

def test_a_token_carries_the_permissions_given_to_its_user_directly_and_through_its_roles(role_users, admin_user):
    user = get_user_model().objects.create_user("direct", password="x")
    _, key = token_for(user, "read")
    assert client_with(key).get("/api/v1/teams/").status_code == 403  # no permission at all

    user.user_permissions.add(Permission.objects.get(content_type__app_label="inventory", codename="view_team"))
    assert client_with(key).get("/api/v1/teams/").status_code == 200  # a permission of its own
    assert client_with(key).get("/api/v1/incidents/").status_code == 403

    user.groups.add(role_users[roles.AUDITOR].groups.get(name=roles.AUDITOR))
    client = client_with(key)
    assert client.get("/api/v1/incidents/").status_code == 200  # and the permissions of its role
    assert client.get("/api/v1/teams/").status_code == 200
