"""Filtering, search, ordering and pagination of the inventory lists."""

import pytest
from django.conf import settings

from inventory import services
from inventory.models import ComponentKind
from inventory.tests.factories import AISystemFactory, ComponentFactory

pytestmark = pytest.mark.django_db

READY = {"inference_logging": True, "kill_switch_procedure": "Flip the flag.", "rollback_procedure": "Redeploy."}


@pytest.fixture
def auditor(client_for):
    return client_for("auditor")


def slugs(client, query):
    response = client.get(f"/api/v1/systems/?{query}")
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def systems(role_users):
    hiring = AISystemFactory(slug="hiring", risk_class="high_risk_annex_iii", annex_iii_area="employment",
                             risk_rationale="Annex III 4(a).", lifecycle="production", operator_role="deployer",
                             deployment_kind="batch", jurisdictions=["DE", "FR"])
    chat = AISystemFactory(slug="chat", lifecycle="production", operator_role="provider", deployment_kind="rag",
                           jurisdictions=["US-CA"], **READY)
    for activity in ("suspend_endpoint", "revoke_key", "disable_tool", "rollback_model"):
        services.raci_assign(actor=None, system=chat, activity=activity, role="accountable",
                             user=role_users["admin"])
    lab = AISystemFactory(slug="lab", risk_class="", lifecycle="development", deployment_kind="agent")
    return {"hiring": hiring, "chat": chat, "lab": lab}


@pytest.mark.parametrize(("query", "expected"), [
    ("risk_class=high_risk_annex_iii", ["hiring"]),
    ("lifecycle=production", ["chat", "hiring"]),
    ("operator_role=provider", ["chat"]),
    ("deployment_kind=agent", ["lab"]),
    ("jurisdiction=de", ["hiring"]),
    ("jurisdiction=US-CA", ["chat"]),
    ("has_readiness_gaps=true", ["hiring", "lab"]),
    ("has_readiness_gaps=false", ["chat"]),
    ("search=hiring", ["hiring"]),
    ("ordering=-slug", ["lab", "hiring", "chat"]),
])
def test_systems_filter_by_class_lifecycle_role_kind_jurisdiction_and_gaps(auditor, systems, query, expected):
    assert slugs(auditor, f"{query}&ordering=slug" if "ordering" not in query else query) == expected


def test_the_system_list_counts_readiness_gaps_and_the_detail_spells_them_out(auditor, systems):
    rows = {r["slug"]: r for r in auditor.get("/api/v1/systems/").json()["results"]}
    assert rows["chat"]["readiness_gap_count"] == 0
    assert rows["lab"]["readiness_gap_count"] == 5
    assert "readiness_gaps" not in rows["lab"]

    detail = auditor.get("/api/v1/systems/lab/").json()
    assert len(detail["readiness_gaps"]) == 5
    assert any(gap.startswith("No Accountable for containment") for gap in detail["readiness_gaps"])
    assert len(auditor.get("/api/v1/systems/chat/").json()["raci"]) == 4


def test_components_filter_by_kind_status_known_good_supplier_and_system(auditor, systems):
    llm = ComponentFactory(kind=ComponentKind.MODEL, name="llm", supplier="Mistral AI", known_good=True)
    ComponentFactory(kind=ComponentKind.TOOL, name="search", supplier="Acme", status="disabled")
    services.system_component_attach(actor=None, system=systems["chat"], component=llm)

    def names(query):
        return [row["name"] for row in auditor.get(f"/api/v1/components/?{query}").json()["results"]]

    assert names("kind=model") == ["llm"]
    assert names("status=disabled") == ["search"]
    assert names("known_good=true") == ["llm"]
    assert names("supplier=mistral ai") == ["llm"]
    assert names("system=chat") == ["llm"]
    assert names("search=acme") == ["search"]


def test_raci_filters_by_system_slug_activity_and_role(auditor, systems, role_users):
    services.raci_assign(actor=None, system=systems["hiring"], activity="revoke_key", role="responsible",
                         user=role_users["admin"])

    def count(query):
        return auditor.get(f"/api/v1/raci/?{query}").json()["count"]

    assert count("system=chat") == 4
    assert count("system=hiring&role=responsible") == 1
    assert count("activity=revoke_key") == 2
    assert count("activity=revoke_key&role=accountable") == 1


def test_an_invalid_filter_value_is_a_400_naming_the_filter(auditor, systems):
    response = auditor.get("/api/v1/systems/?risk_class=dangerous")
    assert response.status_code == 400 and "risk_class" in response.json()


def test_lists_are_paginated_with_the_configured_page_size(auditor, systems):
    body = auditor.get("/api/v1/jurisdictions/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == min(body["count"], settings.REST_FRAMEWORK["PAGE_SIZE"])
    assert auditor.get("/api/v1/jurisdictions/DE/").json()["eu_member"] is True
