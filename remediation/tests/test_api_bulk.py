"""Bulk changes through the API: named records with their versions now, all or nothing (409 naming the stale ones,
400 naming the records whose state cannot move); every record a filter matches as seen at `as_of` as a job (202
with the job's status URL, whose progress and result the status shows to the ledger's workers only)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.tests.factories import open_incident
from portal.core.jobs.models import Job
from remediation.models import AffectedRecord
from remediation.states import State
from remediation.tests.api_helpers import LIST, field_errors
from remediation.tests.factories import affected_record

pytestmark = pytest.mark.django_db

BULK = f"{LIST}bulk/"




@pytest.fixture
def records(compliance, incident):
    return [affected_record(compliance, incident=incident, external_id=f"loan-{i}") for i in range(3)]


def _named(records, **versions):
    return [{"id": r.pk, "version": versions.get(r.external_id.replace("-", "_"), r.version)} for r in records]


def _states(records):
    return [AffectedRecord.objects.get(pk=r.pk).state for r in records]


def test_named_records_move_together_and_the_answer_gives_their_new_versions(client_for, records):
    response = client_for("responder").post(BULK, {"action": "move", "to": "under_re_review",
                                                   "records": _named(records), "note": "Model 3.2"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == 3 and body["records"] == [{"id": r.pk, "version": 2} for r in records]
    assert "3 affected records moved to under re-review" in body["summary"]
    assert _states(records) == [State.UNDER_RE_REVIEW] * 3


def test_one_stale_named_record_refuses_the_whole_change_with_409_naming_it(client_for, records):
    stale = client_for("compliance").post(BULK, {"action": "move", "to": "under_re_review",
                                                 "records": _named(records, loan_1=7)}, format="json")
    assert stale.status_code == 409
    assert "loan-1" in stale.json()["detail"] and "loan-0" not in stale.json()["detail"]
    assert _states(records) == [State.IDENTIFIED] * 3


def test_a_named_record_whose_state_cannot_move_there_refuses_the_whole_change(client_for, compliance, incident,
                                                                               records):
    closed = affected_record(compliance, incident=incident, external_id="done", state=State.CLOSED)
    response = client_for("compliance").post(BULK, {"action": "move", "to": "under_re_review",
                                                    "records": _named([*records, closed])}, format="json")
    assert field_errors(response) == {"to"}
    assert "done" in response.json()["to"][0]
    assert _states(records) == [State.IDENTIFIED] * 3


def test_named_records_go_into_a_reviewers_queue(client_for, records, role_users):
    responder = role_users["incident responder"]
    response = client_for("compliance").post(BULK, {"action": "assign", "reviewer": responder.pk,
                                                    "records": _named(records[:2])}, format="json")
    assert response.status_code == 200, response.content
    queue = client_for("responder").get(LIST + "?reviewer=me").json()["results"]
    assert [row["id"] for row in queue] == [r.pk for r in records[:2]]


def test_a_filtered_change_is_a_job_whose_status_shows_what_it_did(client_for, compliance, incident, records):
    other = affected_record(compliance, incident=open_incident(compliance), external_id="elsewhere")
    as_of = (timezone.now() + timedelta(seconds=1)).isoformat()
    response = client_for("compliance").post(BULK, {"action": "move", "to": "under_re_review", "as_of": as_of,
                                                    "filters": {"incident": incident.reference}}, format="json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["url"] and job["url"].endswith(f"{BULK}{job['id']}/")
    assert job["page"].endswith(f"/admin/core/job/{job['id']}/change/")
    status = client_for("compliance").get(job["url"]).json()
    assert status["state"] == "succeeded" and "3 affected records moved to under re-review" in status["summary"]
    assert status["progress_done"] == 3 and status["progress_unit"] == "records"
    assert _states(records) == [State.UNDER_RE_REVIEW] * 3 and _states([other]) == [State.IDENTIFIED]
    assert client_for("responder").get(job["url"]).status_code == 200  # the ledger's workers see the job
    for role in ("legal", "leadership", "auditor"):
        assert client_for(role).get(job["url"]).status_code == 403


def test_a_filtered_change_leaves_records_changed_after_as_of_alone(client_for, compliance, incident, records):
    as_of = timezone.now() - timedelta(minutes=1)
    AffectedRecord.objects.filter(pk=records[0].pk).update(state_changed_at=as_of - timedelta(minutes=5))
    response = client_for("compliance").post(BULK, {"action": "move", "to": "under_re_review",
                                                    "as_of": as_of.isoformat(),
                                                    "filters": {"incident": str(incident.pk)}}, format="json")
    status = client_for("compliance").get(response.json()["url"]).json()
    assert "1 affected record moved" in status["summary"] and "2 changed by someone else since" in status["summary"]


@pytest.mark.parametrize(("body", "named"), [
    ({"action": "move", "to": "lost", "records": [{"id": 1, "version": 1}]}, "to"),
    ({"action": "delete", "records": [{"id": 1, "version": 1}]}, "action"),
    ({"records": [{"id": 1, "version": 1}]}, "action"),
    ({"as_of": "9999-12-31T23:59:59Z"}, "action"),
    ({"action": "move", "to": "upheld", "records": [{"id": "x", "version": 1}]}, "records"),
    ({"action": "move", "to": "upheld", "records": [{"id": 2**70, "version": 1}]}, "records"),
    ({"action": "move", "to": "upheld", "records": []}, "records"),
    ({"action": "move", "to": "upheld", "records": [{"id": 999999, "version": 1}]}, "records"),
    ({"action": "move", "to": "upheld"}, "records"),
    ({"action": "move", "to": "upheld", "filters": {"state": "lost"}, "as_of": "2026-01-01T00:00:00+00:00"},
     "filters.state"),
    ({"action": "move", "to": "upheld", "filters": {"incident": "AIIR-1999-0001"},
      "as_of": "2026-01-01T00:00:00+00:00"}, "filters.incident"),
    ({"action": "move", "to": "upheld", "filters": {"colour": "red"}, "as_of": "2026-01-01T00:00:00+00:00"},
     "filters.colour"),
    ({"action": "move", "to": "upheld", "filters": {"system": 2**70}, "as_of": "2026-01-01T00:00:00+00:00"},
     "filters.system"),
    ({"action": "move", "to": "upheld", "filters": {}, "as_of": "yesterday"}, "as_of"),
    ({"action": "move", "to": "upheld", "filters": {}, "as_of": "2026-01-01T00:00:00"}, "as_of"),
    ({"action": "move", "to": "upheld", "filters": {}}, "as_of"),
    ({"action": "move", "to": "upheld", "filters": "state=upheld", "as_of": "2026-01-01T00:00:00+00:00"},
     "filters"),
    ({"action": "assign", "reviewer": 10**40, "records": [{"id": 1, "version": 1}]}, "reviewer"),
    ({"action": "move", "to": "upheld", "note": "a\x00", "records": [{"id": 1, "version": 1}]}, "note"),
    ({"action": "move", "to": "upheld", "records": [{"id": 1, "version": 1}], "colour": "red"}, "colour"),
])
def test_a_bad_bulk_change_is_a_400_naming_the_field_and_changes_nothing(client_for, records, body, named):
    response = client_for("compliance").post(BULK, body, format="json")
    field, _, key = named.partition(".")
    assert field in field_errors(response)
    if key:
        assert key in response.json()[field]
    assert _states(records) == [State.IDENTIFIED] * 3
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", ("legal", "leadership", "auditor"))
def test_the_reading_roles_cannot_change_records_in_bulk(client_for, records, role):
    response = client_for(role).post(BULK, {"action": "move", "to": "under_re_review", "records": _named(records)},
                                     format="json")
    assert response.status_code == 403
    assert _states(records) == [State.IDENTIFIED] * 3


def test_an_unknown_job_or_one_of_another_kind_is_a_404(client_for, compliance):
    from portal.core.jobs.services import job_start

    job, _ = job_start(actor=compliance, kind="core.audit_checkpoint")
    assert client_for("compliance").get(f"{BULK}{job.pk}/").status_code == 404
    assert client_for("compliance").get(f"{BULK}{2**70}/").status_code == 404
