"""The streamed import: the file read in chunks (hashed as it is read), every row staged with its line number in a
temporary table (COPY on PostgreSQL, batches on SQLite), then set-based SQL: unknown systems and components found
by joins and reported by line, duplicates skipped (the first good line wins), one INSERT ... SELECT, counts from
SQL. Memory stays bounded: only the first bad rows are kept, all of them go to the rejects file."""

import csv
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.tests.factories import open_incident
from inventory.tests.factories import AISystemFactory, ComponentFactory
from remediation.models import AffectedRecord, AffectedRecordImport
from remediation.services import affected_records_import
from remediation.services.imports import FileError, service, staging
from remediation.services.imports import rows as reading
from remediation.tests.factories import CSV_HEADER, affected_record, csv_file, jsonl_file

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the batched staging of SQLite")



def _import(actor, incident, path, **options):
    return affected_records_import(actor=actor, incident=incident, path=path, **options)


def _statements(actor, incident, path):
    with CaptureQueriesContext(connection) as queries:
        result = _import(actor, incident, path)
    return result, [query["sql"] for query in queries.captured_queries]


@postgres_only
def test_on_postgresql_the_rows_are_copied_into_a_staging_table_and_written_by_one_insert_select(
        compliance, incident, tmp_path):
    small, small_sql = _statements(compliance, incident, csv_file(tmp_path, "a,person,,,,,,", name="a.csv"))
    rows = [f"r-{n},decision,,DE,email,2026-03-01T09:30:00Z,," for n in range(300)]
    large, large_sql = _statements(compliance, open_incident(compliance), csv_file(tmp_path, *rows, name="b.csv"))
    assert (small.created, large.created) == (1, 300)
    assert len(small_sql) == len(large_sql)  # COPY takes the rows: no statement per row or per batch
    assert any(sql.startswith("CREATE TEMPORARY TABLE remediation_import_staging") and "ON COMMIT DROP" in sql
               for sql in large_sql)
    assert not any("INSERT INTO remediation_import_staging" in sql for sql in large_sql)
    inserts = [sql for sql in large_sql if sql.startswith('INSERT INTO "remediation_affectedrecord"')]
    assert len(inserts) == 1 and "SELECT" in inserts[0] and "ON CONFLICT" in inserts[0]


@sqlite_only
def test_on_sqlite_the_rows_are_staged_in_batches(compliance, incident, tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "BATCH", 4)
    path = csv_file(tmp_path, *(f"r-{n},decision,,,,,," for n in range(10)))
    result, statements = _statements(compliance, incident, path)
    assert result.created == 10
    assert sum("INSERT INTO remediation_import_staging" in sql for sql in statements) == 3  # 4 + 4 + 2 rows
    assert sum(sql.startswith('INSERT INTO "remediation_affectedrecord"') for sql in statements) == 1


def test_the_first_good_line_of_an_external_id_wins_and_repeats_are_counted(compliance, incident, tmp_path):
    affected_record(compliance, incident=incident, external_id="old")
    path = csv_file(tmp_path, "dup,loan,bad-line,,,,,", "dup,account,second,,,,,", "old,decision,,,,,,",
                    "dup,person,third,,,,,", "new,decision,,,,,,")
    result = _import(compliance, incident, path, skip_invalid=True)
    assert (result.rows_read, result.error_count, result.created, result.duplicates_skipped) == (5, 1, 2, 2)
    kept = incident.affected_records.get(external_id="dup")
    assert (kept.kind, kept.subject_ref) == ("account", "second")  # line 3: line 2 is bad, line 5 a repeat
    assert list(incident.affected_records.order_by("pk").values_list("external_id", flat=True)) == [
        "old", "dup", "new"]  # written in line order


def test_unknown_systems_and_components_are_found_by_line_with_the_rows_other_problems(compliance, incident,
                                                                                       tmp_path):
    AISystemFactory(actor=compliance, slug="credit-scorer")
    component = ComponentFactory(actor=compliance)
    path = csv_file(tmp_path,
                    f"a,decision,,,,,credit-scorer,{component.pk}",
                    "b,decision,,,,,fraud-screen,",
                    "c,loan,,,,,fraud-screen,",
                    f"d,decision,,,,,,{component.pk + 1000}",
                    "e,decision,,,,,credit-scorer,")
    result = _import(compliance, incident, path)
    assert [str(e) for e in result.errors] == [
        "line 3: system: no AI system with the slug 'fraud-screen'",
        "line 4: kind: 'loan' is not one of decision, account, transaction, person; "
        "system: no AI system with the slug 'fraud-screen'",
        f"line 5: component: no component with the id '{component.pk + 1000}'",
    ]
    assert not AffectedRecord.objects.exists()
    rejects = list(csv.reader(result.rejects_path.open(encoding="utf-8")))
    assert [row[:2] for row in rejects[1:]] == [[str(e.line), e.reason] for e in result.errors]
    assert rejects[2][2:5] == ["c", "loan", ""]  # the values as read


def test_skip_invalid_writes_only_the_rows_whose_system_and_component_exist(compliance, incident, tmp_path):
    system = AISystemFactory(actor=compliance, slug="credit-scorer")
    path = csv_file(tmp_path, "a,decision,,,,,credit-scorer,", "b,decision,,,,,nope,", "c,decision,,,,,,999999")
    result = _import(compliance, incident, path, skip_invalid=True)
    assert (result.created, result.record.invalid_rows) == (1, 2)
    assert incident.affected_records.get().system == system


def test_only_the_first_bad_rows_are_kept_in_memory_and_all_go_to_the_rejects_file(compliance, incident, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr(service, "KEPT_ERRORS", 3)
    path = csv_file(tmp_path, *(f"r-{n},loan,,,,,," for n in range(7)))
    result = _import(compliance, incident, path)
    assert (len(result.errors), result.error_count, result.written) == (3, 7, False)
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert len(result.rejects_path.read_text(encoding="utf-8").splitlines()) == 8  # the header and every bad row


def test_the_file_is_read_in_chunks_hashed_as_read_and_split_characters_and_line_ends_survive(
        compliance, incident, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "READ_BYTES", 5)
    path = tmp_path / "records.jsonl"
    path.write_bytes(b'{"external_id": "K\xc3\xb6ln-1", "kind": "person"}\r\n'
                     b'{"external_id": "\xe2\x82\xac-2", "kind": "person"}\r'
                     b'\r\n{"external_id": "x", "kind": "loan"}')
    result = _import(compliance, incident, path, skip_invalid=True)
    assert set(incident.affected_records.values_list("external_id", flat=True)) == {"Köln-1", "€-2"}
    assert [str(e) for e in result.errors] == [
        "line 4: kind: 'loan' is not one of decision, account, transaction, person"]
    assert result.record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_bytes_that_are_not_utf8_deep_in_the_file_refuse_it_naming_the_byte(compliance, incident, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(reading, "READ_BYTES", 16)
    path = tmp_path / "records.csv"
    body = (CSV_HEADER + "a,person,,,,,,\n").encode()
    path.write_bytes(body + b"b\xff,person,,,,,,\n")
    with pytest.raises(FileError, match=rf"^The file is not UTF-8 text \(invalid start byte at byte {len(body) + 1}\)"):
        _import(compliance, incident, path)
    assert not AffectedRecord.objects.exists() and not AffectedRecordImport.objects.exists()


def test_an_overlong_json_line_is_a_bad_row_and_an_overlong_csv_line_refuses_the_file(compliance, incident, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_CHARS", 90)
    path = jsonl_file(tmp_path, {"external_id": "a" * 100, "kind": "person"}, {"external_id": "b", "kind": "person"})
    result = _import(compliance, incident, path, skip_invalid=True)
    assert [str(e) for e in result.errors] == ["line 1: the line is longer than 90 characters"]
    assert result.created == 1
    with pytest.raises(FileError, match=r"^line 2: a line longer than 90 characters"):
        _import(compliance, incident, csv_file(tmp_path, "c" * 100 + ",person,,,,,,"))


def test_a_ragged_row_a_bad_json_line_and_an_unknown_key_are_bad_rows_with_one_line_each(compliance, incident,
                                                                                         tmp_path):
    result = _import(compliance, incident, csv_file(tmp_path, "a,person,,,,,,,extra", ",,,,,,,", "b,person,,,,,,"))
    assert [str(e) for e in result.errors] == ["line 2: 9 values for 8 columns"]  # an empty row is not a row
    result = _import(compliance, incident, jsonl_file(tmp_path, '{"external_id": "a",', {"id": 1}))
    assert [str(e).split(":")[0:2] for e in result.errors] == [["line 1", " not valid JSON"],
                                                               ["line 2", " unknown column(s) 'id'"]]


def test_progress_is_reported_in_rows_read(compliance, incident, tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "PROGRESS_EVERY", 2)
    calls = []
    path = csv_file(tmp_path, *(f"r-{n},decision,,,,,," for n in range(5)))
    _import(compliance, incident, path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_few_thousand_rows_with_repeats_are_counted_exactly(compliance, incident, tmp_path):
    rows = [f"r-{n % 2500},decision,subj-{n},DE,email,2026-03-01T09:30:00+01:00,," for n in range(3000)]
    result = _import(compliance, incident, csv_file(tmp_path, *rows))
    assert (result.rows_read, result.created, result.duplicates_skipped) == (3000, 2500, 500)
    assert incident.affected_records.get(external_id="r-7").subject_ref == "subj-7"
    assert AffectedRecord.objects.filter(import_batch=result.record).count() == 2500


def test_a_json_line_naming_a_column_twice_is_a_bad_row_with_its_line(compliance, tmp_path):
    from incidents.tests.factories import open_incident
    from remediation.services import affected_records_import
    from remediation.tests.factories import jsonl_file

    incident = open_incident(compliance)
    path = jsonl_file(tmp_path, {"external_id": "ok", "kind": "decision"},
                      '{"external_id": "J8", "kind": "decision", "external_id": "J9"}')
    result = affected_records_import(actor=compliance, incident=incident, path=path)
    assert not result.written
    assert [str(error) for error in result.errors] == ["line 2: the key 'external_id' appears twice in one object"]
