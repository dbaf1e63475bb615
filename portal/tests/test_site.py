"""The site shell: home, health, and where history says a write came from."""

import pytest
from django.contrib.auth import get_user_model

from inventory import services
from portal.core.audit import Source, audit_source, current_source, source_for_path

pytestmark = pytest.mark.django_db


def test_home_redirects_to_the_admin(client):
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
