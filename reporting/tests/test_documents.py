"""Issued PDF documents: required content, embedded JSON, byte-identical re-renders, versions that supersede and
never overwrite, and no half-issued document when rendering fails."""

import hashlib
import io
from datetime import timedelta

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from incidents import services as incident_services
from incidents.models import TimelineEvent
from portal.core import roles
from reporting import services
from reporting.models import Document, DocumentKind
from reporting.pdf import RenderError, extract_attachment
from reporting.services import documents as documents_module
from reporting.tests.factories import AWARE, breach_incident

pytestmark = pytest.mark.django_db
NOTIFICATION = DocumentKind.REGULATORY_NOTIFICATION


def _bytes(document) -> bytes:
    with default_storage.open(document.file.name, "rb") as handle:
        return handle.read()


def _text(document) -> str:
    reader = pypdf.PdfReader(io.BytesIO(_bytes(document)))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def gdpr(compliance):
    incident = breach_incident(compliance, summary="Support transcripts were exposed through the RAG index.")
    obligation = incident.obligations.get(key="gdpr.notification")
    entered = {i["key"]: f"Entered text for {i['key']}" for i in obligation.content_items if i["source"] == "entered"}
    services.obligation_content_update(actor=compliance, obligation=obligation, content=entered)
    obligation.refresh_from_db()
    return obligation


def test_a_gdpr_notification_contains_the_article_33_3_items_rule_and_reference_version(compliance, gdpr):
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                       expected_version=gdpr.version)
    text = _text(document)
    assert "Art. 33" in text
    assert gdpr.rule in text
    assert document.reference_data_version in text
    assert "does not replace" in text and "legal judgement" in text
    for item in gdpr.content_items:
        assert " ".join(item["label"].split()) in text, item["label"]
    assert "1,200" in text  # data subjects affected, from the incident
    assert hashlib.sha256(_bytes(document)).hexdigest() == document.sha256
    assert document.size == len(_bytes(document))


def test_the_embedded_json_is_the_notification_data(compliance, gdpr):
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                       expected_version=gdpr.version)
    data = extract_attachment(_bytes(document))
    assert data["obligation"]["key"] == gdpr.key
    assert data["document"]["version"] == 1
    assert data["incident"]["reference"] == gdpr.incident.reference
    assert {k: v for k, v in data.items() if k != "schema"} == document.render_context


def test_the_same_version_renders_to_the_same_bytes(compliance, gdpr):
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                       expected_version=gdpr.version)
    again = documents_module.render_document(document.render_context, document.template)
    assert again == _bytes(document)
    assert services.document_verify(document) == []


def test_a_second_issue_is_version_2_and_version_1_stays_intact(compliance, gdpr):
    first = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr, expected_version=gdpr.version)
    first_bytes = _bytes(first)
    with pytest.raises(ValidationError, match="corrects"):
        services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr, expected_version=gdpr.version)
    second = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                     correction_reason="Measures taken were incomplete.", expected_version=gdpr.version)
    first.refresh_from_db()
    assert (second.version, second.supersedes, first.superseded_by) == (2, first, second)
    assert _bytes(first) == first_bytes
    assert services.document_verify(first) == []
    assert "supersedes" in _text(second).lower()
    assert "Measures taken were incomplete." in _text(second)


def test_an_issued_document_is_immutable(compliance, gdpr):
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                       expected_version=gdpr.version)
    document.title = "Changed"
    with pytest.raises(ValidationError, match="immutable"):
        document.save()
    with pytest.raises(ValidationError):
        document.delete()


def test_issuing_leaves_history_and_a_timeline_event(compliance, gdpr):
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                       expected_version=gdpr.version)
    assert document.history.get().history_user == compliance
    event = gdpr.incident.timeline.filter(kind=TimelineEvent.Kind.DOCUMENT).get()
    assert event.payload["sha256"] == document.sha256


def test_a_render_failure_issues_nothing(compliance, gdpr, monkeypatch, settings):
    def broken(**kwargs):
        raise RenderError("The page limit (200 pages) was exceeded.")

    monkeypatch.setattr(documents_module, "render_pdf", broken)
    with pytest.raises(RenderError):
        services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr, expected_version=gdpr.version)
    assert not Document.objects.exists()
    assert not gdpr.incident.timeline.filter(kind=TimelineEvent.Kind.DOCUMENT).exists()
    media = settings.MEDIA_ROOT / "documents"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_failure_after_the_file_was_written_removes_the_file(compliance, gdpr, monkeypatch, settings):
    def refuse(*args, **kwargs):
        raise ValidationError("database said no")

    monkeypatch.setattr(documents_module, "save_tracked", refuse)
    with pytest.raises(ValidationError):
        services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr, expected_version=gdpr.version)
    media = settings.MEDIA_ROOT / "documents"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_only_a_compliance_officer_issues_documents(role_users, gdpr):
    with pytest.raises(ValidationError, match="compliance officer"):
        services.document_issue(actor=role_users[roles.LEGAL_REVIEWER], kind=NOTIFICATION, obligation=gdpr,
                                expected_version=gdpr.version)


def test_a_disclosure_record_needs_approval_and_leaves_out_the_privileged_analysis(compliance, role_users):
    incident = breach_incident(compliance)
    decision = services.disclosure_record(
        actor=compliance, incident=incident, audience="regulator", decision="do_not_disclose",
        rationale="Encrypted data, keys not exposed.", legal_basis="GDPR Art. 33(1)",
        privileged_analysis="PRIVILEGED-XYZ counsel memo")
    with pytest.raises(ValidationError, match="approved"):
        services.document_issue(actor=compliance, kind=DocumentKind.DISCLOSURE_DECISION, disclosure=decision,
                                expected_version=decision.version)
    services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                expected_version=decision.version)
    document = services.document_issue(actor=compliance, kind=DocumentKind.DISCLOSURE_DECISION, disclosure=decision,
                                       expected_version=decision.version)
    text = _text(document)
    assert "Encrypted data, keys not exposed." in text
    assert "33(5)" in text
    assert "PRIVILEGED-XYZ" not in text
    assert "PRIVILEGED-XYZ" not in str(extract_attachment(_bytes(document)))


def test_a_post_incident_report_has_the_review_metrics_and_filings(compliance, role_users):
    incident = breach_incident(compliance, occurred_at=AWARE - timedelta(hours=3))
    incident_services.review_record(actor=compliance, incident=incident, root_cause="Unfiltered retrieval index.",
                                    lessons="Filter PII before indexing.")
    document = services.document_issue(actor=compliance, kind=DocumentKind.POST_INCIDENT_REPORT, incident=incident,
                                       expected_version=incident.version)
    text = _text(document)
    for expected in ("Unfiltered retrieval index.", "Filter PII before indexing.", "3 h", incident.reference):
        assert expected in text


HOSTILE = ('<img src="file:///etc/passwd"> <img src="http://169.254.169.254/latest/meta-data/iam/"> '
           '<link rel="stylesheet" href="http://evil.example/x.css"> <style>@import url(file:///etc/shadow)</style>')


def test_hostile_user_text_in_an_issued_document_is_printed_not_fetched(compliance, monkeypatch):
    """End to end through `document_issue`: the recording fetcher sees only the project's stylesheet, and the
    markup in the incident's text appears as text."""
    from reporting import pdf

    fetchers = []

    class Recording(pdf.SafeURLFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            fetchers.append(self)

    real = documents_module.render_pdf
    monkeypatch.setattr(documents_module, "render_pdf", lambda **kw: real(**kw, fetcher=Recording()))
    incident = breach_incident(compliance, title=f"Leak {HOSTILE}"[:200], summary=HOSTILE)
    obligation = incident.obligations.get(key="gdpr.notification")
    document = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=obligation,
                                       expected_version=obligation.version)
    (fetcher,) = fetchers
    assert fetcher.requested and all(url.startswith(pdf.BASE_URL) for url in fetcher.requested)
    assert fetcher.served == fetcher.requested
    text = _text(document)
    assert "file:///etc/passwd" in text and "169.254.169.254" in text
    assert "root:x:0:0" not in text


def test_new_documents_use_layout_2_and_one_issued_with_layout_1_still_verifies(compliance, gdpr, monkeypatch):
    monkeypatch.setitem(documents_module.TEMPLATES, NOTIFICATION, "reporting/pdf/notification.html")
    earlier = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                      expected_version=gdpr.version)
    monkeypatch.undo()
    later = services.document_issue(actor=compliance, kind=NOTIFICATION, obligation=gdpr,
                                    correction_reason="Issued again in the new layout.", expected_version=gdpr.version)

    assert earlier.template == "reporting/pdf/notification.html"  # the frozen layout 1
    assert later.template == "reporting/pdf/v2/notification.html"
    assert services.document_verify(earlier) == [] and services.document_verify(later) == []
    assert later.render_context["document"]["reference"] == f"{gdpr.incident.reference}/notification-{gdpr.pk}/v2"
