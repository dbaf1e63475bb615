"""Issuing a regulatory notification from an obligation (201 with the document), its metadata and PDF download,
corrections as new versions that supersede the old one, and the read-only document list."""

import pytest

from reporting.models import Document, DocumentKind
from reporting.tests.api.conftest import (
    AUDITOR,
    COMPLIANCE,
    LEGAL,
    RESPONDER,
    document_url,
    errors,
    obligation_url,
    post,
)
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def issue(client, obligation, **data):
    obligation.refresh_from_db()
    return post(client, obligation_url(obligation, "issue/"), {"version": obligation.version, **data})


def test_issuing_creates_a_regulatory_notification_document(client_as, notification):
    response = issue(client_as(COMPLIANCE), notification)
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert (document.kind, document.obligation_id, document.version) == (
        DocumentKind.REGULATORY_NOTIFICATION, notification.pk, 1)
    assert body["sha256"] == document.sha256 and body["issued_by_username"] == "compliance"
    assert body["supersedes"] is None and body["superseded_by"] is None
    assert body["download_url"].endswith(document_url(document, "download/"))
    assert "ETag" not in response  # a document is not the obligation: no obligation version to name


def test_the_download_is_the_pdf_as_an_attachment(client_as, notification):
    document_id = issue(client_as(COMPLIANCE), notification).json()["id"]
    response = client_as(AUDITOR).get(document_url(document_id, "download/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_download_also_answers_a_client_that_accepts_only_pdf(client_as, notification):
    document_id = issue(client_as(COMPLIANCE), notification).json()["id"]
    response = client_as(AUDITOR).get(document_url(document_id, "download/"), headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_second_issue_needs_a_correction_reason_and_then_supersedes_version_1(client_as, notification):
    client = client_as(COMPLIANCE)
    first = issue(client, notification).json()

    assert errors(issue(client, notification)) == {"correction_reason"}

    response = issue(client, notification, correction_reason="Number of records corrected.")
    assert response.status_code == 201, response.content
    second = response.json()
    assert (second["version"], second["supersedes"]) == (2, first["id"])
    assert client.get(document_url(first["id"])).json()["superseded_by"] == second["id"]

    detail = client_as(AUDITOR).get(obligation_url(notification)).json()
    assert [d["version"] for d in detail["documents"]] == [2, 1]
    assert all(d["download_url"] for d in detail["documents"])


def test_issuing_with_a_stale_version_is_a_409_and_nothing_is_issued(client_as, compliance, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "issue/"),
                    {"version": notification.version + 1})
    assert response.status_code == 409
    assert not Document.objects.exists()


def test_issuing_without_a_version_is_a_428(client_as, notification):
    assert post(client_as(COMPLIANCE), obligation_url(notification, "issue/")).status_code == 428


@pytest.mark.parametrize("role", [RESPONDER, LEGAL, AUDITOR])
def test_only_a_role_that_may_add_documents_issues_them(client_as, notification, role):
    assert issue(client_as(role), notification).status_code == 403
    assert not Document.objects.exists()


def test_the_document_detail_carries_its_metadata(client_as, notification):
    document_id = issue(client_as(COMPLIANCE), notification).json()["id"]
    body = client_as(AUDITOR).get(document_url(document_id)).json()
    document = Document.objects.get(pk=document_id)
    assert body["incident"] == notification.incident.reference
    assert (body["sha256"], body["version"], body["issued_by"], body["reference_data_version"]) == (
        document.sha256, 1, document.issued_by_id, document.reference_data_version)
    assert body["issued_at"] and body["kind"] == "regulatory_notification" and body["size"] == document.size
    assert "render_context" not in body and "file" not in body


def test_the_document_list_filters_by_incident_reference_and_kind(client_as, compliance, notification):
    other = breach_incident(compliance, jurisdictions=("FR",)).obligations.get(key="gdpr.notification")
    client = client_as(COMPLIANCE)
    issue(client, notification)
    issue(client, other)
    auditor = client_as(AUDITOR)

    listed = auditor.get(document_url() + f"?incident={notification.incident.reference}").json()["results"]
    assert [d["obligation"] for d in listed] == [notification.pk]
    assert auditor.get(document_url() + "?kind=regulatory_notification").json()["count"] == 2
    assert auditor.get(document_url() + "?kind=post_incident_report").json()["count"] == 0
    assert errors(auditor.get(document_url() + "?kind=memo")) == {"kind"}


def test_documents_are_read_only_through_the_api(client_as, notification):
    document_id = issue(client_as(COMPLIANCE), notification).json()["id"]
    client = client_as("admin")
    assert post(client, document_url(), {"kind": "regulatory_notification"}).status_code == 405
    assert client.delete(document_url(document_id)).status_code == 405
    assert client.patch(document_url(document_id), {}, content_type="application/json").status_code == 405
