"""The audit bundle as a background job: started from the audit page, followed on the job page, its file kept and
served only to the audit roles and the starter."""

import io
import zipfile

import pytest
from django.urls import reverse

from portal.core import roles
from portal.core.jobs.models import Job, JobState
from reporting.audit import bundle
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(compliance):
    return breach_incident(compliance)


@pytest.fixture
def stand_in_pdf(monkeypatch):
    monkeypatch.setattr(bundle, "render_pdf", lambda **kwargs: b"%PDF-1.7 stand-in")  # the layout is not the point


def test_the_signed_bundle_is_made_as_a_job_and_served_to_the_audit_roles_only(client_as, incident, stand_in_pdf):
    url = reverse("audit:incident_bundle_job", args=[incident.reference])
    response = client_as(roles.AUDITOR).post(url, {"format": "zip"})
    job = Job.objects.get(kind="reporting.audit_bundle")
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_job_change", args=[job.pk])
    assert job.state == JobState.SUCCEEDED and job.progress_text == "3 of 3 steps (100 %)"
    assert job.result_label.endswith(".zip") and job.started_by.username == roles.AUDITOR
    page = client_as(roles.LEGAL_REVIEWER).get(response["Location"])
    assert page.status_code == 200 and job.result_label.encode() in page.content
    download = client_as(roles.LEGAL_REVIEWER).get(reverse("admin:core_job_result", args=[job.pk]))
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert any(name.endswith("SHA256SUMS.sig") for name in archive.namelist())
    for role in (roles.INCIDENT_RESPONDER, roles.LEADERSHIP):
        assert client_as(role).get(reverse("admin:core_job_result", args=[job.pk])).status_code == 403


def test_asking_twice_while_it_is_being_made_gives_the_same_job(settings, client_as, incident):
    settings.JOBS_EXECUTION = "thread"  # handed over on commit, which a test never reaches: it stays queued
    url = reverse("audit:incident_bundle_job", args=[incident.reference])
    first = client_as(roles.AUDITOR).post(url, {"format": "pdf"})
    second = client_as(roles.LEGAL_REVIEWER).post(url, {"format": "pdf"})
    assert first["Location"] == second["Location"]
    assert Job.objects.filter(kind="reporting.audit_bundle").count() == 1


def test_a_bundle_job_needs_an_audit_role_and_a_format(client_as, incident):
    url = reverse("audit:incident_bundle_job", args=[incident.reference])
    assert client_as(roles.INCIDENT_RESPONDER).post(url, {"format": "pdf"}).status_code == 403
    refused = client_as(roles.AUDITOR).post(url, {"format": "docx"})
    assert refused.status_code == 400 and b"format" in refused.content
    assert not Job.objects.exists()


def test_a_bundle_that_cannot_be_signed_fails_in_words(settings, tmp_path, client_as, incident):
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    client_as(roles.AUDITOR).post(reverse("audit:incident_bundle_job", args=[incident.reference]), {"format": "pdf"})
    job = Job.objects.get()
    assert job.state == JobState.FAILED and job.error.startswith("The audit bundle cannot be signed")
