"""AIBOM import: what a BOM creates, that a second import changes nothing, and that a bad BOM writes nothing."""

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import cyclonedx, services
from inventory.cyclonedx import BomError
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent, SystemComponent
from inventory.tests.factories import AISystemFactory, ComponentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(settings.BASE_DIR).parent / "shared" / "reference" / "data" / "cyclonedx" / "examples"


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


def load(name) -> dict:
    return cyclonedx.parse_json((DATA / name).read_bytes())


def inventory_counts() -> dict[str, int]:
    """Rows of every inventory model and history table, and of the timeline."""
    models = apps.get_app_config("inventory").get_models(include_auto_created=True)
    return {model._meta.label: model.objects.count() for model in models}


def library_bom(count, *, root=True):
    components = [{"type": "library", "bom-ref": f"lib-{i}", "name": f"lib-{i}", "version": "1.0"}
                  for i in range(count)]
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components,
                "dependencies": [{"ref": f"lib-{i}", "dependsOn": [f"lib-{i + 1}"]} for i in range(count - 1)]}
    if root:
        document["metadata"] = {"component": {"type": "application", "bom-ref": "app", "name": "App"}}
    return document


def test_importing_a_bom_creates_the_system_components_links_and_dependencies(alice):
    result = services.aibom_import(actor=alice, bom=load("rag-assistant.cdx.json"), system_slug="rag-assistant")

    system = AISystem.objects.get(slug="rag-assistant")
    assert (system.name, system.purpose) == ("Support RAG assistant",
                                             "Answers customer support questions from the knowledge base.")
    assert system.risk_class == ""
    assert result.system_created and result.counts() == {
        "system_created": True, "components_created": 11, "components_updated": 0, "components_reused": 0,
        "links_created": 7, "links_updated": 0, "dependencies_created": 9, "dependencies_updated": 0,
    }
    model = Component.objects.get(name="support-llm")
    assert (model.kind, model.group, model.version, model.supplier, model.license) == (
        "model", "acme", "2.1", "Acme AI", "Apache-2.0")
    assert model.purl == "pkg:huggingface/acme/support-llm@2.1"
    assert model.external_url == "https://huggingface.co/acme/support-llm"
    assert model.sha256.startswith("9f86d081") and model.bom_ref == "model-support"
    assert model.known_good and model.disableable and model.derived_from.name == "base-llm"
    assert Component.objects.get(name="base-llm").license == "Apache-2.0 AND CC-BY-4.0"
    assert Component.objects.get(name="support-tickets").license == "Acme internal data licence"
    assert dict(Component.objects.values_list("name", "kind")) == {
        "support-llm": "model", "base-llm": "model", "support-tickets": "dataset", "kb-index": "vector_store",
        "system-prompt": "prompt", "ticket-lookup": "tool", "pii-filter": "guardrail", "langchain": "library",
        "langchain-core": "library", "llm-provider-api-key": "credential", "support-chat-api": "endpoint",
    }
    links = {link.component.name: (link.usage, link.is_active) for link in system.system_components.all()}
    assert links["support-llm"] == ("primary model", True) and links["base-llm"] == ("rollback target", False)
    assert "langchain" not in links and len(links) == 7
    relations = set(ComponentDependency.objects.values_list("component__name", "depends_on__name", "relation"))
    assert {("support-llm", "base-llm", "fine_tuned_from"), ("support-llm", "support-tickets", "trained_on"),
            ("support-chat-api", "pii-filter", "protected_by"), ("langchain", "langchain-core", "depends_on"),
            ("support-chat-api", "llm-provider-api-key", "authenticates_with")} <= relations
    assert len(relations) == 9
    assert {row.history_user for row in Component.history.all()} == {alice}
    event = InventoryEvent.objects.get(kind=InventoryEvent.Kind.AIBOM_IMPORTED)
    assert event.system == system and event.actor == alice and event.payload["components_created"] == 11


def test_importing_the_same_bom_twice_changes_nothing_the_second_time(alice):
    services.aibom_import(actor=alice, bom=load("rag-assistant.cdx.json"), system_slug="rag-assistant")
    before = inventory_counts()

    result = services.aibom_import(actor=alice, bom=load("rag-assistant.cdx.json"), system_slug="rag-assistant")

    assert result.counts() == {
        "system_created": False, "components_created": 0, "components_updated": 0, "components_reused": 11,
        "links_created": 0, "links_updated": 0, "dependencies_created": 0, "dependencies_updated": 0,
    }
    after = inventory_counts()
    assert after.pop("inventory.InventoryEvent") == before.pop("inventory.InventoryEvent") + 1  # the import itself
    assert after == before


def test_an_existing_system_is_imported_into_as_it_is(alice):
    system = AISystemFactory(name="Support bot", slug="support", purpose="Kept.", risk_class="minimal")
    services.aibom_import(actor=alice, bom=load("rag-assistant.cdx.json"), system_slug="support")
    system.refresh_from_db()
    assert (system.name, system.purpose, system.risk_class) == ("Support bot", "Kept.", "minimal")
    assert system.system_components.count() == 7 and AISystem.objects.count() == 1


def test_a_matching_component_is_reused_and_updated_with_what_the_bom_brings(alice):
    existing = ComponentFactory(kind="model", group="acme", name="support-llm", version="2.1",
                                description="Old words.", supplier="Acme AI")
    result = services.aibom_import(actor=alice, bom=load("rag-assistant.cdx.json"), system_slug="rag-assistant")
    existing.refresh_from_db()
    assert result.components_updated == 1 and result.components_created == 10
    assert existing.description == "Support model fine-tuned on resolved tickets."
    assert existing.purl == "pkg:huggingface/acme/support-llm@2.1" and existing.derived_from.name == "base-llm"
    assert existing.history.first().history_user == alice


def test_without_metadata_the_system_is_named_after_the_slug_and_uses_every_component(alice):
    result = services.aibom_import(actor=alice, bom=library_bom(3, root=False), system_slug="libs")
    assert (result.system.name, result.system.risk_class) == ("libs", "")
    assert "created by AIBOM import" in result.system.purpose.replace("Created", "created")
    assert result.links_created == 3 and result.dependencies_created == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed.cdx.json", "not JSON: line 5 column 42: Expecting ',' delimiter"),
        ("invalid-type.cdx.json", "components[1].type: 'neural-network' is not one of ['application'"),
        ("dangling-dependency.cdx.json", "dependencies[0].dependsOn[1] 'dataset-that-is-not-here' names no component"),
    ],
)
def test_an_invalid_bom_imports_nothing_and_names_what_is_wrong(alice, name, message):
    AISystemFactory(slug="target")
    before = inventory_counts()
    with pytest.raises(BomError) as excinfo:
        services.aibom_import(actor=alice, bom=load(name), system_slug="target")
    assert str(excinfo.value).startswith(message)
    assert inventory_counts() == before


def test_a_field_our_model_refuses_is_named_before_anything_is_written(alice):
    document = library_bom(2)
    document["components"][1]["version"] = "9" * 101
    before = inventory_counts()
    with pytest.raises(BomError, match=r"^components\[1\]\.version: Ensure this value has at most 100 characters"):
        services.aibom_import(actor=alice, bom=document, system_slug="new-system")
    assert inventory_counts() == before


def test_an_invalid_system_slug_is_named(alice):
    with pytest.raises(BomError, match=r"^system slug: Enter a valid"):
        services.aibom_import(actor=alice, bom=library_bom(1), system_slug="Not a slug!")
    assert not Component.objects.exists()


def test_a_cycle_with_existing_dependencies_rolls_the_whole_import_back(alice):
    first, second = (ComponentFactory(kind="library", name=f"lib-{i}", version="1.0") for i in (0, 1))
    services.dependency_add(actor=alice, component=second, depends_on=first)
    before = inventory_counts()
    document = library_bom(2)
    document["components"].append({"type": "library", "bom-ref": "fresh", "name": "fresh", "version": "1"})
    with pytest.raises(BomError) as excinfo:
        services.aibom_import(actor=alice, bom=document, system_slug="new-system")
    assert str(excinfo.value).startswith("dependencies[0].dependsOn[0] (lib-0 -> lib-1): ")
    assert "would make a cycle" in str(excinfo.value)
    assert inventory_counts() == before
    assert not AISystem.objects.filter(slug="new-system").exists()


def test_a_disableable_component_without_procedure_is_refused_naming_it(alice):
    document = library_bom(1)
    document["components"][0]["properties"] = [{"name": "aiir:disableable", "value": "true"}]
    before = inventory_counts()
    with pytest.raises(BomError, match=r"^components\[0\]\.properties\[aiir:disable_procedure\]: A component"):
        services.aibom_import(actor=alice, bom=document, system_slug="new-system")
    assert inventory_counts() == before


@pytest.mark.parametrize(
    ("name", "components", "dependencies"),
    [
        ("valid-component-data-1.6.json", {("dataset", "my-configs", "1337")}, 0),
        ("valid-dependency-1.6.json", {("library", "library-a", "1.0.0"), ("library", "library-b", "1.0.0"),
                                       ("library", "library-c", "1.0.0")}, 1),
        ("valid-machine-learning-1.6.json", {("model", "stable-diffusion", "1.4")}, 0),
        ("valid-machine-learning-considerations-env-1.6.json", {("model", "Llama-2-7b", "")}, 0),
    ],
)
def test_each_shared_cyclonedx_example_imports(alice, name, components, dependencies):
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip("the shared CycloneDX examples are not available next to the project")
    result = services.aibom_import(actor=alice, bom=json.loads(path.read_text()), system_slug="example")
    assert set(Component.objects.values_list("kind", "name", "version")) == components
    assert result.links_created == len(components) and ComponentDependency.objects.count() == dependencies
    if name == "valid-machine-learning-considerations-env-1.6.json":
        model = Component.objects.get()
        assert (model.group, model.supplier) == ("meta-llama", "Hugging Face")
        assert model.external_url == "https://huggingface.co/meta-llama/Llama-2-7b"
    if name == "valid-machine-learning-1.6.json":
        assert Component.objects.get().supplier == "Acme Inc"  # the publisher, for want of a supplier


def test_progress_is_reported_per_batch_of_components_and_complete_only_at_the_end(alice, monkeypatch):
    monkeypatch.setattr("inventory.services.aibom._BATCH", 2)
    calls = []

    def progress(done, total):
        calls.append((done, total, AISystem.objects.filter(slug="libs").exists(),
                      InventoryEvent.objects.filter(kind=InventoryEvent.Kind.AIBOM_IMPORTED).exists()))

    services.aibom_import(actor=alice, bom=library_bom(5), system_slug="libs", progress=progress)
    # reported inside the import's transaction as batches are written; (5, 5) once everything is written
    assert calls == [(2, 5, True, False), (4, 5, True, False), (5, 5, True, True)]


def test_import_queries_grow_by_a_bounded_amount_per_component(alice):
    def queries(count, slug):
        document = library_bom(count)
        for item in document["components"]:
            item["name"] = f"{slug}-{item['name']}"
        with CaptureQueriesContext(connection) as ctx:
            services.aibom_import(actor=alice, bom=document, system_slug=slug)
        return len(ctx.captured_queries)

    small, large = queries(5, "small"), queries(25, "large")
    per_component = (large - small) / 20
    # Each history row written costs its insert, the chain lock, the newest head's read and the head's insert
    # (PostgreSQL; SQLite takes no lock); a component writes about a dozen history rows here.
    assert per_component <= 44, f"{per_component} queries per component (create, link, dependency)"
    assert SystemComponent.objects.count() == 30
