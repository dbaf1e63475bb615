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
