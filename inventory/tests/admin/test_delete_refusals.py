"""In the admin, an AI system, component or team that incidents refer to is not deleted: the delete page shows the
refusal (what refers to it) with a button to retire it instead, the bulk action deletes nothing and says why, and
the confirmation page never lists the incident links a delete would drop."""

import pytest

from incidents.models import Incident
from incidents.tests.factories import open_incident
from inventory.models import AISystem, Component, ComponentStatus, InventoryEvent, Lifecycle, Team
from inventory.tests.admin.helpers import admin_url, messages_of, page_text
from inventory.tests.factories import AISystemFactory

pytestmark = pytest.mark.django_db

ROWS = {
    "aisystem": (lambda inv: inv.system, "AI system 'Support bot' is named on incidents {ref}; "
                                         "retire it instead (lifecycle: retired)."),
    "component": (lambda inv: inv.tool, "Component 'crm-lookup 1.0 [Tool]' is named on incidents {ref}; "
                                        "retire it instead (status: retired)."),
    "team": (lambda inv: inv.team, "Team 'ML platform' answers for AI systems named on incidents {ref} "
                                   "(Support bot); owns AI systems Support bot;"),
}


@pytest.fixture
def incident(compliance, inventory):
    return open_incident(compliance, systems=[inventory.system], components=[inventory.tool])


def _state():
    return (AISystem.history.count(), Component.history.count(), Team.history.count(), InventoryEvent.objects.count(),
            sorted(Incident.systems.through.objects.values_list("incident_id", "aisystem_id")),
            sorted(Incident.components.through.objects.values_list("incident_id", "component_id")))


@pytest.mark.parametrize("model_name", ROWS)
def test_the_delete_page_shows_the_refusal_and_offers_retiring_instead(compliance_client, inventory, incident,
                                                                       model_name):
    row, says = ROWS[model_name]
    row = row(inventory)

    response = compliance_client.get(admin_url(model_name, "delete", row.pk))

    assert response.status_code == 200
    assert response.templates[0].name == "admin/delete_refused.html"
    text = page_text(response)
    assert says.format(ref=incident.reference) in response.context["refusal"]
    assert f"named on incidents {incident.reference}" in text
    assert all(reason in text for reason in response.context["reasons"])
    assert "Nothing was deleted" in text and "Retire it instead" in text
    assert "Are you sure" not in text and "relationship" not in text  # no cascade list of the incident links
    assert response.context["alternative"]["action"] == "retire_selected"


@pytest.mark.parametrize("model_name", ROWS)
def test_confirming_the_delete_of_a_referenced_row_deletes_nothing(compliance_client, inventory, incident,
                                                                   model_name):
    row = ROWS[model_name][0](inventory)
    before = _state()

    response = compliance_client.post(admin_url(model_name, "delete", row.pk), {"post": "yes"})

    assert response.status_code == 200
    assert "Nothing was deleted" in page_text(response)
    assert type(row).objects.filter(pk=row.pk).exists()
    assert _state() == before


@pytest.mark.parametrize("model_name", ROWS)
@pytest.mark.parametrize("confirmed", [False, True], ids=["confirmation", "confirmed"])
def test_the_bulk_delete_deletes_nothing_and_names_the_referring_incidents(compliance_client, compliance, inventory,
                                                                           incident, model_name, confirmed):
    row, says = ROWS[model_name]
    row = row(inventory)
    spare = AISystemFactory(actor=compliance, name="Spare") if model_name == "aisystem" else None
    selected = [row.pk, spare.pk] if spare else [row.pk]
    before = _state()

    data = {"action": "delete_selected", "_selected_action": selected, **({"post": "yes"} if confirmed else {})}
    response = compliance_client.post(admin_url(model_name, "changelist"), data, follow=True)

    assert response.status_code == 200
    [message] = messages_of(response)
    assert message.startswith("Nothing was deleted: ")
    assert says.format(ref=incident.reference) in message
    assert "Use the action 'Retire selected" in message
    assert type(row).objects.filter(pk=row.pk).exists()
    assert spare is None or AISystem.objects.filter(pk=spare.pk).exists()  # the whole selection is kept
    assert _state() == before


def test_the_retire_button_of_the_refusal_retires_the_system_through_the_service(compliance_client, compliance,
                                                                                  inventory, incident):
    refusal = compliance_client.get(admin_url("aisystem", "delete", inventory.system.pk))
    assert refusal.context["action_checkbox_name"] == "_selected_action"

    response = compliance_client.post(admin_url("aisystem", "changelist"), {
        "action": "retire_selected", "_selected_action": [inventory.system.pk]}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["Retired: Support bot. They keep their records and history."]
    latest = AISystem.history.filter(id=inventory.system.pk).latest("history_id")
    assert (latest.lifecycle, latest.history_user, latest.history_source) == (Lifecycle.RETIRED, compliance, "admin")
    assert list(incident.systems.all()) == [inventory.system]


def test_retiring_a_component_in_the_admin_sets_its_status(compliance_client, inventory, incident):
    compliance_client.post(admin_url("component", "changelist"), {
        "action": "retire_selected", "_selected_action": [inventory.tool.pk]})

    assert Component.objects.get(pk=inventory.tool.pk).status == ComponentStatus.RETIRED


def test_a_team_is_retired_and_reinstated_in_the_admin_with_history(compliance_client, compliance, inventory,
                                                                    incident):
    compliance_client.post(admin_url("team", "changelist"), {
        "action": "retire_selected", "_selected_action": [inventory.team.pk]})

    team = Team.objects.get(pk=inventory.team.pk)
    assert team.retired
    assert team.history.latest("history_id").history_user == compliance
    listed = compliance_client.get(admin_url("team", "changelist") + "?state=retired")
    assert [t.pk for t in listed.context["cl"].result_list] == [team.pk]

    compliance_client.post(admin_url("team", "changelist"), {
        "action": "reinstate_selected", "_selected_action": [team.pk]})

    assert not Team.objects.get(pk=team.pk).retired


def test_a_system_no_incident_names_still_gets_the_delete_confirmation(compliance_client, compliance, inventory):
    spare = AISystemFactory(actor=compliance, name="Spare")

    page = compliance_client.get(admin_url("aisystem", "delete", spare.pk))
    assert "Are you sure" in page_text(page)
    response = compliance_client.post(admin_url("aisystem", "delete", spare.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not AISystem.objects.filter(pk=spare.pk).exists()
