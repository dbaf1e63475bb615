"""The AIBOM import page of the admin: the upload becomes a job whose page shows the progress in components and
links the system; a bad BOM fails in words with nothing written; only inventory writers may import."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import AISystem, Component
from portal.core import roles
from portal.core.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
PAGE = "admin:inventory_aisystem_import_aibom"


def _upload(client, name="rag-assistant.cdx.json", slug="support-rag", content=None):
    content = (DATA / name).read_bytes() if content is None else content
    return client.post(reverse(PAGE), {"system_slug": slug, "bom": SimpleUploadedFile(name, content)})


def test_an_uploaded_bom_is_imported_as_a_job_with_its_progress_and_a_link_to_the_system(client_as, job_dir):
    response = _upload(client_as(roles.COMPLIANCE_OFFICER))
    job = Job.objects.get(kind="inventory.aibom_import")
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_job_change", args=[job.pk])
    system = AISystem.objects.get(slug="support-rag")
    assert job.state == JobState.SUCCEEDED and job.progress_text == "11 of 11 components (100 %)"
    assert job.result_url == reverse("admin:inventory_aisystem_change", args=[system.pk])
    assert system.history.first().history_user == job.started_by
    page = client_as(roles.COMPLIANCE_OFFICER).get(response["Location"]).content.decode()
    assert job.result_url in page and "11 of 11 components" in page
    assert not list((job_dir / "inputs").iterdir())  # the upload is not kept once imported


def test_a_bad_bom_fails_in_words_and_writes_nothing(client_as):
    _upload(client_as(roles.COMPLIANCE_OFFICER), name="dangling-dependency.cdx.json")
    job = Job.objects.get()
    assert job.state == JobState.FAILED and job.error.startswith("Nothing imported:")
    assert "Traceback" not in job.error
    assert not AISystem.objects.filter(slug="support-rag").exists() and not Component.objects.exists()


def test_the_form_names_the_field_it_refuses(client_as):
    client = client_as(roles.COMPLIANCE_OFFICER)
    response = _upload(client, slug="not a slug")
    assert response.status_code == 200 and "slug" in response.content.decode().lower()
    empty = _upload(client, content=b"")
    assert "The submitted file is empty" in empty.content.decode() or "The file is empty" in empty.content.decode()
    assert not Job.objects.exists()


def test_only_inventory_writers_may_import(client_as):
    for role in (roles.INCIDENT_RESPONDER, roles.AUDITOR):
        assert client_as(role).get(reverse(PAGE)).status_code == 403
        assert _upload(client_as(role)).status_code == 403
    assert not Job.objects.exists()


@pytest.fixture
def job_dir(settings):
    return Path(settings.JOB_RESULT_DIR)
