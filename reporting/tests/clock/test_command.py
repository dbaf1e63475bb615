"""`manage.py regulatory_clock`: JSON out for a facts file or standard input; clear errors and a non-zero exit."""

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reporting.clock import reference_data_version
from reporting.management.commands.regulatory_clock import Command

DATA = Path(__file__).resolve().parent / "data"
OUTPUT_KEYS = {"key", "regime", "provision", "stage", "recipient", "jurisdiction", "clock_starts_at", "due_at", "rule",
               "regime_name", "stage_name", "verification", "uncertain", "note", "source", "depends_on"}


def clock_json(*args) -> list[dict]:
    out = io.StringIO()
    call_command("regulatory_clock", *args, stdout=out)
    return json.loads(out.getvalue())


def by_key(rows) -> dict:
    return {row["key"]: row for row in rows}


def test_a_facts_file_gives_a_json_array_of_obligations_per_member_state():
    rows = clock_json("--facts", str(DATA / "ai_act_provider_de_fr.json"))
    assert all(set(row) >= OUTPUT_KEYS for row in rows)
    found = by_key(rows)
    assert set(found) == {
        "eu_ai_act_73.initial@DE", "eu_ai_act_73.initial@FR", "eu_ai_act_73.complete@DE", "eu_ai_act_73.complete@FR",
        "gdpr.notification", "gdpr.data_subjects", "gdpr.record",
    }
    initial = found["eu_ai_act_73.initial@DE"]
    assert initial["due_at"] == "2027-03-04T10:00:00Z"  # death and widespread infringement: 2 days
    assert initial["clock_starts_at"] == "2027-03-02T10:00:00Z"
    assert initial["jurisdiction"] == "DE"
    assert initial["regime"] == "eu_ai_act_73"
    assert initial["stage"] == "initial"
    assert initial["verification"] == "primary"
    assert initial["uncertain"] is True
    assert initial["source"].startswith("https://eur-lex.europa.eu/")
    assert found["eu_ai_act_73.complete@DE"]["clock_starts_at"] == "2027-03-03T09:00:00Z"
    assert found["eu_ai_act_73.complete@DE"]["depends_on"] == "eu_ai_act_73.initial@DE"
    assert found["eu_ai_act_73.complete@FR"]["due_at"] is None
    assert found["gdpr.notification"]["due_at"] == "2027-03-05T10:00:00Z"
    assert [row["due_at"] for row in rows][-1] is None, "open-ended obligations come last"


def test_chained_clocks_and_business_days_from_a_facts_file():
    found = by_key(clock_json("--facts", str(DATA / "bank_nis2_dora.json")))
    expected = {
        "dora.initial": "2027-03-04T16:00:00Z",
        "nis2.early_warning": "2027-03-05T08:00:00Z",
        "nis2.notification": "2027-03-07T08:00:00Z",
        "dora.intermediate": "2027-03-07T15:00:00Z",  # Sunday: no relief for a credit institution
        "sec_8k.item_1_05": "2027-03-11T22:30:00Z",
        "nis2.final": "2027-04-06T10:00:00Z",
        "dora.final": None,
    }
    assert {key: found[key]["due_at"] for key in expected} == expected
    assert found["dora.final"]["rule"].startswith("waiting for dora.intermediate")


def test_facts_on_standard_input(monkeypatch):
    text = '{"aware_at": "2027-03-02T10:00:00Z", "covered_defense_information": true}'
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    rows = clock_json("--facts", "-")
    assert [(row["key"], row["due_at"]) for row in rows] == [("dfars_7012.report", "2027-03-05T10:00:00Z")]


def test_bank_holidays_are_passed_to_the_dora_relief(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"aware_at": "2027-03-08T06:00:00Z", "dora_financial_entity": True,
                                 "classified_major_at": "2027-03-08T07:00:00Z"}))
    plain = by_key(clock_json("--facts", str(facts)))["dora.initial"]
    holiday = by_key(clock_json("--facts", str(facts), "--bank-holiday", "2027-03-08",
                                "--bank-holiday", "2027-03-09"))["dora.initial"]
    assert plain["due_at"] == "2027-03-08T11:00:00Z"
    assert holiday["due_at"] == "2027-03-10T12:00:00Z"


def test_applies_from_can_be_overridden_on_the_command_line():
    rows = clock_json("--facts", str(DATA / "ai_act_provider_de_fr.json"), "--applies-from", "eu_ai_act_73=2027-12-02")
    assert not [row for row in rows if row["regime"] == "eu_ai_act_73"]


def test_reference_version_is_printed():
    out = io.StringIO()
    call_command("regulatory_clock", "--reference-version", stdout=out)
    assert out.getvalue().strip() == reference_data_version()
    assert re.fullmatch(r"\d{4}\.\d{2} \(sha256:[0-9a-f]{12}\)", out.getvalue().strip())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--facts", str(DATA / "malformed.json")], "aware_at: not an ISO 8601"),
        (["--facts", str(DATA / "malformed.json")], "nis2: unknown fact"),
        (["--facts", str(DATA / "malformed.json")], "risk_class: 'high_risk' is not one of"),
        (["--facts", str(DATA / "malformed.json")], "personal_data_breach: must be a JSON boolean"),
        (["--facts", str(DATA / "malformed.json")], "locations: 'Germany' is not an ISO 3166 code"),
        (["--facts", str(DATA / "broken.json")], "are not valid JSON"),
        (["--facts", str(DATA / "not_an_object.json")], "must be a JSON object, not list"),
        (["--facts", str(DATA / "missing.json")], "Cannot read the facts file"),
        ([], "--facts FILE"),
        (["--facts", str(DATA / "bank_nis2_dora.json"), "--bank-holiday", "8 March"], "--bank-holiday: '8 March'"),
        (["--facts", str(DATA / "bank_nis2_dora.json"), "--applies-from", "nis2"], "REGIME[.STAGE]=YYYY-MM-DD"),
        (["--facts", str(DATA / "bank_nis2_dora.json"), "--applies-from", "gdrp=2020-01-01"], "'gdrp' is not a regime"),
    ],
)
def test_bad_input_is_a_command_error_naming_what_is_wrong(args, message):
    with pytest.raises(CommandError) as caught:
        call_command("regulatory_clock", *args, stdout=io.StringIO())
    assert message in str(caught.value)


def test_malformed_facts_exit_non_zero_with_every_bad_key_on_stderr(capsys):
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["manage.py", "regulatory_clock", "--facts", str(DATA / "malformed.json")])
    assert caught.value.code != 0
    captured = capsys.readouterr()
    for key in ("aware_at", "nis2", "risk_class", "personal_data_breach", "locations"):
        assert f"  {key}: " in captured.err
    assert captured.out == ""
