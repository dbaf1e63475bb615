"""Roles are groups created by migrations, with the model permissions each job needs."""

import pytest
from django.contrib.auth.models import Group

from portal.core import roles

pytestmark = pytest.mark.django_db


def _codenames(role, app_label="inventory"):
    return set(
        Group.objects.get(name=role).permissions.filter(content_type__app_label=app_label)
        .values_list("codename", flat=True)
    )


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


@pytest.mark.parametrize("role", [*roles.READ_ONLY_ROLES, roles.INCIDENT_RESPONDER])
def test_read_only_roles_can_only_view_the_inventory(role):
    perms = _codenames(role)
    assert "view_aisystem" in perms and "view_component" in perms
    assert all(p.startswith("view_") for p in perms)


def test_compliance_officer_keeps_the_inventory():
    perms = _codenames(roles.COMPLIANCE_OFFICER)
    for model in ("aisystem", "component", "systemcomponent", "componentdependency", "raciassignment",
                  "escalationstep", "team"):
        assert {f"{a}_{model}" for a in roles.ALL_ACTIONS} <= perms
    # Reference data and the timeline are read only, even for compliance.
    assert "change_jurisdiction" not in perms and "change_inventoryevent" not in perms


def test_a_session_request_reads_the_user_with_its_role_permissions_in_one_query(client):
    """The session's user is read with the names of its own and its groups' permissions (RoleModelBackend): the
    session and the user are the request's only authentication queries, the role's permissions decide as before,
    and a permission granted since the last request counts on the next one."""
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.tests.factories import make_user

    user = make_user("session-reader", roles.AUDITOR)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        allowed = client.get("/api/v1/systems/")
    tables = [q["sql"] for q in queries.captured_queries]
    assert allowed.status_code == 200
    assert "django_session" in tables[0] and "auth_user" in tables[1]
    assert not any("auth_permission" in sql for sql in tables[2:]), "permissions were read again"
    assert client.post("/api/v1/systems/", {}, content_type="application/json").status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="add_aisystem"))
    assert client.post("/api/v1/systems/", {}, content_type="application/json").status_code == 400
