"""The reference taxonomies loaded by migration 0003 from the files under incidents/data/, and the shared loader."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from incidents import taxonomy_data
from incidents.models import AtlasTactic, AtlasTechnique, CsfCategory, CsfFunction, OwaspRisk, Runbook, RunbookStep
from incidents.taxonomy_data import TaxonomyDataError, atlas_check, read_data

SHARED = Path(settings.BASE_DIR).parent / "shared" / "reference" / "data"


@pytest.fixture(scope="module")
def atlas_file():
    return read_data("atlas.json")


# --- the shipped files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["atlas.json", "owasp-llm-2025.json", "csf-2.0.json"])
def test_each_taxonomy_file_names_its_source_and_version(name):
    data = read_data(name)
    assert data["source"].strip() and data["version"].strip()


def test_the_atlas_file_is_well_formed_release_5_6_0(atlas_file):
    checked = atlas_check(atlas_file)
    assert checked["version"] == "5.6.0"
    assert len(checked["tactics"]) == 16 and len(checked["techniques"]) == 170


def test_our_atlas_file_matches_the_official_release_it_was_derived_from(atlas_file):
    path = SHARED / "atlas" / "ATLAS.yaml"
    if not path.exists():
        pytest.skip("the shared ATLAS.yaml is not available next to the project")
    official = taxonomy_data.atlas_from_release(taxonomy_data.load_yaml(path.read_text(encoding="utf-8")))
    ours = atlas_check(atlas_file)
    assert ours["version"] == official["version"]
    assert ours["tactics"] == official["tactics"]
    by_id = {t["id"]: t for t in official["techniques"]}
    assert [t["id"] for t in ours["techniques"]] == sorted(by_id)
    assert all(t == by_id[t["id"]] for t in ours["techniques"])


def test_our_owasp_and_csf_files_match_the_reference_facts():
    owasp, csf = SHARED / "owasp" / "owasp-llm-top10-2025.json", SHARED / "nist-csf" / "csf-2.0-core.json"
    if not (owasp.exists() and csf.exists()):
        pytest.skip("the shared OWASP and CSF reference files are not available next to the project")
    items = json.loads(owasp.read_text(encoding="utf-8"))["items"]
    assert [(r["id"], r["name"]) for r in read_data("owasp-llm-2025.json")["risks"]] == [
        (r["id"], r["name"]) for r in items]
    functions = json.loads(csf.read_text(encoding="utf-8"))["functions"]
    ours = read_data("csf-2.0.json")
    assert [(f["id"], f["name"]) for f in ours["functions"]] == [(f["id"], f["name"]) for f in functions]
    assert [(c["id"], c["name"], c["function"]) for c in ours["categories"]] == [
        (c["id"], c["name"], f["id"]) for f in functions for c in f["categories"]]


# --- what the migration loaded --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_migration_loaded_every_atlas_tactic_in_matrix_order(atlas_file):
    rows = list(AtlasTactic.objects.values_list("id", "name", "order"))
    assert rows == [(t["id"], t["name"], t["order"]) for t in atlas_file["tactics"]]
    assert rows[0][1:] == ("Reconnaissance", 1) and rows[-1][1:] == ("Impact", 16)


@pytest.mark.django_db
def test_the_migration_loaded_every_atlas_technique_with_parent_tactics_and_maturity(atlas_file):
    techniques = {t.pk: t for t in AtlasTechnique.objects.prefetch_related("tactics")}
    assert len(techniques) == len(atlas_file["techniques"])
    for item in atlas_file["techniques"]:
        row = techniques[item["id"]]
        assert (row.name, row.parent_id, row.maturity, row.retired) == (
            item["name"], item.get("parent"), item["maturity"], False)
        assert sorted(t.pk for t in row.tactics.all()) == sorted(item.get("tactics", []))
    injection = techniques["AML.T0051"]
    assert injection.name == "LLM Prompt Injection"
    assert [s.pk for s in injection.subtechniques.order_by("id")] == ["AML.T0051.000", "AML.T0051.001",
                                                                      "AML.T0051.002"]
    assert {t.pk for t in techniques["AML.T0054"].tactics.all()} == {"AML.TA0012", "AML.TA0007"}


@pytest.mark.django_db
def test_the_migration_loaded_the_ten_owasp_llm_risks_of_2025():
    rows = list(OwaspRisk.objects.values_list("id", "name", "edition"))
    assert [r[0] for r in rows] == [f"LLM{n:02d}:2025" for n in range(1, 11)]
    assert {r[2] for r in rows} == {"2025"}
    assert rows[0][1] == "Prompt Injection" and rows[9][1] == "Unbounded Consumption"


@pytest.mark.django_db
def test_the_migration_loaded_the_six_csf_functions_in_order_and_their_categories():
    assert list(CsfFunction.objects.values_list("id", "order")) == [
        ("GV", 1), ("ID", 2), ("PR", 3), ("DE", 4), ("RS", 5), ("RC", 6)]
    categories = read_data("csf-2.0.json")["categories"]
    assert CsfCategory.objects.count() == len(categories) == 22
    assert sorted(CsfCategory.objects.values_list("id", "function_id")) == sorted(
        (c["id"], c["function"]) for c in categories)
    assert CsfCategory.objects.get(pk="RS.MA").name == "Incident Management"
    assert list(CsfFunction.objects.get(pk="RC").categories.values_list("id", flat=True)) == ["RC.CO", "RC.RP"]


@pytest.mark.django_db
def test_loading_the_shipped_files_again_changes_nothing():
    summary = taxonomy_data.atlas_sync(read_data("atlas.json"), tactic_model=AtlasTactic,
                                       technique_model=AtlasTechnique)
    assert not summary.changed and len(summary.unchanged) == 170
    assert taxonomy_data.owasp_sync(read_data("owasp-llm-2025.json"), risk_model=OwaspRisk) == 0
    assert taxonomy_data.csf_sync(read_data("csf-2.0.json"), function_model=CsfFunction,
                                  category_model=CsfCategory) == 0
    assert taxonomy_data.runbooks_sync(read_data("runbooks.yaml"), runbook_model=Runbook, step_model=RunbookStep,
                                       category_model=CsfCategory, technique_model=AtlasTechnique) == []


# --- the loader refuses malformed data, naming the place ------------------------------------------------------

def _small_atlas(**technique):
    return {"version": "1", "tactics": [{"id": "AML.TA0005", "name": "Execution"}],
            "techniques": [{"id": "AML.T0051", "name": "LLM Prompt Injection", "tactics": ["AML.TA0005"]},
                           {"id": "AML.T0051.000", "name": "Direct", "parent": "AML.T0051", **technique}]}


@pytest.mark.parametrize(("change", "message"), [
    ({"parent": "AML.T0099"}, "techniques (AML.T0051.000).parent: unknown technique AML.T0099"),
    ({"tactics": ["AML.TA0042"]}, "techniques[1] (AML.T0051.000).tactics: unknown tactic AML.TA0042"),
    ({"name": ""}, "techniques[1] (AML.T0051.000).name: expected a non-empty string"),
    ({"id": "AML.T0051"}, "techniques: duplicate id AML.T0051"),
    ({"parent": None}, "a technique needs its tactics, a sub-technique its parent"),
    ({"id": "AML T0051.000"}, "contains whitespace"),
])
def test_the_atlas_loader_refuses_inconsistent_data_naming_the_place(change, message):
    with pytest.raises(TaxonomyDataError) as excinfo:
        atlas_check(_small_atlas(**change))
    assert message in str(excinfo.value)


def test_the_atlas_loader_refuses_a_missing_list():
    with pytest.raises(TaxonomyDataError, match="missing key 'techniques'"):
        atlas_check({"version": "1", "tactics": []})
