"""The bulk AIBOM import: the same history, timeline and hash chain as row-by-row writes, one chain head per table
per import, a constant number of queries, all or nothing, and bad input refused naming the field."""

import io
import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.cyclonedx import BomError
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent, SystemComponent
from inventory.tests.factories import ComponentFactory
from portal.core import auditchain
from portal.core.audit import Source, audit_source
from portal.core.auditchain.append import head_model

pytestmark = pytest.mark.django_db
TRACKED = (AISystem, Component, SystemComponent, ComponentDependency)


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


def bom(count, *, prefix="lib", description="First words."):
    """`count` components, each depending on the next, the second derived from the first, the system using all."""
    components = [{"type": "library", "bom-ref": f"{prefix}-{i}", "name": f"{prefix}-{i}", "version": "1.0",
                   "description": f"{description} {i}"} for i in range(count)]
    components[1]["properties"] = [{"name": "aiir:derived_from", "value": f"{prefix}-0"}]
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components,
            "metadata": {"component": {"type": "application", "bom-ref": "app", "name": "App"}},
            "dependencies": [{"ref": f"{prefix}-{i}", "dependsOn": [f"{prefix}-{i + 1}"]} for i in range(count - 1)]}


def all_rows() -> dict[str, int]:
    """Rows of every inventory table and history table, the timeline and the chain heads."""
    models = [*apps.get_app_config("inventory").get_models(include_auto_created=True), head_model()]
    return {model._meta.label: model.objects.count() for model in models}


def chains_verify() -> bool:
    return all(report.ok for report in auditchain.verify_all())


def test_each_row_gets_its_history_row_naming_the_actor_and_the_chain_verifies(alice):
    heads_before = head_model().objects.count()
    with audit_source(Source.COMMAND):
        services.aibom_import(actor=alice, bom=bom(6), system_slug="libs")

    for model in TRACKED:
        rows = list(model.history.all())
        assert len(rows) == model.objects.count() > 0
        assert {(r.history_type, r.history_user, r.history_source) for r in rows} == {("+", alice, "command")}
    derived = Component.history.get(name="lib-1")
    assert derived.derived_from_id == Component.objects.get(name="lib-0").pk  # the row as written, link included
    assert chains_verify()
    call_command("verify_audit_trail", stdout=io.StringIO())  # exits non-zero on a broken chain
    # one chain head per history table written (system, components, links, edges), not one per row
    assert head_model().objects.count() - heads_before == 4
    events = InventoryEvent.objects.filter(actor=alice, source="command")
    assert events.filter(kind=InventoryEvent.Kind.COMPONENT_REGISTERED).count() == 6
    assert events.filter(kind=InventoryEvent.Kind.COMPONENT_ATTACHED).count() == 6
    assert set(events.filter(kind=InventoryEvent.Kind.DEPENDENCY_ADDED).values_list("summary", flat=True)) == {
        f"lib-{i} 1.0 [Library] depends on lib-{i + 1} 1.0 [Library]" for i in range(5)}


def test_a_reimport_updates_the_matched_components_with_history_and_events(alice):
    services.aibom_import(actor=alice, bom=bom(4), system_slug="libs")
    bob = get_user_model().objects.create_user("bob")

    result = services.aibom_import(actor=bob, bom=bom(4, description="New words."), system_slug="libs")

    assert (result.components_updated, result.components_created, result.dependencies_created) == (4, 0, 0)
    assert Component.objects.get(name="lib-2").description == "New words. 2"
    updates = Component.history.filter(history_type="~")
    assert updates.count() == 4 and {row.history_user for row in updates} == {bob}
    assert updates.get(name="lib-2").description == "New words. 2"
    event = InventoryEvent.objects.filter(kind=InventoryEvent.Kind.COMPONENT_UPDATED, component__name="lib-2").get()
    assert event.actor == bob
    assert event.payload == {"fields": ["description"], "values": {"description": "New words. 2"}}
    assert chains_verify()


def test_an_error_at_the_last_write_leaves_nothing_behind(alice, monkeypatch):
    ComponentFactory(kind="library", name="lib-0", version="1.0")  # matched, so updated on the way
    before = all_rows()
    from inventory.services import aibom

    def failing(model, rows, **kwargs):
        raise BomError("(import): the timeline could not be written")

    monkeypatch.setattr(aibom, "insert_rows", failing)  # the events are written last
    with pytest.raises(BomError, match="timeline could not be written"):
        services.aibom_import(actor=alice, bom=bom(5), system_slug="libs")
    assert all_rows() == before
    assert Component.objects.get(name="lib-0").description == ""
    assert chains_verify()


def test_an_import_runs_the_same_number_of_queries_whatever_its_size(alice):
    def queries(count, prefix):
        with CaptureQueriesContext(connection) as ctx:
            services.aibom_import(actor=alice, bom=bom(count, prefix=prefix), system_slug=prefix)
        return len(ctx.captured_queries)

    assert queries(10, "small") == queries(40, "large")
    assert Component.objects.count() == 50 and chains_verify()

    def reimport(count, prefix):
        with CaptureQueriesContext(connection) as ctx:
            services.aibom_import(actor=alice, bom=bom(count, prefix=prefix, description="Changed."),
                                  system_slug=prefix)
        return len(ctx.captured_queries)

    assert reimport(10, "small") == reimport(40, "large")


@pytest.mark.parametrize(("document", "message"), [
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a"},'
     b' {"type": "library", "name": "b\\u0000c"}]}',
     "Nothing imported: components[1].name: contains a NUL character"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a",'
     b' "description": "x\\u0000"}]}',
     "Nothing imported: components[0].description: contains a NUL character"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a",'
     b' "properties": ' + b"[" * 10_000 + b"]" * 10_000 + b"}]}",
     "Nothing imported: components[0].properties[0][0]"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": ' + b"7" * 5000 + b"}",
     "Nothing imported: version: the number is too large"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "library", '
     b'"name": "a", "hashes": [{"alg": "SHA-256", "content": ' + b"1" * 5000 + b'.5}]}]}',
     "Nothing imported: components[0].hashes[0].content: the number is too large"),
])
def test_bad_input_in_a_bom_file_is_one_line_naming_the_field_and_imports_nothing(alice, tmp_path, document,
                                                                                   message):
    path = tmp_path / "bad.cdx.json"
    path.write_bytes(document)
    before = all_rows()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_aibom", str(path), "--system", "bad", "--user", "alice", stdout=io.StringIO())
    assert str(excinfo.value).startswith(message) and "\n" not in str(excinfo.value)
    assert len(str(excinfo.value)) < 300 and excinfo.value.returncode != 0
    assert all_rows() == before


def test_a_nul_character_in_a_parsed_bom_is_refused_naming_the_field(alice):
    document = bom(2)
    document["components"][1]["description"] = "bad\x00text"
    before = all_rows()
    with pytest.raises(BomError, match=r"^components\[1\]\.description: Null characters are not allowed"):
        services.aibom_import(actor=alice, bom=document, system_slug="libs")
    assert all_rows() == before


def test_a_bom_given_as_a_binary_stream_imports_like_its_document(alice):
    result = services.aibom_import(actor=alice, bom=io.BytesIO(json.dumps(bom(3)).encode()), system_slug="libs")
    assert (result.components_created, result.links_created, result.dependencies_created) == (3, 3, 2)
