"""`manage.py import_affected_records`: a summary line on success; on bad input one line per bad row (the first
50, then a count), a non-zero exit and no traceback."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.tests.factories import open_incident
from remediation.models import AffectedRecord
from remediation.tests.factories import csv_file

pytestmark = pytest.mark.django_db


def _run(*args):
    call_command("import_affected_records", *map(str, args))


def test_the_command_imports_and_says_what_it_did(compliance, tmp_path, capsys):
    incident = open_incident(compliance)
    _run(incident.reference, csv_file(tmp_path, "a,decision,,,,,,", "a,decision,,,,,,"), "--user", compliance.username)
    out = capsys.readouterr().out
    assert (f"{incident.reference}: affected records added from records.csv: 2 rows read, 1 added, 1 duplicate "
            "skipped") in out
    assert AffectedRecord.objects.count() == 1


def test_bad_rows_give_one_line_each_up_to_fifty_then_a_count_and_a_non_zero_exit(compliance, tmp_path, capsys):
    incident = open_incident(compliance)
    path = csv_file(tmp_path, *(f"r-{n},loan,,,,,," for n in range(53)))
    with pytest.raises(CommandError, match="Nothing imported: 53 bad row"):
        _run(incident.reference, path, "--user", compliance.username)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "line 2: kind: 'loan' is not one of decision, account, transaction, person"
    assert len(err) == 51 and err[-1] == "... and 3 more bad rows"
    assert not AffectedRecord.objects.exists()


def test_bad_input_exits_non_zero_with_the_lines_and_no_traceback(compliance, tmp_path, capsys):
    from django.core.management import ManagementUtility

    incident = open_incident(compliance)
    path = csv_file(tmp_path, "r,loan,,,,,,", "ok,person,,,,9999-01-01T00:00:00Z,,")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_affected_records", incident.reference, str(path), "--user",
                           compliance.username]).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines()[:2] == [
        "line 2: kind: 'loan' is not one of decision, account, transaction, person",
        "line 3: occurred_at: must be between 1970-01-01 and 2200-12-31 (UTC); 9999-01-01T00:00:00+00:00 is not"]
    assert "CommandError: Nothing imported: 2 bad rows in records.csv" in err
    assert "Traceback" not in err


def test_a_missing_incident_or_file_is_one_clear_line(compliance, tmp_path):
    incident = open_incident(compliance)
    with pytest.raises(CommandError, match=r"^No incident AIIR-1900-0001\.$"):
        _run("AIIR-1900-0001", tmp_path / "records.csv", "--user", compliance.username)
    with pytest.raises(CommandError, match=r"^No such file: .*missing\.csv$"):
        _run(incident.reference, tmp_path / "missing.csv", "--user", compliance.username)


def test_skip_invalid_says_where_the_rejects_are(compliance, tmp_path, capsys):
    incident = open_incident(compliance)
    path = csv_file(tmp_path, "ok,decision,,,,,,", "bad,loan,,,,,,")
    _run(incident.reference, path, "--skip-invalid", "--rejects", tmp_path / "rej.csv", "--user", compliance.username)
    out = capsys.readouterr().out
    assert "1 invalid row skipped" in out and f"The invalid rows are in {tmp_path / 'rej.csv'}." in out


def test_every_bad_row_is_written_to_the_rejects_file_named_in_the_error(compliance, tmp_path, capsys):
    incident = open_incident(compliance)
    path = csv_file(tmp_path, *(f"r-{n},loan,,,,,," for n in range(60)))
    with pytest.raises(CommandError, match=f"60 bad row.* all of them in {tmp_path / 'records.rejects.csv'}"):
        _run(incident.reference, path, "--user", compliance.username)
    assert len((tmp_path / "records.rejects.csv").read_text(encoding="utf-8").splitlines()) == 61


def test_the_command_prints_how_far_it_got_unless_quiet(compliance, tmp_path, capsys, monkeypatch):
    from remediation.management.commands import import_affected_records
    from remediation.services.imports import staging

    monkeypatch.setattr(import_affected_records, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 2)
    incident = open_incident(compliance)
    path = csv_file(tmp_path, *(f"r-{n},decision,,,,,," for n in range(3)))
    _run(incident.reference, path, "--user", compliance.username)
    assert capsys.readouterr().out.splitlines()[:2] == [f"{incident.reference}: 2 of about 3 rows read",
                                                        f"{incident.reference}: 3 of about 3 rows read"]
    _run(open_incident(compliance).reference, path, "--user", compliance.username, "--verbosity", "0")
    assert "rows read," in capsys.readouterr().out.splitlines()[0]  # the summary only
