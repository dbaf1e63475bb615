"""Importing affected records: every row checked first, all or nothing unless --skip-invalid, duplicates skipped
and counted, one import record (with its history row) and one timeline event per import, no per-row history for
the imported rows."""

import hashlib
from datetime import UTC, datetime

import pytest

from incidents.models import TimelineEvent
from inventory.tests.factories import AISystemFactory, ComponentFactory
from portal.core import roles
from remediation.models import AffectedRecord, AffectedRecordImport
from remediation.services import affected_records_import
from remediation.services.imports import FileError
from remediation.states import State
from remediation.tests.factories import affected_record, csv_file, jsonl_file

pytestmark = pytest.mark.django_db



def _import(actor, incident, path, **options):
    return affected_records_import(actor=actor, incident=incident, path=path, **options)


def test_a_csv_file_is_imported_with_its_columns_in_state_identified(compliance, incident, tmp_path):
    system = AISystemFactory(actor=compliance, slug="credit-scorer")
    component = ComponentFactory(actor=compliance, name="scorer", version="2.1")
    path = csv_file(tmp_path, f"loan-1,decision,subj-9,de,email,2026-03-01T09:30:00+01:00,credit-scorer,{component.pk}",
                    "acct-2,account,,,,,,")
    result = _import(compliance, incident, path)
    assert (result.written, result.created, result.rows_read) == (True, 2, 2)
    loan = AffectedRecord.objects.get(external_id="loan-1")
    assert (loan.kind, loan.subject_ref, loan.jurisdiction, loan.contact_channel) == ("decision", "subj-9", "DE",
                                                                                      "email")
    assert loan.occurred_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert (loan.system, loan.component, loan.state, loan.state_changed_by) == (system, component, State.IDENTIFIED,
                                                                                compliance)
    assert loan.import_batch == result.record


def test_a_json_lines_file_is_imported(compliance, incident, tmp_path):
    path = jsonl_file(tmp_path, {"external_id": "tx-1", "kind": "transaction", "occurred_at": "2026-03-01T09:30:00Z"},
                      "", {"external_id": 42, "kind": "person", "contact_channel": "post"})
    result = _import(compliance, incident, path)
    assert result.created == 2
    assert set(incident.affected_records.values_list("external_id", flat=True)) == {"tx-1", "42"}
    assert result.record.format == "jsonl"


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named_with_its_line_and_column(compliance, incident,
                                                                                        tmp_path):
    path = csv_file(tmp_path, "ok-1,decision,,,,,,", ",decision,,,,,,", "ok-2,loan,,,,,,", "ok-3,person,,UK,fax,,,",
                    "ok-4,person,,,,2026-03-01T09:30:00,nope,999999")
    result = _import(compliance, incident, path)
    assert not result.written
    assert [str(e) for e in result.errors] == [
        "line 3: external_id: required",
        "line 4: kind: 'loan' is not one of decision, account, transaction, person",
        "line 5: jurisdiction: 'UK'; use GB (ISO 3166-1 has no UK); contact_channel: 'fax' is not one of email, "
        "post, phone, in_app, none",
        "line 6: occurred_at: '2026-03-01T09:30:00' has no time zone (add Z or an offset such as +01:00); "
        "system: no AI system with the slug 'nope'; component: no component with the id '999999'",
    ]
    assert not AffectedRecord.objects.exists()
    assert not AffectedRecordImport.objects.exists()
    assert not TimelineEvent.objects.filter(incident=incident, payload__has_key="affected_record_import").exists()


def test_a_year_9999_a_nul_and_an_overlong_id_are_bad_rows_not_crashes(compliance, incident, tmp_path):
    path = jsonl_file(tmp_path, {"external_id": "a", "kind": "person", "occurred_at": "9999-12-31T23:59:59-12:00"},
                      {"external_id": "b\u0000", "kind": "person"}, {"external_id": "x" * 201, "kind": "person"},
                      "{not json", "[1]", {"external_id": "c", "kind": "person", "colour": "red"})
    result = _import(compliance, incident, path)
    reasons = {e.line: e.reason for e in result.errors}
    assert reasons[1].startswith("occurred_at: must be between 1970-01-01 and 2200-12-31 (UTC)")
    assert reasons[2] == "external_id: NUL characters (\\u0000) are not allowed"
    assert reasons[3] == "external_id: at most 200 characters (201 given)"
    assert reasons[4].startswith("not valid JSON")
    assert reasons[5] == "each line must be a JSON object"
    assert reasons[6] == "unknown column(s) 'colour'"
    assert not AffectedRecord.objects.exists()


def test_a_nul_in_a_csv_row_is_a_bad_row(compliance, incident, tmp_path):
    path = csv_file(tmp_path, "a\x00b,person,,,,,,", "ok,person,,,,,,")
    result = _import(compliance, incident, path)
    assert [str(e) for e in result.errors] == ["line 2: external_id: NUL characters (\\u0000) are not allowed"]


def test_skip_invalid_writes_the_good_rows_and_a_rejects_file(compliance, incident, tmp_path):
    path = csv_file(tmp_path, "ok-1,decision,,,,,,", "bad,loan,,,,,,", "ok-2,account,,,,,,")
    result = _import(compliance, incident, path, skip_invalid=True)
    assert (result.created, result.record.invalid_rows) == (2, 1)
    assert result.rejects_path == tmp_path / "records.rejects.csv"
    lines = result.rejects_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("line,reason,external_id,kind")
    assert lines[1].startswith("3,\"kind: 'loan' is not one of")
    assert lines[1].endswith(",bad,loan,,,,,,")


def test_skip_invalid_writes_the_rejects_where_asked(compliance, incident, tmp_path):
    path = jsonl_file(tmp_path, "oops", {"external_id": "ok", "kind": "person"})
    result = _import(compliance, incident, path, skip_invalid=True, rejects_path=tmp_path / "bad.csv")
    assert result.created == 1
    assert "oops" in (tmp_path / "bad.csv").read_text(encoding="utf-8")


def test_duplicates_within_the_file_and_already_in_the_ledger_are_skipped_and_counted(compliance, incident,
                                                                                       tmp_path):
    affected_record(compliance, incident=incident, external_id="old")
    path = csv_file(tmp_path, "new,decision,,,,,,", "new,account,,,,,,", "old,decision,,,,,,", "new-2,person,,,,,,")
    result = _import(compliance, incident, path)
    assert (result.rows_read, result.created, result.duplicates_skipped) == (4, 2, 2)
    assert incident.affected_records.get(external_id="new").kind == "decision"  # the first occurrence wins
    again = _import(compliance, incident, path)
    assert (again.created, again.duplicates_skipped) == (0, 4)


def test_the_same_external_id_on_another_incident_is_not_a_duplicate(compliance, incident, tmp_path):
    affected_record(compliance, external_id="loan-1")
    assert _import(compliance, incident, csv_file(tmp_path, "loan-1,decision,,,,,,")).created == 1


def test_an_import_leaves_one_import_record_with_history_one_event_and_no_per_row_history(compliance, incident,
                                                                                         tmp_path):
    path = csv_file(tmp_path, *(f"r-{n},decision,,,,,," for n in range(30)))
    result = _import(compliance, incident, path)
    record = result.record
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (record.file_name, record.started_by, record.rows_read, record.created) == ("records.csv", compliance,
                                                                                       30, 30)
    assert [(h.history_type, h.history_user, h.created, h.sha256) for h in record.history.all()] == [
        ("+", compliance, 30, record.sha256)]
    assert AffectedRecord.history.count() == 0
    events = TimelineEvent.objects.filter(incident=incident, payload__affected_record_import=record.pk)
    assert [e.summary for e in events] == [
        "Affected records imported from records.csv: 30 added, 0 duplicates skipped, 0 invalid rows skipped"]


def test_a_later_move_of_an_imported_row_has_per_row_history(compliance, incident, tmp_path):
    from remediation.services import affected_record_move

    _import(compliance, incident, csv_file(tmp_path, "loan-1,decision,,,,,,"))
    row = incident.affected_records.get()
    affected_record_move(actor=compliance, record=row, to=State.UNDER_RE_REVIEW, expected_version=1)
    assert [(h.history_user, h.state) for h in row.history.all()] == [(compliance, State.UNDER_RE_REVIEW)]


def test_only_compliance_officers_and_responders_import(role_users, incident, tmp_path):
    from django.core.exceptions import ValidationError

    path = csv_file(tmp_path, "loan-1,decision,,,,,,")
    with pytest.raises(ValidationError, match="Only a compliance officer"):
        _import(role_users[roles.AUDITOR], incident, path)
    assert _import(role_users[roles.INCIDENT_RESPONDER], incident, path).created == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("records.txt", "external_id,kind\n", "Cannot tell the format of records.txt"),
    ("records.csv", "", "The file is empty"),
    ("records.csv", "external_id,colour\n", "line 1: unknown column(s) 'colour'"),
    ("records.csv", "subject_ref\n", "line 1: the header lacks the column(s) external_id, kind"),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(compliance, incident, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _import(compliance, incident, path)


def test_the_format_option_overrides_the_extension(compliance, incident, tmp_path):
    path = tmp_path / "records.txt"
    path.write_text('{"external_id": "a", "kind": "person"}\n', encoding="utf-8")
    assert _import(compliance, incident, path, fmt="jsonl").created == 1


def test_a_row_with_too_few_values_is_a_bad_row_and_a_non_utf8_file_is_refused(compliance, incident, tmp_path):
    result = _import(compliance, incident, csv_file(tmp_path, "a,decision", "b,person,,,,,,"))
    assert [str(e) for e in result.errors] == ["line 2: 2 values for 8 columns"]
    path = tmp_path / "latin.csv"
    path.write_bytes(b"external_id,kind\n\xe9,person\n")
    with pytest.raises(FileError, match="not UTF-8"):
        _import(compliance, incident, path)


def test_the_rejects_file_never_hands_a_spreadsheet_a_formula(compliance, incident, tmp_path):
    path = csv_file(tmp_path, '=HYPERLINK("http://evil.example"),loan,,,,,,', "ok,person,,,,,,")
    result = _import(compliance, incident, path, skip_invalid=True)
    rejects = result.rejects_path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in rejects and ",=HYPERLINK" not in rejects


def test_a_lone_surrogate_in_a_json_line_is_a_bad_row_written_escaped_to_the_rejects(compliance, incident, tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('{"external_id": "ok-1", "kind": "person"}\n{"external_id": "\\ud800x", "kind": "person"}\n',
                    encoding="utf-8")
    rejects = tmp_path / "rejects.csv"

    result = _import(compliance, incident, path, skip_invalid=True, rejects_path=rejects)

    assert (result.created, result.error_count) == (1, 1)
    assert "external_id: not valid Unicode text" in str(result.errors[0])
    assert "\\ud800x" in rejects.read_text(encoding="utf-8")


def test_a_csv_header_naming_a_column_twice_is_refused(compliance, incident, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("external_id,kind,kind\nloan-1,decision,person\n", encoding="utf-8")

    with pytest.raises(FileError, match="'kind' appear more than once"):
        _import(compliance, incident, path)

    assert not AffectedRecord.objects.exists() and not AffectedRecordImport.objects.exists()
