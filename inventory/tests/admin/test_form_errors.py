"""Rules the services enforce come back as form errors naming the rule, and nothing is saved."""

from inventory import services
from inventory.models import AISystem, Component, ComponentDependency, RaciAssignment, SystemComponent
from inventory.tests.admin.helpers import add_inline_row, admin_url, form_data, inline_row_index, page_text
from inventory.tests.factories import ComponentFactory
from portal.core import roles

ONE_ACCOUNTABLE = "exactly one Accountable per system and activity"


def _history_count(model):
    return model.history.count()


def test_a_second_accountable_added_on_its_own_page_is_a_form_error(compliance_client, role_users, inventory):
    auditor = role_users[roles.AUDITOR]
    before = _history_count(RaciAssignment)

    response = compliance_client.post(admin_url("raciassignment", "add"), {
        "system": inventory.system.pk, "activity": "own_system", "role": "accountable", "user": auditor.pk})

    assert response.status_code == 200
    assert ONE_ACCOUNTABLE in page_text(response)
    assert "ML platform is already Accountable" in page_text(response)
    assert RaciAssignment.objects.count() == 1
    assert _history_count(RaciAssignment) == before


def test_two_accountables_in_one_inline_submission_are_a_form_error(compliance_client, compliance, inventory):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = form_data(compliance_client.get(url))
    data["name"] = "Renamed with the RACI"
    for team_or_user in ({"team": str(inventory.team.pk)}, {"user": str(compliance.pk)}):
        add_inline_row(data, "raci", activity="revoke_key", role="accountable", **team_or_user)

    response = compliance_client.post(url, data)

    assert response.status_code == 200
    assert "Two rows name an Accountable for 'Revoke an API key'" in page_text(response)
    assert not RaciAssignment.objects.filter(activity="revoke_key").exists()
    assert AISystem.objects.get().name == "Support bot"


def test_an_inline_accountable_clashing_with_a_saved_one_is_a_form_error(compliance_client, compliance, inventory):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = add_inline_row(form_data(compliance_client.get(url)), "raci", activity="own_system",
                          role="accountable", user=str(compliance.pk))

    response = compliance_client.post(url, data)

    assert response.status_code == 200
    assert ONE_ACCOUNTABLE in page_text(response)
    assert RaciAssignment.objects.count() == 1


def test_the_accountable_can_be_handed_over_in_one_inline_submission(compliance_client, compliance, inventory):
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = form_data(compliance_client.get(url))
    data[f"raci-{inline_row_index(data, 'raci', inventory.raci.pk)}-role"] = "responsible"
    add_inline_row(data, "raci", activity="own_system", role="accountable", user=str(compliance.pk))

    response = compliance_client.post(url, data)

    assert response.status_code == 302, page_text(response)
    holder = RaciAssignment.objects.get(activity="own_system", role="accountable")
    assert holder.user == compliance


def test_a_dependency_that_closes_a_cycle_is_a_form_error(compliance_client, compliance, inventory):
    # support-llm depends on tickets-2025; tickets-2025 depending on support-llm would close a cycle.
    response = compliance_client.post(admin_url("componentdependency", "add"), {
        "component": inventory.dataset.pk, "depends_on": inventory.model.pk, "relation": "depends_on"})

    assert response.status_code == 200
    assert "this dependency would make a cycle" in page_text(response)
    assert ComponentDependency.objects.count() == 1


def test_a_transitive_cycle_added_inline_is_a_form_error(compliance_client, compliance, inventory):
    # support-llm -> tickets-2025 -> labeller; labeller depending on support-llm closes the loop.
    labeller = ComponentFactory(actor=compliance, kind="tool", name="labeller")
    services.dependency_add(actor=compliance, component=inventory.dataset, depends_on=labeller)
    url = admin_url("component", "change", labeller.pk)
    data = add_inline_row(form_data(compliance_client.get(url)), "dependencies",
                          depends_on=str(inventory.model.pk), relation="depends_on")

    response = compliance_client.post(url, data)

    assert response.status_code == 200
    assert "this dependency would make a cycle" in page_text(response)
    assert not labeller.dependencies.exists()


def test_a_disableable_component_without_its_procedure_is_a_form_error(compliance_client):
    data = form_data(compliance_client.get(admin_url("component", "add")))
    data.update(kind="tool", name="web-search", version="2", disableable="on", disable_procedure="")

    response = compliance_client.post(admin_url("component", "add"), data)

    assert response.status_code == 200
    assert "A component marked disableable needs its disable procedure." in page_text(response)
    assert not Component.objects.filter(name="web-search").exists()
    assert not Component.history.filter(name="web-search").exists()


def test_a_high_risk_annex_iii_system_without_its_area_is_a_form_error(compliance_client):
    data = form_data(compliance_client.get(admin_url("aisystem", "add")))
    data.update(name="CV screening", slug="cv-screening", purpose="Ranks job applicants.",
                risk_class="high_risk_annex_iii", annex_iii_area="", risk_rationale="Used in recruitment.")

    response = compliance_client.post(admin_url("aisystem", "add"), data)

    assert response.status_code == 200
    assert "A high-risk Annex III system needs its Annex III area." in page_text(response)
    assert not AISystem.objects.filter(slug="cv-screening").exists()


def test_an_inline_component_link_cannot_be_re_pointed(compliance_client, compliance, inventory):
    other = ComponentFactory(actor=compliance, name="other-llm")
    url = admin_url("aisystem", "change", inventory.system.pk)
    data = form_data(compliance_client.get(url))
    data[f"system_components-{inline_row_index(data, 'system_components', inventory.link.pk)}-component"] = str(
        other.pk)

    response = compliance_client.post(url, data)

    assert response.status_code == 200
    assert "A link cannot be re-pointed" in page_text(response)
    assert SystemComponent.objects.get().component == inventory.model


def test_an_assignee_must_be_a_user_or_a_team_not_both(compliance_client, compliance, inventory):
    response = compliance_client.post(admin_url("raciassignment", "add"), {
        "system": inventory.system.pk, "activity": "triage_incident", "role": "responsible",
        "user": compliance.pk, "team": inventory.team.pk})

    assert response.status_code == 200
    assert "Name exactly one assignee: a user or a team." in page_text(response)
    assert RaciAssignment.objects.count() == 1
