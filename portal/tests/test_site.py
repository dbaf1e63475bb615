"""The site shell: home, health, and where history says a write came from."""

import pytest
from django.contrib.auth import get_user_model

from inventory import services
from portal.core.audit import Source, audit_source, current_source, source_for_path

pytestmark = pytest.mark.django_db


def test_home_redirects_a_visitor_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/")


def test_health_reports_database_reachability(client):
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_source_follows_the_url():
    assert source_for_path("/admin/inventory/") == Source.ADMIN
    assert source_for_path("/api/v1/systems/") == Source.API
    assert source_for_path("/dashboard/") == Source.WEB


def test_history_rows_carry_the_source_of_the_write():
    user = get_user_model().objects.create_user("cmd")
    with audit_source(Source.COMMAND):
        assert current_source() == Source.COMMAND
        team = services.team_create(actor=user, name="Ops")
    assert current_source() == Source.SERVICE
    row = team.history.get()
    assert (row.history_user, row.history_source) == (user, Source.COMMAND)


@pytest.mark.parametrize(("role", "dashboard", "audit"), [
    ("leadership", True, False),
    ("compliance officer", True, True),
    ("legal reviewer", True, True),
    ("auditor", False, True),
    ("incident responder", False, False),
])
def test_the_header_links_only_the_pages_the_role_may_open(client, role_users, role, dashboard, audit):
    from django.urls import reverse

    client.force_login(role_users[role])
    page = client.get(reverse("admin:index")).content.decode()
    assert (f'<a href="{reverse("dashboard:index")}">Governance dashboard</a>' in page) is dashboard
    assert (f'<a href="{reverse("audit:index")}">Audit trail</a>' in page) is audit


def test_every_admin_page_names_the_portal_icon_and_favicon_ico_redirects_to_it(client, role_users):
    from django.templatetags.static import static

    client.force_login(role_users["auditor"])
    assert f'<link rel="icon" href="{static("portal/favicon.svg")}"' in client.get("/admin/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("portal/favicon.svg")


# --- where people land, and the pages that refuse or find nothing ---------------------------------------------------

PASSWORD = "a-long-test-password"


@pytest.mark.parametrize(("role", "lands_on"), [("leadership", "/dashboard/"), ("compliance officer", "/admin/"),
                                                ("legal reviewer", "/admin/")])
def test_signing_in_lands_each_role_where_its_work_starts(client, role_users, role, lands_on):
    user = role_users[role]
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == lands_on
    assert client.get("/")["Location"] == lands_on


def test_signing_in_to_reach_a_page_goes_to_that_page_whatever_the_role(client, role_users):
    user = role_users["leadership"]
    response = client.post("/admin/login/?next=/audit/",
                           {"username": user.username, "password": PASSWORD, "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"


def test_the_api_docs_send_a_browser_that_is_not_signed_in_to_sign_in(client, role_users):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/api/docs/")
    assert client.get("/api/docs/", HTTP_AUTHORIZATION="Token aip_wrong").status_code in (401, 403)  # not sent on

    client.force_login(role_users["auditor"])
    assert client.get("/api/docs/").status_code == 200


def test_a_refused_page_says_why_and_where_to_go_in_the_portals_layout(client, role_users):
    client.force_login(role_users["auditor"])
    response = client.get("/admin/core/apitoken/add/")

    text = response.content.decode()
    assert response.status_code == 403
    assert "You may not open this page" in text and "ask a compliance officer" in text
    assert "AI Incident Governance Portal" in text and 'href="/"' in text


def test_an_address_with_nothing_says_so_in_the_portals_layout(client, role_users):
    client.force_login(role_users["auditor"])
    response = client.get("/no-such-page/")

    text = response.content.decode()
    assert response.status_code == 404
    assert "Nothing here" in text and "AI Incident Governance Portal" in text
