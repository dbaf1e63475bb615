"""Bad input gets a 400 that names the field and the rule, and leaves nothing half-written.

Rules of one row come from the model, rules across rows from the services, the shape of the payload from the
serializers; the API reports all three the same way.
"""

import pytest

from inventory import services
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent, RaciAssignment
from inventory.tests.api.conftest import field_errors

pytestmark = pytest.mark.django_db

SYSTEM = {"name": "Hiring screen", "slug": "hiring-screen", "purpose": "Ranks applicants."}


@pytest.fixture
def compliance(client_for):
    return client_for("compliance")


def test_a_high_risk_annex_iii_system_without_its_area_is_refused_naming_annex_iii_area(compliance):
    payload = {**SYSTEM, "risk_class": "high_risk_annex_iii", "risk_rationale": "Recruitment."}
    response = compliance.post("/api/v1/systems/", payload, format="json")
    assert field_errors(response) == {"annex_iii_area"}
    assert "Annex III area" in response.json()["annex_iii_area"][0]
    assert not AISystem.objects.filter(slug="hiring-screen").exists()
    assert not InventoryEvent.objects.filter(kind="system_registered", actor=compliance.user).exists()


def test_an_unknown_jurisdiction_code_is_refused_naming_jurisdictions_and_the_code(compliance):
    response = compliance.post("/api/v1/systems/", {**SYSTEM, "jurisdictions": ["DE", "XX"]}, format="json")
    assert field_errors(response) == {"jurisdictions"}
    assert "XX" in response.json()["jurisdictions"][0]
    assert not AISystem.objects.filter(slug="hiring-screen").exists()


def test_a_second_accountable_for_the_same_system_and_activity_is_refused_naming_role(compliance, inventory):
    response = compliance.post("/api/v1/raci/", {
        "system": inventory.system.slug, "activity": "own_system", "role": "accountable", "user": compliance.user.pk,
    }, format="json")
    assert field_errors(response) == {"role"}
    assert "ML platform is already Accountable" in response.json()["role"][0]
    assert RaciAssignment.objects.filter(system=inventory.system, activity="own_system").count() == 1


def test_turning_a_responsible_into_a_second_accountable_is_refused_too(compliance, inventory):
    other = services.raci_assign(actor=inventory.admin, system=inventory.system, activity="own_system",
                                 role="responsible", user=compliance.user)
    response = compliance.patch(f"/api/v1/raci/{other.pk}/", {"role": "accountable"}, format="json")
    assert field_errors(response) == {"role"}
    other.refresh_from_db()
    assert other.role == "responsible"


def test_a_dependency_that_closes_a_cycle_is_refused_naming_depends_on(compliance, inventory):
    # The model is trained on the dataset; the dataset cannot depend on the model.
    response = compliance.post("/api/v1/dependencies/", {
        "component": inventory.dataset.pk, "depends_on": inventory.model.pk,
    }, format="json")
    assert field_errors(response) == {"depends_on"}
    assert "cycle" in response.json()["depends_on"][0]
    assert ComponentDependency.objects.count() == 1


def test_a_dependency_on_itself_is_refused_naming_depends_on(compliance, inventory):
    response = compliance.post("/api/v1/dependencies/", {
        "component": inventory.tool.pk, "depends_on": inventory.tool.pk,
    }, format="json")
    assert field_errors(response) == {"depends_on"}


def test_moving_a_dependency_to_other_components_is_refused_naming_the_end(compliance, inventory):
    response = compliance.put(f"/api/v1/dependencies/{inventory.edge.pk}/", {
        "component": inventory.tool.pk, "depends_on": inventory.dataset.pk, "relation": "depends_on",
    }, format="json")
    assert field_errors(response) == {"component"}


def test_a_disableable_component_without_its_disable_procedure_is_refused_naming_it(compliance):
    response = compliance.post("/api/v1/components/", {"kind": "tool", "name": "web-search", "disableable": True},
                               format="json")
    assert field_errors(response) == {"disable_procedure"}


def test_a_malformed_hash_is_refused_naming_hashes(compliance):
    response = compliance.post("/api/v1/components/", {
        "kind": "model", "name": "llm", "hashes": [{"alg": "SHA-256", "content": "abc"}],
    }, format="json")
    assert field_errors(response) == {"hashes"}


def test_payload_shape_errors_name_their_fields(compliance, inventory):
    response = compliance.post("/api/v1/systems/", {"slug": "Not a slug!", "lifecycle": "launched",
                                                     "personal_data_categories": ["gossip"]}, format="json")
    assert field_errors(response) == {"name", "purpose", "slug", "lifecycle", "personal_data_categories"}


def test_a_duplicate_slug_is_refused_naming_slug(compliance, inventory):
    response = compliance.post("/api/v1/systems/", {**SYSTEM, "slug": inventory.system.slug}, format="json")
    assert field_errors(response) == {"slug"}


def test_an_assignee_must_be_exactly_one_user_or_team(compliance, inventory):
    base = {"system": inventory.system.slug, "activity": "revoke_key", "role": "responsible"}
    both = compliance.post("/api/v1/raci/", {**base, "user": compliance.user.pk, "team": inventory.team.pk},
                           format="json")
    neither = compliance.post("/api/v1/escalation-steps/", {
        "system": inventory.system.slug, "severity": "p0", "order": 1, "acknowledge_within_minutes": 5,
    }, format="json")
    assert field_errors(both) == {"user"} and field_errors(neither) == {"user"}


def test_an_escalation_step_numbered_zero_is_refused_naming_order(compliance, inventory):
    response = compliance.post("/api/v1/escalation-steps/", {
        "system": inventory.system.slug, "severity": "p0", "order": 0, "acknowledge_within_minutes": 5,
        "team": inventory.team.pk,
    }, format="json")
    assert field_errors(response) == {"order"}


def test_an_unknown_system_slug_in_a_payload_is_refused_naming_system(compliance, inventory):
    response = compliance.post("/api/v1/system-components/", {"system": "nope", "component": inventory.tool.pk},
                               format="json")
    assert field_errors(response) == {"system"}


def test_deleting_a_component_still_in_use_is_a_conflict_that_names_the_system(compliance, inventory):
    response = compliance.delete(f"/api/v1/components/{inventory.model.pk}/")
    assert response.status_code == 409
    assert "is used by AI systems Support bot" in response.json()["detail"]
    assert Component.objects.filter(pk=inventory.model.pk).exists()


def test_deleting_a_team_still_named_in_raci_is_a_conflict_that_names_the_assignment(compliance, inventory):
    response = compliance.delete(f"/api/v1/teams/{inventory.team.pk}/")
    assert response.status_code == 409
    assert "Own the system" in response.json()["detail"]
    assert inventory.team.history.first().history_type != "-"
