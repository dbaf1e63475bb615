"""Admin saves and deletes go through the services: history names the user and the admin, the timeline too."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory import services
from inventory.models import AISystem, Component, EscalationStep, InventoryEvent, RaciAssignment, Team
from inventory.tests.admin.helpers import add_inline_row, admin_url, form_data, inline_row_index, messages_of, page_text
from inventory.tests.factories import ComponentFactory

Kind = InventoryEvent.Kind


def _latest_event(kind):
    return InventoryEvent.objects.filter(kind=kind).order_by("-id").first()


def test_a_change_in_the_admin_leaves_history_and_an_event_naming_the_compliance_officer(
    compliance_client, compliance, inventory
):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = form_data(compliance_client.get(url))
    data.update(name="Support assistant", jurisdictions=[str(inventory.system.jurisdictions.get(code="DE").pk)])

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    record = AISystem.history.filter(id=inventory.system.pk).latest("history_date")
    assert (record.name, record.history_user, record.history_source) == ("Support assistant", compliance, "admin")
    event = _latest_event(Kind.SYSTEM_UPDATED)
    assert (event.actor, event.source) == (compliance, "admin")
    assert set(event.payload["fields"]) == {"name", "jurisdictions"}
    assert list(inventory.system.jurisdictions.values_list("code", flat=True)) == ["DE"]


def test_adding_a_system_in_the_admin_registers_it_through_the_service(compliance_client, compliance, inventory):
    response = compliance_client.get(admin_url("aisystem", "add"))
    data = form_data(response)
    data.update(name="Credit scoring", slug="credit-scoring", purpose="Scores loan applications.",
                risk_class="minimal", risk_rationale="No Annex III use.", jurisdictions=[])

    response = compliance_client.post(admin_url("aisystem", "add"), data)

    assert response.status_code == 302, page_text(response)
    system = AISystem.objects.get(slug="credit-scoring")
    assert system.history.get().history_user == compliance
    event = _latest_event(Kind.SYSTEM_REGISTERED)
    assert (event.system, event.actor, event.source) == (system, compliance, "admin")


def test_a_system_added_with_its_inline_rows_saves_each_row_through_its_service(
    compliance_client, compliance, inventory
):
    data = form_data(compliance_client.get(admin_url("aisystem", "add")))
    data.update(name="Fraud triage", slug="fraud-triage", purpose="Flags suspicious payments.", jurisdictions=[])
    add_inline_row(data, "system_components", component=str(inventory.model.pk), usage="scorer", is_active="on")
    add_inline_row(data, "raci", activity="own_system", role="accountable", user=str(compliance.pk))
    add_inline_row(data, "escalation_steps", severity="p0", order="1", team=str(inventory.team.pk),
                   acknowledge_within_minutes="15")

    response = compliance_client.post(admin_url("aisystem", "add"), data)

    assert response.status_code == 302, page_text(response)
    system = AISystem.objects.get(slug="fraud-triage")
    assert system.system_components.get().component == inventory.model
    assert system.raci.get().user == compliance
    assert system.escalation_steps.get().acknowledge_within_minutes == 15
    kinds = set(InventoryEvent.objects.filter(system=system).values_list("kind", "actor"))
    assert kinds == {(k, compliance.pk) for k in (Kind.SYSTEM_REGISTERED, Kind.COMPONENT_ATTACHED, Kind.RACI_CHANGED,
                                                   Kind.ESCALATION_CHANGED)}


def test_a_raci_row_added_inline_leaves_history_and_an_event_naming_the_compliance_officer(
    compliance_client, compliance, inventory
):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = add_inline_row(form_data(compliance_client.get(url)), "raci", activity="revoke_key",
                          role="accountable", user=str(compliance.pk))

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    row = RaciAssignment.objects.get(system=inventory.system, activity="revoke_key")
    record = row.history.get()
    assert (record.history_user, record.history_source) == (compliance, "admin")
    event = _latest_event(Kind.RACI_CHANGED)
    assert (event.system, event.actor, event.source) == (inventory.system, compliance, "admin")


def test_inline_rows_are_changed_and_deleted_through_the_services(compliance_client, compliance, inventory):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = form_data(compliance_client.get(url))
    data[f"raci-{inline_row_index(data, 'raci', inventory.raci.pk)}-team"] = ""
    data[f"raci-{inline_row_index(data, 'raci', inventory.raci.pk)}-user"] = str(compliance.pk)
    data[f"escalation_steps-{inline_row_index(data, 'escalation_steps', inventory.step.pk)}-DELETE"] = "on"

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    assert RaciAssignment.objects.get(pk=inventory.raci.pk).user == compliance
    assert not EscalationStep.objects.exists()
    deletion = EscalationStep.history.filter(id=inventory.step.pk).latest("history_date")
    assert (deletion.history_type, deletion.history_user, deletion.history_source) == ("-", compliance, "admin")
    assert _latest_event(Kind.ESCALATION_CHANGED).actor == compliance


def test_a_dependency_added_inline_on_the_component_page_goes_through_the_service(
    compliance_client, compliance, inventory
):
    tool = inventory.tool
    url = admin_url("component", "change", inventory.model.pk)
    data = add_inline_row(form_data(compliance_client.get(url)), "dependencies", depends_on=str(tool.pk),
                          relation="uses_tool")

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    assert inventory.model.dependencies.filter(depends_on=tool).exists()
    assert (_latest_event(Kind.DEPENDENCY_ADDED).actor, _latest_event(Kind.DEPENDENCY_ADDED).source) == (
        compliance, "admin")


def test_team_members_chosen_in_the_admin_go_through_the_service(compliance_client, compliance, inventory):
    url = admin_url("team", "change", inventory.team.pk)
    data = form_data(compliance_client.get(url))
    data["members"] = [str(compliance.pk)]

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    assert list(Team.objects.get(pk=inventory.team.pk).members.all()) == [compliance]
    assert _latest_event(Kind.TEAM_CHANGED).payload["fields"] == ["members"]


def test_deleting_in_the_admin_goes_through_the_service(compliance_client, compliance, inventory):
    spare = ComponentFactory(actor=compliance, name="spare")

    response = compliance_client.post(admin_url("component", "delete", spare.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Component.objects.filter(pk=spare.pk).exists()
    deletion = Component.history.filter(id=spare.pk).latest("history_date")
    assert (deletion.history_type, deletion.history_user, deletion.history_source) == ("-", compliance, "admin")
    assert _latest_event(Kind.COMPONENT_DELETED).actor == compliance


def test_the_bulk_delete_action_deletes_each_system_through_the_service(compliance_client, compliance, inventory):
    response = compliance_client.post(admin_url("aisystem", "changelist"), {
        "action": "delete_selected", "_selected_action": [inventory.system.pk], "post": "yes"})

    assert response.status_code == 302
    assert not AISystem.objects.exists()
    assert RaciAssignment.history.filter(history_type="-").get().history_user == compliance
    assert _latest_event(Kind.SYSTEM_DELETED).actor == compliance


def test_a_component_still_in_use_is_not_deleted(compliance_client, inventory):
    response = compliance_client.post(admin_url("component", "delete", inventory.model.pk), {"post": "yes"})

    assert response.status_code == 200
    assert "Cannot delete" in page_text(response)
    assert Component.objects.filter(pk=inventory.model.pk).exists()


def _refuse(**kwargs):
    raise ValidationError("Component is still used by a system; detach it first or mark it retired.")


def test_a_delete_refused_by_the_service_shows_an_error_message(compliance_client, compliance, monkeypatch):
    spare = ComponentFactory(actor=compliance, name="spare")
    monkeypatch.setattr(services, "component_delete", _refuse)

    response = compliance_client.post(admin_url("component", "delete", spare.pk), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert any("detach it first" in m for m in messages_of(response))
    assert Component.objects.filter(pk=spare.pk).exists()


def test_a_bulk_delete_refused_by_the_service_deletes_nothing(compliance_client, compliance, monkeypatch):
    spares = [ComponentFactory(actor=compliance, name=f"spare-{i}") for i in range(2)]
    monkeypatch.setattr(services, "component_delete", _refuse)

    response = compliance_client.post(admin_url("component", "changelist"), {
        "action": "delete_selected", "_selected_action": [c.pk for c in spares], "post": "yes"}, follow=True)

    assert response.status_code == 200
    assert any("Nothing was deleted" in m for m in messages_of(response))
    assert Component.objects.count() == 2


def test_a_save_refused_by_the_service_after_validation_shows_the_form_again(
    compliance_client, inventory, monkeypatch
):
    def refuse(**kwargs):
        raise ValidationError({"role": "Someone else became Accountable for this activity a moment ago."})

    monkeypatch.setattr(services, "raci_assign", refuse)
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = add_inline_row(form_data(compliance_client.get(url)), "raci", activity="revoke_key",
                          role="accountable", team=str(inventory.team.pk))
    data["name"] = "Renamed meanwhile"

    response = compliance_client.post(url, data)

    assert response.status_code == 200
    assert "Someone else became Accountable" in page_text(response)
    assert AISystem.objects.get().name == "Support bot"  # the whole submission was rolled back
    assert not RaciAssignment.objects.filter(activity="revoke_key").exists()


def test_history_can_be_read_but_not_reverted_from_the_admin(compliance_client, inventory):
    record = inventory.system.history.earliest("history_date")
    version_url = reverse("admin:inventory_aisystem_simple_history", args=[inventory.system.pk, record.history_id])

    page = compliance_client.get(version_url)
    refused = compliance_client.post(version_url, {"name": "Reverted", "slug": "support-bot", "purpose": "x"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert refused.status_code == 403
    assert AISystem.objects.get().name == "Support bot"


@pytest.mark.parametrize("model_name", ["aisystem", "component"])
def test_the_history_page_lists_admin_changes(compliance_client, inventory, model_name):
    obj = inventory.system if model_name == "aisystem" else inventory.model
    response = compliance_client.get(admin_url(model_name, "history", obj.pk))
    assert response.status_code == 200
    assert "compliance" in page_text(response)
