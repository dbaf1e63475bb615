"""The import_aibom and export_aibom commands: the acting user, history saying "command", progress, errors."""

import io
import json
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory import cyclonedx, services
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent, SystemComponent
from inventory.tests.factories import AISystemFactory, ComponentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
RAG = str(DATA / "rag-assistant.cdx.json")


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


@pytest.fixture(autouse=True)
def _no_portal_user(monkeypatch):
    monkeypatch.delenv("PORTAL_USER", raising=False)


def inventory_counts() -> dict[str, int]:
    models = apps.get_app_config("inventory").get_models(include_auto_created=True)
    return {model._meta.label: model.objects.count() for model in models}


def run(*args, stdin: bytes | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------------------------

def test_import_command_names_the_user_and_the_command_in_history(alice):
    output = run("import_aibom", RAG, "--system", "rag-assistant", "--user", "alice")

    assert output.strip().startswith("Imported 11 components into rag-assistant (system created): 11 created")
    for model in (AISystem, Component, SystemComponent, ComponentDependency):
        rows = model.history.all()
        assert rows and {(row.history_user, row.history_source) for row in rows} == {(alice, "command")}
    event = InventoryEvent.objects.get(kind=InventoryEvent.Kind.AIBOM_IMPORTED)
    assert (event.actor, event.source) == (alice, "command")


def test_import_command_takes_the_user_from_portal_user(alice, monkeypatch):
    monkeypatch.setenv("PORTAL_USER", "alice")
    run("import_aibom", RAG, "--system", "rag-assistant")
    assert Component.history.filter(history_user=alice).count() == 11


def test_import_command_refuses_without_a_user():
    with pytest.raises(CommandError, match="Name the acting user with --user USERNAME or the PORTAL_USER"):
        run("import_aibom", RAG, "--system", "rag-assistant")
    assert not Component.objects.exists() and not AISystem.objects.exists()


@pytest.mark.parametrize(("username", "active"), [("bob", True), ("alice", False)])
def test_import_command_refuses_a_user_that_does_not_exist_or_is_inactive(alice, username, active):
    alice.is_active = active
    alice.save()
    with pytest.raises(CommandError, match=f"No active user named '{username}' \\(from --user\\)"):
        run("import_aibom", RAG, "--system", "rag-assistant", "--user", username)
    assert not Component.objects.exists()


def test_import_command_reads_standard_input(alice, monkeypatch):
    output = run("import_aibom", "-", "--system", "from-stdin", "--user", "alice",
                 stdin=Path(RAG).read_bytes(), monkeypatch=monkeypatch)
    assert "into from-stdin" in output and AISystem.objects.get(slug="from-stdin").system_components.count() == 7


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed.cdx.json", "Nothing imported: not JSON: line 5 column 42: Expecting ',' delimiter"),
        ("invalid-type.cdx.json", "Nothing imported: components[1].type: 'neural-network' is not one of"),
        ("dangling-dependency.cdx.json",
         "Nothing imported: dependencies[0].dependsOn[1] 'dataset-that-is-not-here' names no component"),
    ],
)
def test_a_bad_bom_fails_the_command_with_the_reason_and_imports_nothing(alice, name, message):
    AISystemFactory(slug="target")
    before = inventory_counts()
    with pytest.raises(CommandError) as excinfo:
        run("import_aibom", str(DATA / name), "--system", "target", "--user", "alice")
    assert str(excinfo.value).startswith(message) and excinfo.value.returncode != 0
    assert inventory_counts() == before


def test_a_missing_file_is_named(alice):
    with pytest.raises(CommandError, match=r"Cannot read no-such-file\.json: No such file or directory"):
        run("import_aibom", "no-such-file.json", "--system", "target", "--user", "alice")


def test_a_large_bom_imports_with_progress_lines(alice, tmp_path, monkeypatch):
    monkeypatch.setattr("inventory.services.aibom._BATCH", 50)  # components written per batch, then reported
    components = [{"type": "machine-learning-model" if i % 3 == 0 else "library", "bom-ref": f"c{i}",
                   "name": f"component-{i}", "version": "1.0"} for i in range(300)]
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components,
                "dependencies": [{"ref": f"c{i}", "dependsOn": [f"c{i + 1}"]} for i in range(0, 299, 2)]}
    path = tmp_path / "large.cdx.json"
    path.write_text(json.dumps(document))

    lines = run("import_aibom", str(path), "--system", "large", "--user", "alice").splitlines()

    progress = [line.strip() for line in lines if "%)" in line]
    assert progress == [f"{n}/300 components ({n // 30 * 10} %)" for n in range(50, 301, 50)]
    assert lines[-1].startswith("Imported 300 components into large (system created): 300 created")
    assert SystemComponent.objects.count() == 300 and ComponentDependency.objects.count() == 150


def test_a_small_bom_prints_only_the_summary(alice):
    lines = run("import_aibom", RAG, "--system", "rag-assistant", "--user", "alice").splitlines()
    assert len(lines) == 1


# --- export ---------------------------------------------------------------------------------------------------

@pytest.fixture
def system(alice):
    system = AISystemFactory(slug="chat", name="Chat")
    services.system_component_attach(actor=alice, system=system, component=ComponentFactory(license="MIT"))
    return system


def test_export_command_writes_valid_json_to_a_file(alice, system, tmp_path):
    path = tmp_path / "chat.cdx.json"
    output = run("export_aibom", "chat", "--output", str(path), "--user", "alice")
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "$schema": ') and text.endswith("}\n")
    cyclonedx.validate_bom(json.loads(text))
    assert "Wrote the AIBOM of chat (1 components)" in output
    event = InventoryEvent.objects.get(kind=InventoryEvent.Kind.AIBOM_EXPORTED)
    assert (event.actor, event.source) == (alice, "command")


def test_export_command_writes_only_the_bom_to_standard_output(alice, system):
    bom = json.loads(run("export_aibom", "chat", "--user", "alice"))
    assert bom["metadata"]["component"]["bom-ref"] == "chat" and len(bom["components"]) == 1


def test_export_command_names_an_unknown_slug(alice):
    with pytest.raises(CommandError, match="No AI system with slug 'nowhere'"):
        run("export_aibom", "nowhere", "--user", "alice")


def test_export_command_refuses_without_a_user(system, tmp_path):
    with pytest.raises(CommandError, match="Name the acting user"):
        run("export_aibom", "chat", "--output", str(tmp_path / "out.json"))
    assert not (tmp_path / "out.json").exists()
    assert not InventoryEvent.objects.filter(kind=InventoryEvent.Kind.AIBOM_EXPORTED).exists()
