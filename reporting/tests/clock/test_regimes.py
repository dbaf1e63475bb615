"""The regime files: every stage states its facts and sources, and a malformed file is refused by name."""

import re
import shutil
from datetime import date

import pytest

from reporting.clock import CONTENT_SOURCES, RegimeFileError, load_regimes, reference_data_version
from reporting.clock.regimes import REGIMES_DIR, UNITS, VERIFICATIONS, location_groups, regime_files

EXPECTED_REGIMES = {
    "eu_ai_act_73", "eu_ai_act_26_5", "eu_ai_act_55", "gdpr", "nis2", "dora", "sec_8k", "ca_sb53", "ny_raise",
    "dfars_7012", "hipaa", "nydfs_500_17", "uk_gdpr", "cn_cac", "cra", "co_sb24_205", "co_sb26_189",
}
STAGES = [(regime, stage) for regime in load_regimes() for stage in regime.stages]


def test_every_required_regime_ships_in_its_own_file():
    regimes = load_regimes()
    assert {r.code for r in regimes} >= EXPECTED_REGIMES
    assert len({r.file for r in regimes}) == len(regimes)
    assert all(r.file == f"{r.code}.yaml" for r in regimes)


@pytest.mark.parametrize(("regime", "stage"), STAGES, ids=[f"{r.code}.{s.code}" for r, s in STAGES])
def test_every_stage_states_provision_source_unit_clock_start_applies_from_and_verification(regime, stage):
    assert stage.provision.strip()
    assert stage.source.startswith("https://")
    assert stage.unit in UNITS
    assert stage.clock_start
    assert isinstance(stage.applies_from, date)
    assert stage.verification in VERIFICATIONS
    assert stage.rule.strip()
    assert stage.name.strip()
    assert stage.recipient.strip()
    assert stage.jurisdiction.strip()
    assert stage.content, "every stage lists its notification content"
    assert all(item.source in CONTENT_SOURCES for item in stage.content)
    if stage.uncertain or stage.verification != "primary":
        assert stage.note.strip(), "uncertain or secondary rules say why in a note"


@pytest.mark.parametrize(
    ("regime", "stage"),
    [("eu_ai_act_73", "initial"), ("ca_sb53", "report")],
)
def test_undefined_days_are_marked_uncertain_with_a_note(regime, stage):
    found = next(r for r in load_regimes() if r.code == regime).stage(stage)
    assert found.unit == "days"
    assert found.uncertain
    assert "calendar days" in found.note


def test_the_location_groups_hold_the_27_member_states_and_the_eea():
    groups = location_groups()
    assert len(groups["eu"]) == 27
    assert groups["eea"] == groups["eu"] | {"IS", "LI", "NO"}
    assert "GB" not in groups["eu"]


def test_reference_data_version_is_the_declared_version_and_a_digest():
    assert re.fullmatch(r"\d{4}\.\d{2} \(sha256:[0-9a-f]{12}\)", reference_data_version())


@pytest.fixture
def regime_dir(tmp_path):
    """A copy of the shipped regime files that a test may break."""
    target = tmp_path / "regimes"
    shutil.copytree(REGIMES_DIR, target)
    return target


def test_the_version_digest_changes_when_a_regime_file_changes(regime_dir):
    before = reference_data_version(regime_dir)
    path = regime_dir / "nis2.yaml"
    path.write_text(path.read_text() + "\n# edited\n")
    assert reference_data_version(regime_dir) != before
    assert reference_data_version(regime_dir).split()[0] == before.split()[0]


def test_a_copied_directory_loads_the_same_regimes(regime_dir):
    assert [r.code for r in load_regimes(regime_dir)] == [r.code for r in load_regimes()]
    assert [p.name for p in regime_files(regime_dir)] == [p.name for p in regime_files()]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    value: 24\n", "    value: 24h\n", "stages[0].value: a positive integer is required for unit hours"),
        ("    unit: hours\n    value: 24\n", "    unit: fortnights\n    value: 24\n", "stages[0].unit"),
        ("clock_start: submitted:notification", "clock_start: submitted:nope", "must name an earlier stage"),
        ("{fact: nis2_entity, is: true}", "{fact: nis2_entitty, is: true}", "when.all[0].is"),
        ("{locations_in: eu}", "{locations_in: europe}", "unknown location group 'europe'"),
        ("  verification: primary\n", "  verification: probably\n", "verification: 'probably'"),
        ("  source: https://eur-lex", "  source: http://eur-lex", "source URL (https://...)"),
        ("  applies_from: 2024-10-18\n", "  applies_from: soon\n", "is not a date"),
        ("source: incident.root_cause}", "source: incident.cause}", "is not one of incident.reference"),
        ("    name: Final report\n", "    name: Final report\n    colour: red\n", "unknown key(s) colour"),
        ("stages:\n", "stages: [\n", "is not valid YAML"),
    ],
)
def test_a_malformed_regime_file_is_refused_naming_the_file_and_the_place(regime_dir, old, new, message):
    path = regime_dir / "nis2.yaml"
    text = path.read_text()
    assert old in text, "the test edits a line that exists"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RegimeFileError) as caught:
        load_regimes(regime_dir)
    assert str(caught.value).startswith("nis2.yaml: ")
    assert message in str(caught.value)


def test_an_uncertain_stage_without_a_note_is_refused(regime_dir):
    path = regime_dir / "dfars_7012.yaml"
    text = path.read_text()
    start = text.index("    note: >-")
    end = text.index("    content:")
    path.write_text(text[:start] + "    uncertain: true\n" + text[end:])
    with pytest.raises(RegimeFileError, match=r"dfars_7012.yaml: stages\[0\].note: a stage that is uncertain"):
        load_regimes(regime_dir)


def test_a_duplicate_regime_code_is_refused(regime_dir):
    shutil.copy(regime_dir / "nis2.yaml", regime_dir / "nis2_copy.yaml")
    with pytest.raises(RegimeFileError, match=r"nis2_copy\.yaml: duplicate regime code 'nis2'"):
        load_regimes(regime_dir)


def test_a_missing_index_is_refused(regime_dir):
    (regime_dir / "index.yaml").unlink()
    with pytest.raises(RegimeFileError, match=r"index\.yaml: cannot be read"):
        load_regimes(regime_dir)


def test_the_norway_problem_is_caught_in_the_index(regime_dir):
    path = regime_dir / "index.yaml"
    path.write_text(path.read_text().replace('"NO"', "NO"))
    with pytest.raises(RegimeFileError, match=r"location_groups\.eea"):
        load_regimes(regime_dir)
