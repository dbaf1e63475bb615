"""Who may do what, per role and endpoint: one table, checked against every inventory endpoint.

Reading needs the model's view_* permission (every role has it on the inventory); writing needs add_*, change_*
or delete_* (only the compliance officer, and superusers). Jurisdictions and the timeline are read only for
everyone: superusers, who hold every permission, get 405. Anonymous requests are refused everywhere.
"""

import pytest

from inventory.tests.api.endpoints import ENDPOINTS

pytestmark = pytest.mark.django_db

ROLES = [None, "compliance", "responder", "legal", "leadership", "auditor", "admin"]
ACTIONS = ("list", "retrieve", "create", "update", "delete")


def outcome(status):
    if status in (401, 403):
        return "denied"
    if status == 405:
        return "not allowed"
    return "ok" if 200 <= status < 300 else f"unexpected {status}"


def expected(role, endpoint):
    if role is None:
        return dict.fromkeys(ACTIONS, "denied")
    writes = "denied"
    if role in ("compliance", "admin") and endpoint.writable:
        writes = "ok"
    elif role == "admin":
        writes = "not allowed"
    return {"list": "ok", "retrieve": "ok", "create": writes, "update": writes, "delete": writes}


def attempt(client, endpoint, inv):
    detail = endpoint.detail_url(endpoint.lookup(inv))
    create = endpoint.create(inv) if endpoint.writable else {}
    patch = endpoint.patch(inv) if endpoint.writable else {}
    deletable = endpoint.detail_url(endpoint.deletable(inv)) if endpoint.writable else detail
    responses = {
        "list": client.get(endpoint.list_url),
        "retrieve": client.get(detail),
        "create": client.post(endpoint.list_url, create, format="json"),
        "update": client.patch(detail, patch, format="json"),
        "delete": client.delete(deletable),
    }
    return {action: outcome(r.status_code) for action, r in responses.items()}, responses


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_reads_and_writes_exactly_what_its_permissions_allow(client_for, inventory, role, endpoint):
    got, responses = attempt(client_for(role), endpoint, inventory)
    assert got == expected(role, endpoint), {a: responses[a].content[:300] for a in got if got[a] != "ok"}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_blast_radius_is_readable_by_every_role_and_refused_to_anonymous(client_for, inventory, role):
    response = client_for(role).get(f"/api/v1/components/{inventory.dataset.pk}/blast-radius/")
    assert outcome(response.status_code) == ("denied" if role is None else "ok")


def test_a_read_only_role_cannot_write_with_a_token_either(client_for, inventory):
    client = client_for("auditor", auth="token")
    assert client.get("/api/v1/systems/").status_code == 200
    assert client.patch(f"/api/v1/systems/{inventory.system.slug}/", {"purpose": "x"}, format="json").status_code == 403
    inventory.system.refresh_from_db()
    assert inventory.system.purpose != "x"


def test_the_api_root_lists_the_inventory_endpoints_to_signed_in_users_only(client_for):
    response = client_for("auditor").get("/api/v1/")
    assert response.status_code == 200
    assert {e.name for e in ENDPOINTS} <= set(response.json())
    assert outcome(client_for(None).get("/api/v1/").status_code) == "denied"
