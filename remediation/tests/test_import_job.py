"""The import as a job (run inline in tests): progress in rows, a result naming the counts and linking the
incident's ledger, the rejects file offered when rows were skipped; bad rows without "skip" fail the job with the
first reasons in words and every bad row as a file; the upload is not kept once the job ends."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.core import roles
from portal.core.jobs.models import JobState
from remediation.models import AffectedRecord, AffectedRecordImport
from remediation.tasks import affected_records_import_start, ledger_url
from remediation.tests.factories import CSV_HEADER

pytestmark = pytest.mark.django_db



def _start(actor, incident, *lines, name="records.csv", **options):
    upload = SimpleUploadedFile(name, (CSV_HEADER + "".join(f"{line}\n" for line in lines)).encode())
    return affected_records_import_start(actor=actor, incident=incident, upload=upload, **options)


def _inputs(settings):
    folder = Path(settings.JOB_RESULT_DIR) / "inputs"
    return list(folder.iterdir()) if folder.exists() else []


def test_the_job_imports_with_its_progress_and_links_the_incidents_ledger(compliance, incident, settings):
    job, created = _start(compliance, incident, "a,decision,,,,,,", "a,person,,,,,,", "b,account,,,,,,")
    job.refresh_from_db()
    assert created and job.state == JobState.SUCCEEDED
    assert job.progress_text == "3 of 3 rows (100 %)"
    assert job.summary.startswith(f"Affected records added to {incident.reference} from records.csv: 3 rows read, "
                                  "2 added, 1 duplicate skipped, 0 invalid rows skipped; SHA-256 ")
    assert job.result_url == f"/admin/remediation/affectedrecord/?incident__id__exact={incident.pk}"
    assert job.result_url == ledger_url(incident.pk) and not job.result_file
    record = AffectedRecordImport.objects.get()
    assert (record.started_by, record.file_name, record.history.get().history_user) == (compliance, "records.csv",
                                                                                         compliance)
    assert not _inputs(settings)  # the upload is not kept once imported


def test_bad_rows_fail_the_job_in_words_with_every_bad_row_as_a_file(compliance, incident, client_as, settings):
    job, _ = _start(compliance, incident, *(f"r-{n},loan,,,,,," for n in range(7)), "ok,person,,,,,,")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error.startswith("Nothing imported: 7 bad rows in records.csv: line 2: kind: 'loan' is not one of "
                                "decision, account, transaction, person; line 3: kind:")
    assert "(and 2 more)" in job.error and "Traceback" not in job.error
    assert job.result_label == "The 7 bad rows (CSV)"
    assert not AffectedRecord.objects.exists() and not AffectedRecordImport.objects.exists()
    response = client_as(roles.COMPLIANCE_OFFICER).get(reverse("admin:core_job_result", args=[job.pk]))
    rejects = b"".join(response.streaming_content).decode().splitlines()
    assert response.status_code == 200 and len(rejects) == 8 and rejects[7].startswith("8,")
    assert not _inputs(settings)


def test_skip_invalid_writes_the_good_rows_and_offers_the_rejects(compliance, incident):
    job, _ = _start(compliance, incident, "ok,decision,,,,,,", "bad,loan,,,,,,", skip_invalid=True)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and "1 added" in job.summary and "The 1 bad row skipped is in" in job.summary
    assert job.result_file.endswith("records.rejects.csv") and job.result_label == "The 1 bad row skipped (CSV)"
    assert incident.affected_records.get().external_id == "ok"


def test_a_file_that_cannot_be_read_fails_the_job_in_one_line(compliance, incident):
    upload = SimpleUploadedFile("records.csv", b"external_id,colour\nx,red\n")
    job, _ = affected_records_import_start(actor=compliance, incident=incident, upload=upload)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == ("Nothing imported: line 1: unknown column(s) 'colour'; the columns are external_id, kind, "
                         "subject_ref, jurisdiction, contact_channel, occurred_at, system, component.")


def test_the_job_page_names_the_incident_and_the_file_and_links_the_ledger_for_the_ledger_workers(
        compliance, incident, client_as):
    job, _ = _start(compliance, incident, "a,decision,,,,,,")
    page = client_as(roles.INCIDENT_RESPONDER).get(reverse("admin:core_job_change", args=[job.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert incident.reference in text and "records.csv" in text and ledger_url(incident.pk) in text
    assert "1 of 1 rows" in text
    assert client_as(roles.AUDITOR).get(reverse("admin:core_job_change", args=[job.pk])).status_code == 403


def test_the_same_file_for_the_same_incident_while_its_job_is_queued_gives_that_job(compliance, incident, settings):
    settings.JOBS_EXECUTION = "thread"  # handed over on commit, which a test never reaches: the job stays queued
    first, created = _start(compliance, incident, "a,decision,,,,,,")
    again, created_again = _start(compliance, incident, "a,decision,,,,,,")
    other, created_other = _start(compliance, incident, "a,decision,,,,,,", skip_invalid=True)
    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk != other.pk
    assert len(_inputs(settings)) == 2  # the repeated upload is not kept
