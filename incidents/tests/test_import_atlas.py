"""Refreshing MITRE ATLAS from the official ATLAS.yaml: the `atlas_import` service and the `import_atlas` command."""

import copy
import io
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents import services
from incidents.models import AtlasTactic, AtlasTechnique
from incidents.taxonomy_data import load_yaml
from incidents.tests.factories import open_incident

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SMALL = DATA / "atlas-small.yaml"
MALFORMED = DATA / "atlas-malformed.yaml"
SHARED_ATLAS = Path(settings.BASE_DIR).parent / "shared" / "reference" / "data" / "atlas" / "ATLAS.yaml"
IN_SMALL = {"AML.T0051", "AML.T0051.000", "AML.T0053", "AML.T0054", "AML.T9001", "AML.T9001.000"}


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


@pytest.fixture(autouse=True)
def _no_portal_user(monkeypatch):
    monkeypatch.delenv("PORTAL_USER", raising=False)


@pytest.fixture
def small():
    return load_yaml(SMALL.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shared_release():
    if not SHARED_ATLAS.exists():
        pytest.skip("the shared ATLAS.yaml is not available next to the project")
    return load_yaml(SHARED_ATLAS.read_text(encoding="utf-8"))


def atlas_state():
    """Everything an import may change, to compare before and after."""
    return (
        list(AtlasTactic.objects.values_list("id", "name", "order")),
        list(AtlasTechnique.objects.values_list("id", "name", "parent_id", "maturity", "retired")),
        sorted(AtlasTechnique.tactics.through.objects.values_list("atlastechnique_id", "atlastactic_id")),
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_atlas", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- the official release -------------------------------------------------------------------------------------

def test_importing_the_official_release_loads_every_tactic_and_technique_in_it(alice, shared_release):
    AtlasTechnique.objects.filter(pk="AML.T0051").update(name="Outdated name")
    summary = services.atlas_import(actor=alice, data=shared_release)

    matrix = shared_release["matrices"][0]
    assert list(AtlasTactic.objects.values_list("id", flat=True)) == [t["id"] for t in matrix["tactics"]]
    file_ids = {t["id"] for t in matrix["techniques"]}
    assert set(AtlasTechnique.objects.filter(retired=False).values_list("id", flat=True)) == file_ids
    assert AtlasTechnique.objects.count() == len(file_ids) == 170
    by_id = {t["id"]: t for t in matrix["techniques"]}
    for row in AtlasTechnique.objects.prefetch_related("tactics"):
        item = by_id[row.pk]
        assert (row.name, row.parent_id) == (item["name"], item.get("subtechnique-of"))
        assert {t.pk for t in row.tactics.all()} == set(item.get("tactics", []))
    assert summary.renamed == ["AML.T0051"] and summary.version == "5.6.0"
    assert len(summary.unchanged) == 169 and not summary.added and not summary.retired


def test_a_second_import_of_the_official_release_changes_nothing(alice, shared_release):
    services.atlas_import(actor=alice, data=shared_release)
    before = atlas_state()
    summary = services.atlas_import(actor=alice, data=shared_release)
    assert not summary.changed and len(summary.unchanged) == 170
    assert atlas_state() == before


# --- changes between releases (own fixture) -------------------------------------------------------------------

def test_an_import_adds_renames_relinks_and_retires(alice, small):
    total = AtlasTechnique.objects.count()
    summary = services.atlas_import(actor=alice, data=small)

    assert summary.renamed == ["AML.T0051"]
    assert AtlasTechnique.objects.get(pk="AML.T0051").name == "LLM Prompt Injection (renamed in the fixture)"
    assert summary.added == ["AML.T9001", "AML.T9001.000"]
    new = AtlasTechnique.objects.get(pk="AML.T9001.000")
    assert (new.parent_id, new.maturity, new.retired) == ("AML.T9001", "feasible", False)
    assert list(AtlasTechnique.objects.get(pk="AML.T9001").tactics.values_list("id", flat=True)) == ["AML.TA0099"]
    assert summary.tactics_added == ["AML.TA0099"]
    assert summary.updated == ["AML.T0054"]
    assert list(AtlasTechnique.objects.get(pk="AML.T0054").tactics.values_list("id", flat=True)) == ["AML.TA0007"]
    assert sorted(summary.unchanged) == ["AML.T0051.000", "AML.T0053"]
    assert len(summary.retired) == total - 4
    assert set(AtlasTechnique.objects.filter(retired=False).values_list("id", flat=True)) == IN_SMALL
    assert AtlasTechnique.objects.count() == total + 2  # nothing deleted
    tactics = list(AtlasTactic.objects.values_list("id", "order"))
    assert tactics[:4] == [("AML.TA0005", 1), ("AML.TA0012", 2), ("AML.TA0007", 3), ("AML.TA0099", 4)]
    # tactics missing from the file stay, after the current ones and in their previous order
    assert [t[0] for t in tactics[4:6]] == ["AML.TA0002", "AML.TA0003"] and len(tactics) == 17


def test_a_retired_technique_used_by_an_incident_stays_linked(alice, small, role_users):
    incident = open_incident(role_users["compliance officer"], atlas_techniques=["AML.T0057"])
    services.atlas_import(actor=alice, data=small)
    leakage = AtlasTechnique.objects.get(pk="AML.T0057")
    assert leakage.retired is True and leakage.name == "LLM Data Leakage"
    assert list(incident.atlas_techniques.values_list("id", flat=True)) == ["AML.T0057"]


def test_a_retired_technique_that_comes_back_is_restored(alice, small):
    services.atlas_import(actor=alice, data=small)
    returning = copy.deepcopy(small)
    returning["matrices"][0]["techniques"].append(
        {"id": "AML.T0057", "name": "LLM Data Leakage", "tactics": ["AML.TA0005"], "maturity": "demonstrated"})
    summary = services.atlas_import(actor=alice, data=returning)
    assert summary.restored == ["AML.T0057"] and not summary.retired
    row = AtlasTechnique.objects.get(pk="AML.T0057")
    assert row.retired is False and list(row.tactics.values_list("id", flat=True)) == ["AML.TA0005"]


def test_a_second_import_of_the_same_file_changes_nothing(alice, small):
    services.atlas_import(actor=alice, data=small)
    before = atlas_state()
    summary = services.atlas_import(actor=alice, data=small)
    assert not summary.changed and sorted(summary.unchanged) == sorted(IN_SMALL)
    assert atlas_state() == before


# --- malformed files are refused, nothing changes -------------------------------------------------------------

def _without(path: tuple):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_without(("version",)), "ATLAS.yaml: missing key 'version'"),
    (_without(("matrices",)), "ATLAS.yaml: missing key 'matrices'"),
    (_without(("matrices", 0, "techniques")), "matrices[0]: missing key 'techniques'"),
    (_without(("matrices", 0, "techniques", 0, "name")), "techniques[0] (AML.T0051): missing key 'name'"),
    (_without(("matrices", 0, "techniques", 5, "subtechnique-of")), "a sub-technique its parent"),
    (lambda d: d["matrices"][0]["techniques"][0].update(tactics=["AML.TA0077"]), "unknown tactic AML.TA0077"),
    (lambda d: d["matrices"][0]["techniques"][1].update({"subtechnique-of": "AML.T0999"}),
     "unknown technique AML.T0999"),
    (lambda d: d["matrices"][0]["techniques"].append(
        {"id": "AML.T0053", "name": "Again", "tactics": ["AML.TA0005"]}), "duplicate id AML.T0053"),
])
def test_a_malformed_release_is_refused_naming_what_is_wrong(alice, small, change, message):
    change(small)
    before = atlas_state()
    with pytest.raises(ValidationError) as excinfo:
        services.atlas_import(actor=alice, data=small)
    assert message in excinfo.value.message_dict["data"][0]
    assert atlas_state() == before


def test_a_release_that_is_not_a_mapping_is_refused(alice):
    with pytest.raises(ValidationError, match="expected a mapping, found list"):
        services.atlas_import(actor=alice, data=[{"id": "AML.T0051"}])


# --- the command ----------------------------------------------------------------------------------------------

def test_the_command_imports_and_prints_the_summary(alice, caplog):
    with caplog.at_level(logging.INFO, logger="incidents.services.taxonomy"):
        output = run(str(SMALL), "--user", "alice")
    assert output.startswith("ATLAS 9.9.0-test: 6 techniques: 2 added, 1 renamed, 1 updated, 0 restored, ")
    assert "2 unchanged" in output and "retired" in output
    assert "ATLAS import by alice" in caplog.text
    assert run(str(SMALL), "--user", "alice").splitlines()[-1].startswith("Nothing changed")


def test_the_command_takes_the_user_from_portal_user(alice, monkeypatch):
    monkeypatch.setenv("PORTAL_USER", "alice")
    assert "2 added" in run(str(SMALL))


def test_the_command_needs_an_acting_user():
    with pytest.raises(CommandError, match="--user USERNAME or the PORTAL_USER"):
        run(str(SMALL))


def test_the_command_refuses_a_malformed_file_and_changes_nothing(alice):
    before = atlas_state()
    with pytest.raises(CommandError) as excinfo:
        run(str(MALFORMED), "--user", "alice")
    assert str(excinfo.value).startswith("Nothing imported: ")
    assert "techniques[1] (AML.T9002): missing key 'name'" in str(excinfo.value)
    assert atlas_state() == before


def test_the_command_refuses_invalid_yaml_and_a_missing_file(alice, tmp_path):
    broken = tmp_path / "ATLAS.yaml"
    broken.write_text("matrices: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="is not valid YAML"):
        run(str(broken), "--user", "alice")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.yaml"), "--user", "alice")
