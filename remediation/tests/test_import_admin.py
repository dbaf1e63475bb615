"""The imports in the admin: the add page is an upload that starts the import job and leads to its page; the form
names what it refuses (no file, too large, a format it cannot read, an unknown incident); only compliance officers
and incident responders upload; every role reads the list of imports (constant queries), their pages and
history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.tests.factories import open_incident
from portal.core import roles
from portal.core.jobs.models import Job, JobState
from remediation.models import AffectedRecordImport
from remediation.services import affected_records_import
from remediation.tests.factories import CSV_HEADER, csv_file

pytestmark = pytest.mark.django_db

ADD = "admin:remediation_affectedrecordimport_add"
LIST = "admin:remediation_affectedrecordimport_changelist"
GOOD = (CSV_HEADER + "loan-1,decision,,DE,email,,,\n").encode()



def _post(client, incident, content=GOOD, name="records.csv", *, reference=None, **fields):
    data = {"incident": reference or incident.reference, "format": "auto", **fields}
    if content is not None:
        data["file"] = SimpleUploadedFile(name, content)
    return client.post(reverse(ADD), data)


def _errors(response):
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@pytest.mark.parametrize("role", [roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER])
def test_an_upload_starts_the_import_job_and_leads_to_its_page(client_as, incident, role):
    response = _post(client_as(role), incident)
    job = Job.objects.get(kind="remediation.affected_records_import")
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_job_change", args=[job.pk])
    assert job.state == JobState.SUCCEEDED and job.params["reference"] == incident.reference
    assert incident.affected_records.get().jurisdiction == "DE"


@pytest.mark.parametrize(("content", "name", "fields", "expected"), [
    (None, "records.csv", {}, {"file": ["This field is required."]}),
    (GOOD, "records.txt", {}, {"format": ["Cannot tell the format of records.txt from its extension (.csv, .jsonl "
                                          "or .ndjson): choose CSV or JSON Lines."]}),
    (b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n", "records.csv", {}, {
        "file": ["The file is not UTF-8 text: upload a CSV or JSON Lines file."]}),
    (b'{"external_id": "a", "kind": "person"}\n', "records.csv", {}, {
        "file": ["The first line is a JSON object, not a CSV header: choose JSON Lines."]}),
    (GOOD, "records.jsonl", {}, {"file": ["The first line is not a JSON object: is this a JSON Lines file?"]}),
    (GOOD, "records.csv", {"format": "xml"}, {
        "format": ["Select a valid choice. xml is not one of the available choices."]}),
    (GOOD, "records.csv", {"reference": "AIIR-1900-0001"}, {"incident": ["No incident AIIR-1900-0001."]}),
    (GOOD, "records.csv", {"reference": "AIIR\x00"}, {"incident": ["Null characters are not allowed."]}),
])
def test_the_form_names_the_field_it_refuses_and_starts_nothing(client_as, incident, content, name, fields,
                                                                expected):
    response = _post(client_as(roles.COMPLIANCE_OFFICER), incident, content, name, **fields)
    assert response.status_code == 200 and _errors(response) == expected
    assert not Job.objects.exists()


def test_a_file_over_the_limit_is_refused_by_the_form(client_as, incident, settings):
    settings.REMEDIATION_IMPORT_MAX_BYTES = 20
    response = _post(client_as(roles.COMPLIANCE_OFFICER), incident)
    assert _errors(response) == {"file": [f"The file is {len(GOOD)} bytes; the limit is 20 bytes "
                                          "(REMEDIATION_IMPORT_MAX_BYTES)."]}
    assert not Job.objects.exists()


def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(client_as, incident, settings):
    settings.REMEDIATION_IMPORT_MAX_BYTES = 20
    big = GOOD + b"x" * 70_000
    response = _post(client_as(roles.COMPLIANCE_OFFICER), incident, big)
    assert response.status_code == 200 and response.context["refusal"].startswith("The upload is 68.8 KB (70,")
    assert "the limit is 20 bytes (REMEDIATION_IMPORT_MAX_BYTES)." in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", [roles.LEGAL_REVIEWER, roles.LEADERSHIP, roles.AUDITOR])
def test_readers_may_not_upload_but_see_the_imports_their_pages_and_history(client_as, compliance, incident,
                                                                            tmp_path, role):
    record = affected_records_import(actor=compliance, incident=incident,
                                     path=csv_file(tmp_path, "a,decision,,,,,,")).record
    client = client_as(role)
    assert client.get(reverse(ADD)).status_code == 403
    assert _post(client, incident).status_code == 403 and not Job.objects.exists()
    listing = client.get(reverse(LIST)).content.decode()
    assert "records.csv" in listing and record.sha256[:12] in listing and incident.reference in listing
    page = client.get(reverse("admin:remediation_affectedrecordimport_change", args=[record.pk]))
    assert page.status_code == 200 and record.sha256 in page.content.decode()
    assert "Save" not in page.content.decode()
    history = client.get(reverse("admin:remediation_affectedrecordimport_history", args=[record.pk]))
    assert history.status_code == 200


def test_the_list_of_imports_runs_a_constant_number_of_queries(client_as, compliance, tmp_path):
    client = client_as(roles.AUDITOR)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(LIST)).status_code == 200
        return len(captured)

    def imports(count):
        for n in range(count):
            affected_records_import(actor=compliance, incident=open_incident(compliance),
                                    path=csv_file(tmp_path, f"r-{n},decision,,,,,,", name=f"f{n}.csv"))

    imports(1)
    one = queries()
    imports(4)
    assert AffectedRecordImport.objects.count() == 5 and queries() == one


def test_an_upload_with_nowhere_to_keep_the_file_is_refused_on_the_form(client_as, incident, settings):
    settings.JOB_RESULT_DIR = ""  # production without the variable set

    response = _post(client_as(roles.INCIDENT_RESPONDER), incident)

    assert response.status_code == 200
    assert _errors(response) == {"__all__": ["JOB_RESULT_DIR is not set: the portal has nowhere to keep the files "
                                             "of jobs."]}
    assert not Job.objects.exists() and not AffectedRecordImport.objects.exists()
