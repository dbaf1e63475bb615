"""`manage.py regulatory_clock` with hostile facts: JSON nested 10,000 deep, numbers of 5,000 digits, dates in year
9999 or 0001 at +14:00 end with one error line naming the problem and a non-zero exit, never a traceback; the
clock still computes for an incident at the very end of the accepted range (2200-12-31)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reporting.management.commands.regulatory_clock import Command

DATA = Path(__file__).resolve().parent / "data"
RANGE = "between 1970-01-01 and 2200-12-31 (UTC)"


def facts_file(tmp_path, text: str) -> str:
    path = tmp_path / "facts.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refusal(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("regulatory_clock", *args, stdout=io.StringIO())
    return str(caught.value)


@pytest.mark.parametrize(("text", "words"), [
    ('{"aware_at": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested more than 64 levels deep"),
    ('{"aware_at": "2027-03-04T08:00:00Z", "individuals_affected": 1' + "0" * 5000 + "}",
     "a number has 5,001 digits; at most 100"),
    ('{"aware_at": "2027-03-04T08:00:00Z", "individuals_affected": 1e999}', "too large"),
    ('{"aware_at": "2027-03-04T08:00:00Z\\u0000"}', "NUL characters"),
])
def test_json_beyond_the_limits_ends_with_one_line_naming_the_problem(tmp_path, text, words):
    message = refusal("--facts", facts_file(tmp_path, text))
    assert words in message and "\n" not in message
    assert message.startswith("The facts in ") and "are not valid JSON" in message


@pytest.mark.parametrize(("key", "value"), [
    ("aware_at", "9999-12-31T23:59:59Z"),
    ("aware_at", "0001-01-01T00:00:00+14:00"),
    ("occurred_at", "0001-01-01T00:00:00+14:00"),
    ("classified_major_at", "9999-12-31T23:00:00-12:00"),
    ("materiality_determined_at", "1969-12-31T23:59:59Z"),
])
def test_a_date_outside_1970_to_2200_is_refused_naming_the_fact_and_the_range(tmp_path, key, value):
    facts = {**json.loads((DATA / "bank_nis2_dora.json").read_text()), key: value}
    message = refusal("--facts", facts_file(tmp_path, json.dumps(facts)))
    assert f"{key}: must be {RANGE}" in message


def test_a_submission_time_outside_the_range_is_refused_naming_the_obligation(tmp_path):
    facts = {"aware_at": "2027-03-04T08:00:00Z", "submitted": {"nis2.notification": "9999-01-01T00:00:00Z"}}
    assert f"submitted.nis2.notification: must be {RANGE}" in refusal("--facts", facts_file(tmp_path,
                                                                                          json.dumps(facts)))


@pytest.mark.parametrize("option", ["--bank-holiday=9999-12-31", "--applies-from=gdpr=0001-01-01"])
def test_a_date_option_outside_the_range_is_refused(tmp_path, option):
    message = refusal("--facts", str(DATA / "bank_nis2_dora.json"), option)
    assert RANGE in message and "\n" not in message


def test_every_clock_computes_for_an_incident_at_the_end_of_the_range(tmp_path):
    facts = {**json.loads((DATA / "bank_nis2_dora.json").read_text()), "aware_at": "2200-12-31T23:59:59Z",
             "classified_major_at": "2200-12-31T23:59:59Z", "materiality_determined_at": "2200-12-31T23:59:59Z",
             "submitted": {}}
    out = io.StringIO()
    call_command("regulatory_clock", "--facts", facts_file(tmp_path, json.dumps(facts)), stdout=out)
    rows = json.loads(out.getvalue())
    assert rows and {row["due_at"][:4] for row in rows if row["due_at"]} <= {"2201"}


def test_the_command_prints_one_error_line_and_exits_non_zero_instead_of_a_traceback(tmp_path, capsys):
    path = facts_file(tmp_path, "[" * 10_000 + "]" * 10_000)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "regulatory_clock", "--facts", path])
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert err.startswith("CommandError: The facts in") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
