"""Writes through the API go through the services: a history row naming the user and the API as source, and a
timeline event with that actor, whether the request signed in with a session or a token.
"""

import pytest

from inventory.models import InventoryEvent
from inventory.tests.api.endpoints import WRITABLE

pytestmark = pytest.mark.django_db

AUTH = ["session", "token"]


def last_history(model, pk):
    return model.history.filter(**{model._meta.pk.attname: pk}).first()


@pytest.mark.parametrize("auth", AUTH)
@pytest.mark.parametrize("endpoint", WRITABLE, ids=str)
def test_creating_through_the_api_leaves_history_and_an_event_naming_the_user(client_for, inventory, endpoint, auth):
    client = client_for("compliance", auth=auth)
    events_before = InventoryEvent.objects.filter(actor=client.user).count()

    response = client.post(endpoint.list_url, endpoint.create(inventory), format="json")

    assert response.status_code == 201, response.content
    obj = endpoint.get(response.json()["slug" if endpoint.lookup_field == "slug" else "id"])
    row = obj.history.filter(history_type="+").get()
    assert (row.history_user, row.history_source) == (client.user, "api")
    # Many-to-many values (jurisdictions, members) set after creation add a row: same user, same source.
    assert {(r.history_user, r.history_source) for r in obj.history.all()} == {(client.user, "api")}
    event = InventoryEvent.objects.filter(actor=client.user).first()
    assert InventoryEvent.objects.filter(actor=client.user).count() == events_before + 1
    assert event.source == "api"


@pytest.mark.parametrize("auth", AUTH)
@pytest.mark.parametrize("endpoint", WRITABLE, ids=str)
def test_updating_and_deleting_through_the_api_leave_history_naming_the_user(client_for, inventory, endpoint, auth):
    client = client_for("compliance", auth=auth)
    lookup = endpoint.lookup(inventory)
    obj = endpoint.get(lookup)

    response = client.patch(endpoint.detail_url(lookup), endpoint.patch(inventory), format="json")
    assert response.status_code == 200, response.content
    row = obj.history.first()
    assert (row.history_type, row.history_user, row.history_source) == ("~", client.user, "api")
    for field, value in endpoint.patch(inventory).items():
        assert getattr(row, field) == value

    deletable = endpoint.deletable(inventory)
    pk = endpoint.get(deletable).pk
    response = client.delete(endpoint.detail_url(deletable))
    assert response.status_code == 204, response.content
    assert not endpoint.model.objects.filter(pk=pk).exists()
    row = last_history(endpoint.model, pk)
    assert (row.history_type, row.history_user, row.history_source) == ("-", client.user, "api")
    assert InventoryEvent.objects.filter(actor=client.user).count() == 2


def test_a_system_written_with_a_token_names_the_token_user_on_the_event_and_risk_change(client_for, inventory):
    client = client_for("compliance", auth="token")
    response = client.patch(
        f"/api/v1/systems/{inventory.system.slug}/",
        {"risk_class": "high_risk_annex_iii", "annex_iii_area": "employment",
         "risk_rationale": "Screens job applications (Annex III 4(a)).", "jurisdictions": ["NL"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["jurisdictions"] == ["NL"]
    events = InventoryEvent.objects.filter(system=inventory.system, actor=client.user)
    kinds = dict(events.values_list("kind", "source"))
    assert kinds == {"system_updated": "api", "risk_classified": "api"}


def test_a_created_system_is_returned_with_its_readiness_gaps_and_owner(client_for, inventory):
    response = client_for("compliance").post("/api/v1/systems/", {
        "name": "Fraud screen", "slug": "fraud-screen", "purpose": "Flags card payments.", "jurisdictions": ["de"],
        "owner_team": inventory.team.pk, "personal_data_categories": ["financial"],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["jurisdictions"] == ["DE"] and body["owner_team_name"] == "ML platform"
    assert body["readiness_gap_count"] == len(body["readiness_gaps"]) > 0
    assert "Risk class not yet assessed." in body["readiness_gaps"]
