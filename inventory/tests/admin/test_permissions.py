"""Who may open which inventory admin page: the compliance officer writes, the other roles only read."""

import pytest
from django.urls import reverse

from inventory.models import AISystem, InventoryEvent, Jurisdiction
from inventory.tests.admin.helpers import ALL_MODELS, READ_ONLY_MODELS, WRITABLE_MODELS, admin_url
from portal.core import roles

READERS = [roles.INCIDENT_RESPONDER, roles.LEGAL_REVIEWER, roles.LEADERSHIP, roles.AUDITOR]
WRITERS = [roles.COMPLIANCE_OFFICER, "admin"]
PAGES = ["changelist", "add", "change", "delete", "history"]


def _object_pk(inventory, model_name):
    objects = {
        "aisystem": inventory.system, "component": inventory.model, "systemcomponent": inventory.link,
        "componentdependency": inventory.edge, "team": inventory.team, "raciassignment": inventory.raci,
        "escalationstep": inventory.step,
    }
    if model_name == "jurisdiction":
        return Jurisdiction.objects.get(code="DE").pk
    if model_name == "inventoryevent":
        return InventoryEvent.objects.first().pk
    return objects[model_name].pk


def _expected(role, model_name, page):
    """The status each role gets; the read-only models have no history page and no writes for anybody."""
    if model_name in READ_ONLY_MODELS and page in ("add", "delete"):
        return 403
    if role in WRITERS or page in ("changelist", "change", "history"):
        return 200
    return 403


def _pages(model_name):
    return [p for p in PAGES if not (p == "history" and model_name in READ_ONLY_MODELS)]


def _url(model_name, page, pk):
    return admin_url(model_name, page, None if page in ("changelist", "add") else pk)


@pytest.mark.parametrize("model_name", ALL_MODELS)
@pytest.mark.parametrize("role", WRITERS + READERS)
def test_each_role_opens_only_the_inventory_pages_its_permissions_allow(client_as, inventory, role, model_name):
    client = client_as(role)
    pk = _object_pk(inventory, model_name)
    statuses = {page: client.get(_url(model_name, page, pk)).status_code for page in _pages(model_name)}
    assert statuses == {page: _expected(role, model_name, page) for page in _pages(model_name)}


@pytest.mark.parametrize("model_name", ALL_MODELS)
def test_anonymous_visitors_are_sent_to_the_login_page(client_as, inventory, model_name):
    client = client_as(None)
    pk = _object_pk(inventory, model_name)
    for page in _pages(model_name):
        response = client.get(_url(model_name, page, pk))
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login")), page


@pytest.mark.parametrize("model_name", WRITABLE_MODELS)
@pytest.mark.parametrize("role", READERS)
def test_read_only_roles_see_the_change_page_without_a_save_button(client_as, inventory, role, model_name):
    response = client_as(role).get(admin_url(model_name, "change", _object_pk(inventory, model_name)))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content


@pytest.mark.parametrize("model_name", WRITABLE_MODELS)
def test_the_compliance_officer_sees_the_save_button(compliance_client, inventory, model_name):
    response = compliance_client.get(admin_url(model_name, "change", _object_pk(inventory, model_name)))
    assert 'name="_save"' in response.content.decode()


@pytest.mark.parametrize("model_name", READ_ONLY_MODELS)
def test_nobody_gets_a_save_button_on_reference_data_and_the_timeline(client_as, inventory, model_name):
    response = client_as("admin").get(admin_url(model_name, "change", _object_pk(inventory, model_name)))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("role", READERS)
def test_a_post_from_a_read_only_role_is_refused_and_changes_nothing(client_as, inventory, role):
    client = client_as(role)
    system = inventory.system
    change = client.post(admin_url("aisystem", "change", system.pk), {"name": "Renamed", "slug": system.slug})
    add = client.post(admin_url("aisystem", "add"), {"name": "New", "slug": "new", "purpose": "x"})
    delete = client.post(admin_url("aisystem", "delete", system.pk), {"post": "yes"})
    action = client.post(admin_url("aisystem", "changelist"),
                         {"action": "delete_selected", "_selected_action": [system.pk], "post": "yes"})
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert action.status_code in (200, 302)  # the action is not offered: the changelist just shows again
    assert list(AISystem.objects.values_list("name", flat=True)) == ["Support bot"]


@pytest.mark.parametrize("model_name", READ_ONLY_MODELS)
def test_even_a_superuser_cannot_post_to_reference_data_or_the_timeline(client_as, inventory, model_name):
    pk = _object_pk(inventory, model_name)
    response = client_as("admin").post(admin_url(model_name, "change", pk), {"summary": "rewritten"})
    assert response.status_code == 403
