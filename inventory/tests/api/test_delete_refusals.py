"""DELETE of an AI system, component or team that incidents refer to answers 409 Conflict with the service's message
(what refers to it, and retire instead), never a 500, and deletes nothing; retiring is a PATCH."""

import pytest

from incidents.tests.factories import open_incident
from inventory.models import AISystem, Component, Team
from inventory.tests.api.conftest import field_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def compliance(client_for):
    return client_for("compliance")


@pytest.fixture
def incident(inventory):
    return open_incident(inventory.admin, systems=[inventory.system], components=[inventory.tool])


def _history_rows():
    return (AISystem.history.count(), Component.history.count(), Team.history.count())


@pytest.mark.parametrize(("url", "says"), [
    (lambda inv: f"/api/v1/systems/{inv.system.slug}/",
     "AI system 'Support bot' is named on incidents {ref}; retire it instead (lifecycle: retired)."),
    (lambda inv: f"/api/v1/components/{inv.tool.pk}/",
     "Component 'crm-lookup 1.0 [Tool]' is named on incidents {ref}; retire it instead (status: retired)."),
    (lambda inv: f"/api/v1/teams/{inv.team.pk}/",
     "Team 'ML platform' answers for AI systems named on incidents {ref} (Support bot); owns AI systems"),
], ids=["system", "component", "team"])
def test_deleting_a_row_an_incident_refers_to_is_a_conflict_naming_it_and_deletes_nothing(
    compliance, inventory, incident, url, says
):
    before = _history_rows()

    response = compliance.delete(url(inventory))

    assert response.status_code == 409
    assert response.json()["detail"].startswith(says.format(ref=incident.reference))
    assert _history_rows() == before
    assert list(incident.systems.all()) == [inventory.system]
    assert list(incident.components.all()) == [inventory.tool]
    assert Team.objects.filter(pk=inventory.team.pk).exists()


def test_an_unreferenced_system_is_still_deleted(compliance, inventory, incident):
    other = compliance.post("/api/v1/systems/", {"name": "Spare", "slug": "spare", "purpose": "Nothing yet."},
                            format="json")
    assert other.status_code == 201

    assert compliance.delete("/api/v1/systems/spare/").status_code == 204
    assert not AISystem.objects.filter(slug="spare").exists()


def test_a_team_is_retired_and_reinstated_with_a_patch(compliance, inventory, incident):
    url = f"/api/v1/teams/{inventory.team.pk}/"

    response = compliance.patch(url, {"retired": True}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["retired"] is True and response.json()["retired_at"]
    latest = Team.history.filter(id=inventory.team.pk).latest("history_id")
    assert latest.retired_at is not None and latest.history_user == compliance.user
    assert compliance.patch(url, {"retired": False}, format="json").json()["retired_at"] is None


def test_a_new_team_cannot_be_created_retired(compliance):
    response = compliance.post("/api/v1/teams/", {"name": "Ghosts", "retired": True}, format="json")

    assert field_errors(response) == {"retired"}


def test_a_retired_team_cannot_be_made_owner_of_a_system(compliance, inventory):
    compliance.patch(f"/api/v1/teams/{inventory.team.pk}/", {"retired": True}, format="json")

    response = compliance.post("/api/v1/systems/", {"name": "Spare", "slug": "spare", "purpose": "Nothing yet.",
                                                    "owner_team": inventory.team.pk}, format="json")

    assert field_errors(response) == {"owner_team"}
