"""Regulated records are never deleted from the admin or the API, superusers included: incidents, obligations,
documents, disclosure decisions, regulatory facts, timeline events, evidence and custody, SLA notices, API tokens and
every history row. Only the inventory rows (whose services refuse while records refer to them), users (refused while
any record names them), roles and the login-throttling records may be deleted.

Both checks walk everything registered (every ModelAdmin, every API URL pattern), so a new admin page or endpoint that
offers a delete fails here until it is reviewed and, if it is right, added to the lists below.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from portal.tests.test_access_matrix import SU, build_scene, build_url, url_patterns

pytestmark = pytest.mark.django_db

DELETABLE_IN_ADMIN = {
    # The inventory: deleted through its services, which refuse while incidents refer to the row.
    "inventory.aisystem", "inventory.component", "inventory.systemcomponent", "inventory.componentdependency",
    "inventory.team", "inventory.raciassignment", "inventory.escalationstep",
    # Users (refused while any record names them, see portal.core.users), roles and login-throttling records.
    "auth.user", "auth.group", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",
}

# API routes that take DELETE: the inventory rows (409 while records refer to them, see inventory/tests/api).
DELETABLE_IN_API = {
    "system-detail", "component-detail", "system-component-detail", "dependency-detail", "team-detail",
    "raci-detail", "escalation-step-detail",
}

# The records this rule is about, each checked by URL as well: the delete page and the bulk action refuse.
NEVER_DELETED = [
    "incidents.incident", "incidents.timelineevent", "incidents.evidence", "incidents.slanotice",
    "reporting.obligation", "reporting.deadlineboardentry", "reporting.document", "reporting.disclosuredecision",
    "reporting.regulatoryfacts", "core.apitoken",
]


def _counts():
    """Rows of every model of the portal's apps and their history tables."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()
            if model._meta.app_label in ("core", "inventory", "incidents", "reporting") and not model._meta.proxy}


@pytest.fixture
def scene(role_users):
    return build_scene(role_users)


def test_no_admin_page_deletes_a_regulated_record_not_even_for_a_superuser(role_users, scene):
    request = RequestFactory().get("/admin/")
    request.user = role_users[SU]
    offered = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        assert getattr(model, "instance_type", None) is None, f"history rows of {label} are in the admin"
        obj = model._default_manager.order_by("pk").first()
        if label not in DELETABLE_IN_ADMIN:
            if model_admin.has_delete_permission(request) or model_admin.has_delete_permission(request, obj):
                offered.append(f"{label}: delete page")
            if "delete_selected" in model_admin.get_actions(request):
                offered.append(f"{label}: bulk delete action")
        for inline in model_admin.get_inline_instances(request, obj):
            if inline.model._meta.label_lower in DELETABLE_IN_ADMIN:
                continue
            if inline.can_delete and inline.has_delete_permission(request, obj):
                offered.append(f"{label}: inline {inline.model._meta.label_lower} deletes rows")
    assert not offered, "Deletes offered on regulated records:\n" + "\n".join(offered)


def test_the_delete_page_and_bulk_action_of_each_regulated_record_refuse_a_superuser(client_as, scene):
    client = client_as(SU)
    before = _counts()
    wrong = []
    for label in NEVER_DELETED:
        model = apps.get_model(label)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the scene has no {label}"
        app_label, model_name = model._meta.app_label, model._meta.model_name
        delete_url = reverse(f"admin:{app_label}_{model_name}_delete", args=[obj.pk])
        for method in ("get", "post"):
            response = getattr(client, method)(delete_url, {"post": "yes"} if method == "post" else None)
            if response.status_code != 403:
                wrong.append(f"{method.upper()} {delete_url}: {response.status_code}")
        client.post(reverse(f"admin:{app_label}_{model_name}_changelist"),
                    {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert not wrong, "\n".join(wrong)
    assert _counts() == before


def test_no_api_endpoint_but_the_inventory_rows_takes_delete(role_users, scene):
    client = APIClient()
    client.force_login(role_users[SU])
    before = _counts()
    wrong = []
    for key, route, _ in url_patterns():
        if not route.startswith("api/") or key in DELETABLE_IN_API:
            continue
        url = build_url(route, scene)
        response = client.delete(url)
        allowed = (401, 403) if key == "alert-intake" else (405,)  # token only: a session is refused first
        if response.status_code not in allowed:
            wrong.append(f"DELETE {url} ({key}): {response.status_code}")
    assert not wrong, "Endpoints that do not refuse DELETE:\n" + "\n".join(wrong)
    assert _counts() == before
