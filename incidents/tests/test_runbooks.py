"""Runbooks as data: one per incident class, loaded by migration 0003, copied onto an incident when it opens."""

import copy
from pathlib import Path

import pytest
from django.conf import settings

from incidents import taxonomy_data
from incidents.models import (
    AtlasTechnique,
    ChecklistItem,
    CsfCategory,
    IncidentClass,
    Phase,
    Runbook,
    RunbookStep,
    TimelineEvent,
)
from incidents.taxonomy_data import TaxonomyDataError, read_data
from incidents.tests.factories import open_incident

pytestmark = pytest.mark.django_db

SHARED_ATLAS = Path(settings.BASE_DIR).parent / "shared" / "reference" / "data" / "atlas" / "ATLAS.yaml"
PHASE_ORDER = list(Phase.values)


@pytest.fixture
def runbooks_file():
    return read_data("runbooks.yaml")


def sync(data):
    return taxonomy_data.runbooks_sync(data, runbook_model=Runbook, step_model=RunbookStep,
                                       category_model=CsfCategory, technique_model=AtlasTechnique)


def runbook_state():
    return (list(Runbook.objects.values_list("incident_class", "title", "version")),
            list(RunbookStep.objects.values_list("runbook__incident_class", "order", "phase", "title",
                                                 "csf_category_id", "atlas_technique_id")))


# --- the loaded runbooks --------------------------------------------------------------------------------------

def test_every_incident_class_has_a_runbook_with_six_to_twelve_numbered_steps():
    runbooks = {r.incident_class: r for r in Runbook.objects.prefetch_related("steps")}
    assert sorted(runbooks) == sorted(IncidentClass.values)
    for incident_class, runbook in runbooks.items():
        steps = list(runbook.steps.all())
        assert 6 <= len(steps) <= 12, incident_class
        assert [s.order for s in steps] == list(range(1, len(steps) + 1)), incident_class
        assert runbook.title and runbook.version == "1.0"
        assert all(s.title and s.guidance for s in steps), incident_class
        assert len({s.title for s in steps}) == len(steps), f"{incident_class}: repeated step title"


def test_every_runbook_walks_the_six_phases_in_lifecycle_order():
    for runbook in Runbook.objects.prefetch_related("steps"):
        phases = [s.phase for s in runbook.steps.all()]
        assert phases == sorted(phases, key=PHASE_ORDER.index), runbook.incident_class
        assert set(phases) == set(PHASE_ORDER), runbook.incident_class


def test_every_step_names_an_existing_csf_category_and_atlas_techniques_exist_and_are_current():
    steps = list(RunbookStep.objects.select_related("csf_category", "atlas_technique"))
    assert steps and all(s.csf_category is not None for s in steps)
    assert {s.csf_category.function_id for s in steps} >= {"DE", "RS", "RC", "ID"}
    techniques = [s.atlas_technique for s in steps if s.atlas_technique_id]
    assert len(techniques) >= 40
    assert not [t.pk for t in techniques if t.retired]


def test_runbook_atlas_techniques_exist_in_the_official_release(runbooks_file):
    if not SHARED_ATLAS.exists():
        pytest.skip("the shared ATLAS.yaml is not available next to the project")
    release = taxonomy_data.load_yaml(SHARED_ATLAS.read_text(encoding="utf-8"))
    official = {t["id"] for t in release["matrices"][0]["techniques"]}
    used = {step["atlas"] for spec in runbooks_file["runbooks"].values() for step in spec["steps"]
            if step.get("atlas")}
    assert used and used <= official, sorted(used - official)


def test_the_prompt_injection_runbook_covers_the_bypass_the_tool_credentials_and_a_regression_case():
    runbook = Runbook.objects.get(incident_class=IncidentClass.PROMPT_INJECTION)
    steps = {s.title: s for s in runbook.steps.all()}
    assert steps["Assess the scope of the bypass"].atlas_technique_id == "AML.T0051"
    revoke = steps["Revoke or disable the abused tool"]
    assert (revoke.phase, revoke.csf_category_id) == (Phase.CONTAIN, "RS.MI")
    assert {"Identify affected sessions and tool calls", "Update guardrail rules", "Rotate exposed credentials",
            "Review outputs for leaked data", "Add a regression case and update guardrail tests"} <= set(steps)
    assert steps["Add a regression case and update guardrail tests"].csf_category_id == "ID.IM"


# --- opening an incident copies its runbook -------------------------------------------------------------------

@pytest.mark.parametrize("incident_class", [IncidentClass.PROMPT_INJECTION, IncidentClass.MODEL_DRIFT,
                                            IncidentClass.OTHER])
def test_opening_an_incident_creates_its_checklist_in_order_with_phase_csf_and_atlas(role_users, incident_class):
    actor = role_users["compliance officer"]
    incident = open_incident(actor, incident_class=incident_class)
    runbook = Runbook.objects.get(incident_class=incident_class)
    fields = ("order", "phase", "title", "guidance", "csf_category_id", "atlas_technique_id")
    expected = [tuple(getattr(s, f) for f in fields) for s in runbook.steps.all()]
    items = list(incident.checklist.all())
    assert [tuple(getattr(i, f) for f in fields) for i in items] == expected
    assert {i.runbook_version for i in items} == {runbook.version}
    assert all(i.done_at is None and i.history.get().history_user == actor for i in items)
    opened = TimelineEvent.objects.get(incident=incident, kind=TimelineEvent.Kind.OPENED)
    assert opened.payload["checklist_steps"] == len(expected)


def test_a_changed_runbook_replaces_its_steps_and_leaves_existing_checklists_alone(role_users, runbooks_file):
    incident = open_incident(role_users["compliance officer"], incident_class=IncidentClass.JAILBREAK)
    before = list(incident.checklist.values_list("title", flat=True))
    changed = copy.deepcopy(runbooks_file)
    jailbreak = changed["runbooks"]["jailbreak"]
    jailbreak["version"] = "1.1"
    jailbreak["steps"].insert(1, {"phase": "triage", "csf": "RS.MA", "title": "Page the trust and safety lead"})

    assert sync(changed) == ["jailbreak"]
    runbook = Runbook.objects.get(incident_class=IncidentClass.JAILBREAK)
    assert runbook.version == "1.1"
    assert list(runbook.steps.values_list("order", "title"))[1] == (2, "Page the trust and safety lead")
    assert list(ChecklistItem.objects.filter(incident=incident).values_list("title", flat=True)) == before
    assert open_incident(role_users["compliance officer"], incident_class="jailbreak").checklist.count() == \
        len(before) + 1


# --- the loader refuses bad runbooks, naming the place --------------------------------------------------------

def _first_step(data):
    return data["runbooks"]["prompt_injection"]["steps"][0]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: _first_step(d).update(csf="RS.XX"), "runbooks.prompt_injection.steps[0].csf: 'RS.XX' is not a CSF"),
    (lambda d: _first_step(d).update(atlas="AML.T9999"), "steps[0].atlas: 'AML.T9999' is not an ATLAS technique"),
    (lambda d: _first_step(d).update(phase="panic"), "steps[0].phase: 'panic' is not one of"),
    (lambda d: _first_step(d).pop("title"), "steps[0]: missing key 'title'"),
    (lambda d: d["runbooks"]["prompt_injection"].update(version=1.1), "version: expected a quoted string"),
    (lambda d: d["runbooks"].update(ghost_class={"title": "x", "version": "1", "steps": []}),
     "runbooks.ghost_class: unknown incident class"),
])
def test_a_bad_runbook_is_refused_naming_the_place_and_nothing_changes(runbooks_file, change, message):
    _first_step(runbooks_file)["title"] = "Changed title that must not be saved"
    change(runbooks_file)
    before = runbook_state()
    with pytest.raises(TaxonomyDataError) as excinfo:
        sync(runbooks_file)
    assert message in str(excinfo.value)
    assert runbook_state() == before
