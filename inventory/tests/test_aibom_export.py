"""AIBOM export: a schema-valid CycloneDX 1.6 BOM of a system that imports back to the same inventory."""

import copy
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import cyclonedx, services
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent
from inventory.tests.factories import AISystemFactory, ComponentFactory

pytestmark = pytest.mark.django_db

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"  # noqa: E501


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def claims(alice):
    """A system using models (one a fine-tune of the other), data, a guardrail, a credential and libraries."""
    create = services.component_create
    system = services.ai_system_create(actor=alice, name="Claims triage", slug="claims",
                                       purpose="Routes insurance claims to adjusters.")
    base = create(actor=alice, kind="model", group="acme", name="claims-llm", version="1.0", supplier="Acme AI",
                  license="Apache-2.0", known_good=True, hashes=[{"alg": "SHA-256", "content": SHA256}],
                  purl="pkg:huggingface/acme/claims-llm@1.0", external_url="https://models.example.com/claims-llm")
    tuned = create(actor=alice, kind="model", group="acme", name="claims-llm", version="1.1", derived_from=base,
                   license="Apache-2.0 OR MIT", disableable=True, disable_procedure="Route to the base model.",
                   description="Fine-tuned on 2025 claims.")
    data = create(actor=alice, kind="dataset", name="claims-history", version="2025",
                  license="Acme claims data licence", hashes=[{"alg": "SHA-512", "content": SHA512}])
    store = create(actor=alice, kind="vector_store", name="policy-index", version="3")
    guard = create(actor=alice, kind="guardrail", name="pii-filter", version="0.9", status="disabled",
                   supplier="Guardrails Inc", license="MIT")
    key = create(actor=alice, kind="credential", name="llm-api-key")
    lib = create(actor=alice, kind="library", name="transformers", version="4.50.0", license="Apache-2.0",
                 purl="pkg:pypi/transformers@4.50.0")
    core = create(actor=alice, kind="library", name="tokenizers", version="0.21.0")
    create(actor=alice, kind="library", name="unrelated", version="1")
    for component, usage, is_active in ((tuned, "primary model", True), (base, "rollback target", False),
                                        (store, "", True), (guard, "output filter", True), (key, "", True)):
        services.system_component_attach(actor=alice, system=system, component=component, usage=usage,
                                         is_active=is_active)
    for component, depends_on, relation in ((tuned, data, "trained_on"), (tuned, base, "fine_tuned_from"),
                                            (store, data, "depends_on"), (guard, lib, "depends_on"),
                                            (lib, core, "depends_on"), (tuned, key, "authenticates_with")):
        services.dependency_add(actor=alice, component=component, depends_on=depends_on, relation=relation)
    return system


def by_name(bom) -> dict[str, dict]:
    return {f"{c['name']}@{c.get('version', '')}": c for c in bom["components"]}


def properties(component) -> dict:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def test_the_export_of_a_system_validates_against_the_1_6_schema(alice, claims):
    bom = services.aibom_export(actor=alice, system=claims)
    cyclonedx.validate_bom(bom)
    assert (bom["$schema"], bom["bomFormat"], bom["specVersion"], bom["version"]) == (
        "http://cyclonedx.org/schema/bom-1.6.schema.json", "CycloneDX", "1.6", 1)
    assert bom["serialNumber"].startswith("urn:uuid:")
    assert bom["metadata"]["tools"]["components"][0]["name"] == cyclonedx.TOOL_NAME
    assert bom["metadata"]["component"] == {"type": "application", "bom-ref": "claims", "name": "Claims triage",
                                            "description": "Routes insurance claims to adjusters."}
    json.dumps(bom)  # plain JSON types only


def test_the_export_maps_kinds_licenses_and_our_own_fields(alice, claims):
    components = by_name(services.aibom_export(actor=alice, system=claims))
    tuned, base = components["claims-llm@1.1"], components["claims-llm@1.0"]
    assert tuned["type"] == "machine-learning-model" and tuned["licenses"] == [{"expression": "Apache-2.0 OR MIT"}]
    assert base["licenses"] == [{"license": {"id": "Apache-2.0"}}] and base["supplier"] == {"name": "Acme AI"}
    assert base["hashes"] == [{"alg": "SHA-256", "content": SHA256}]
    assert base["externalReferences"] == [{"type": "distribution", "url": "https://models.example.com/claims-llm"}]
    assert components["claims-history@2025"]["licenses"] == [{"license": {"name": "Acme claims data licence"}}]
    assert {k: v for k, v in properties(tuned).items() if k != "aiir:relation"} == {
        "aiir:known_good": "false", "aiir:disableable": "true", "aiir:disable_procedure": "Route to the base model.",
        "aiir:status": "active", "aiir:derived_from": base["bom-ref"], "aiir:usage": "primary model",
        "aiir:is_active": "true",
    }
    relations = [p["value"].split()[0] for p in tuned["properties"] if p["name"] == "aiir:relation"]
    assert sorted(relations) == ["authenticates_with", "fine_tuned_from", "trained_on"]
    assert properties(components["policy-index@3"])["aiir:kind"] == "vector_store"
    assert properties(components["pii-filter@0.9"])["aiir:status"] == "disabled"
    assert components["llm-api-key@"]["type"] == "cryptographic-asset"


def test_the_export_includes_what_the_components_reach_but_links_only_what_the_system_uses(alice, claims):
    bom = services.aibom_export(actor=alice, system=claims)
    components = by_name(bom)
    assert "tokenizers@0.21.0" in components and "transformers@4.50.0" in components
    assert "unrelated@1" not in components and len(components) == 8
    assert "aiir:is_active" not in properties(components["tokenizers@0.21.0"])
    dependencies = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    ref = {name: c["bom-ref"] for name, c in components.items()}
    assert sorted(dependencies["claims"]) == sorted(ref[n] for n in (
        "claims-llm@1.1", "claims-llm@1.0", "policy-index@3", "pii-filter@0.9", "llm-api-key@"))
    assert dependencies[ref["transformers@4.50.0"]] == [ref["tokenizers@0.21.0"]]
    assert dependencies[ref["tokenizers@0.21.0"]] == []


def inventory_snapshot(slug):
    system = AISystem.objects.get(slug=slug)
    components = set(Component.objects.values_list(
        "kind", "group", "name", "version", "description", "supplier", "license", "purl", "external_url",
        "known_good", "disableable", "disable_procedure", "status", "derived_from__name", "derived_from__version"))
    hashes = {(c.name, c.version): c.hashes for c in Component.objects.all()}
    links = set(system.system_components.values_list("component__name", "component__version", "usage", "is_active"))
    edges = set(ComponentDependency.objects.values_list("component__name", "depends_on__name", "relation"))
    return (system.name, system.purpose), components, hashes, links, edges


def wipe_inventory(actor):
    for edge in ComponentDependency.objects.all():
        services.dependency_remove(actor=actor, edge=edge)
    for system in AISystem.objects.all():
        services.ai_system_delete(actor=actor, system=system)
    while Component.objects.exists():
        for component in list(Component.objects.filter(derivatives__isnull=True)):
            services.component_delete(actor=actor, component=component)


def comparable(bom):
    bom = copy.deepcopy(bom)
    bom.pop("serialNumber")
    bom["metadata"].pop("timestamp")
    return bom


def test_export_then_import_into_an_empty_inventory_round_trips_everything(alice, claims):
    services.component_delete(actor=alice, component=Component.objects.get(name="unrelated"))
    before = inventory_snapshot("claims")
    exported = services.aibom_export(actor=alice, system=claims)
    wipe_inventory(alice)
    assert not Component.objects.exists() and not AISystem.objects.exists()

    result = services.aibom_import(actor=alice, bom=json.loads(json.dumps(exported)), system_slug="claims")

    assert result.system_created and result.components_created == 8 and result.dependencies_created == 6
    after = inventory_snapshot("claims")
    assert after == before
    assert comparable(services.aibom_export(actor=alice, system=result.system)) == comparable(exported)


def test_importing_an_export_back_into_its_own_system_changes_nothing(alice, claims):
    exported = services.aibom_export(actor=alice, system=claims)
    result = services.aibom_import(actor=alice, bom=exported, system_slug="claims")
    assert (result.components_reused, result.components_updated, result.components_created) == (8, 0, 0)
    assert (result.links_created, result.links_updated, result.dependencies_created) == (0, 0, 0)
    assert result.dependencies_updated == 0


def test_the_export_records_an_event_with_the_actor(alice, claims):
    bom = services.aibom_export(actor=alice, system=claims)
    event = InventoryEvent.objects.get(kind=InventoryEvent.Kind.AIBOM_EXPORTED)
    assert (event.system, event.actor) == (claims, alice)
    assert event.payload == {"serial_number": bom["serialNumber"], "components": 8, "dependencies": 6}


def test_stored_bom_refs_are_kept_unless_they_clash(alice):
    system = AISystemFactory(slug="clash")
    first = ComponentFactory(name="a", bom_ref="shared")
    second = ComponentFactory(name="b", bom_ref="shared")
    third = ComponentFactory(name="c", bom_ref="clash")
    for component in (first, second, third):
        services.system_component_attach(actor=alice, system=system, component=component)
    refs = {c["name"]: c["bom-ref"] for c in services.aibom_export(actor=alice, system=system)["components"]}
    assert refs == {"a": "shared", "b": "model:b@1.0", "c": "model:c@1.0"}


def test_export_query_count_is_the_same_for_10_and_50_components(alice):
    def queries(count):
        system = AISystemFactory()
        previous = None
        for i in range(count):
            component = ComponentFactory(derived_from=previous if i % 5 == 1 else None, known_good=i % 2 == 0)
            services.system_component_attach(actor=alice, system=system, component=component)
            if previous is not None:
                services.dependency_add(actor=alice, component=component, depends_on=previous)
            previous = component
        with CaptureQueriesContext(connection) as ctx:
            bom = services.aibom_export(actor=alice, system=system)
        assert len(bom["components"]) == count
        return len(ctx.captured_queries)

    assert queries(10) == queries(50)
