"""Documents that can be handed over: every kind the portal issues, rendered from records written through the
services, keeps all its text inside the A4 page box and prints no raw value (None, True, False, a field or model
name as the code spells it); each says what its reader needs (issue: documents a regulator accepts)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.models import AtlasTechnique, OwaspRisk
from incidents.tests.factories import advance, signed_validation
from incidents.tests.ledger import import_records, move_to
from portal.core import roles
from portal.core.auditchain import checkpoints
from portal.tests.factories import make_role_users
from remediation.states import State
from reporting import services
from reporting.audit import bundle
from reporting.models import DocumentKind
from reporting.tests.factories import breach_incident
from reporting.tests.pdf.helpers import pdf_text
from reporting.tests.pdf.layout import raw_values, text_outside_page

pytestmark = pytest.mark.django_db

LONG_TOKEN = "tenant-" + "9f3c" * 30  # one word of 127 characters: it has to wrap inside its cell
LONG_URL = "https://support.example.com/tickets/export?" + "segment=" + "a" * 90


def _issue(actor, kind, **record):
    subject = next(iter(record.values()))
    document = services.document_issue(actor=actor, kind=kind, expected_version=subject.version, **record)
    with default_storage.open(document.file.name, "rb") as handle:
        return handle.read()


def _scene(tmp):
    users = make_role_users()
    compliance, legal = users[roles.COMPLIANCE_OFFICER], users[roles.LEGAL_REVIEWER]
    responder = users[roles.INCIDENT_RESPONDER]
    for user, name in ((compliance, ("Clara", "Compliance")), (legal, ("Leah", "Legal")),
                       (responder, ("Rafael", "Responder"))):
        user.first_name, user.last_name = name
        user.save()
    incident = breach_incident(
        compliance, title=f"Support transcripts exposed through the retrieval index of {LONG_TOKEN}",
        summary=f"A misconfigured retrieval index served other customers' transcripts ({LONG_URL}).",
        jurisdictions=("DE", "FR"), users_affected=1200, decisions_affected=0,
        exposure_started_at=timezone.now() - timedelta(days=120), scope="isolated")
    incident_services.incident_update(
        actor=compliance, incident=incident, atlas_techniques=list(AtlasTechnique.objects.order_by("pk")[:2]),
        owasp_risks=list(OwaspRisk.objects.order_by("pk")[:2]))
    incident.refresh_from_db()
    system = incident.systems.first()
    if system is None:
        from inventory.tests.factories import AISystemFactory

        system = AISystemFactory()
        incident_services.incident_update(actor=compliance, incident=incident, systems=[system])
    advance(incident, responder, Status.TRIAGED)
    incident_services.containment_record(
        actor=responder, incident=incident, kind="suspend_endpoint", target_system=system,
        override_reason="Night shift: the Accountable owner could not be reached.",
        outcome=f"Index {LONG_TOKEN} taken offline; queries answered from the previous index.")
    incident.refresh_from_db()
    advance(incident, responder, Status.RECOVERING)
    signed_validation(incident, engineering=responder, compliance=compliance)
    review = incident_services.review_record(
        actor=compliance, incident=incident, root_cause="A tenant filter was dropped in a refactor.",
        contributing_factors="No test covered cross-tenant retrieval.", what_worked="The DPO was reached in 20 min.",
        lessons="Test tenant isolation on every index change.", runbook_updated=True, regression_case_added=True)
    incident_services.action_item_add(actor=compliance, review=review, description="Add a cross-tenant retrieval test",
                                      owner=responder, due_on=timezone.now().date() + timedelta(days=14))

    late = incident.obligations.get(key="gdpr.notification")  # aware in September: the 72 hours are long past
    entered = {i["key"]: f"Entered for {i['label'].lower()}" for i in late.content_items if i["source"] == "entered"}
    entered["delay_reasons"] = "The breach was found in an audit of a closed quarter."
    services.obligation_content_update(actor=compliance, obligation=late, content=entered)
    late.refresh_from_db()

    fresh = breach_incident(compliance, title="Transcripts visible to another tenant for ten minutes",
                            aware_at=timezone.now() - timedelta(hours=2), jurisdictions=("IE",))
    on_time = fresh.obligations.get(key="gdpr.notification")

    decision = services.disclosure_record(
        actor=compliance, incident=incident, audience="affected_individuals", decision="disclose",
        rationale="Customers' transcripts were read by others; they are entitled to know.",
        legal_basis="GDPR Art. 34(1)", shareable_summary="Some support transcripts were visible to other customers.",
        privileged_analysis="Counsel's view of the exposure, never in a document.")
    decision = services.disclosure_approve(actor=legal, decision=decision, expected_version=decision.version,
                                           note="Approved: the notice may go out once the DPO has signed it.")
    # The remediation ledger lists the decisions the leak touched: 40, two of them closed; and three accounts.
    records = import_records(responder, incident, tmp, decision=40, account=3)
    move_to(responder, records[:2], State.CLOSED)
    incident.refresh_from_db()
    pdfs = {
        "late notification": _issue(compliance, DocumentKind.REGULATORY_NOTIFICATION, obligation=late),
        "on-time notification": _issue(compliance, DocumentKind.REGULATORY_NOTIFICATION, obligation=on_time),
        "decision record": _issue(compliance, DocumentKind.DISCLOSURE_DECISION, disclosure=decision),
        "post-incident report": _issue(compliance, DocumentKind.POST_INCIDENT_REPORT, incident=incident),
    }
    data = bundle.incident_bundle(incident, generated_by=legal, checkpoint=checkpoints.take(reason="layout test"))
    pdfs["audit bundle"] = bundle.bundle_pdf(data, incident)
    return SimpleNamespace(pdfs=pdfs, texts={name: pdf_text(pdf) for name, pdf in pdfs.items()},
                           incident=incident, late=late, on_time=on_time, bundle=data)


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker, tmp_path_factory, audit_signing_key_file):
    """Every kind of document, rendered once for the module from records written through the services (then
    rolled back)."""
    tmp = tmp_path_factory.mktemp("layout")
    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=tmp / "media", AUDIT_CHECKPOINT_DIR=str(tmp / "checkpoints"), PDF_RENDER_ISOLATION="inline",
            AUDIT_SIGNING_KEY_FILE=str(audit_signing_key_file)), transaction.atomic():
        scene = _scene(tmp)
        transaction.set_rollback(True)
    return scene


KINDS = ["late notification", "on-time notification", "decision record", "post-incident report", "audit bundle"]


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_of_a_document_lies_outside_the_page(documents, kind):
    assert text_outside_page(documents.pdfs[kind]) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_document_prints_no_raw_value_or_code_name(documents, kind):
    assert raw_values(documents.pdfs[kind]) == []


def test_a_notification_leads_with_whom_it_is_for_and_keeps_the_portals_facts_for_last(documents):
    text = documents.texts["on-time notification"]

    assert text.index("To ") < text.index("The notification") < text.index("About this document")
    assert text.index("From ") < text.index("Nature of the breach")
    assert text.index("How the rule was checked") > text.index("The notification")
    assert "Counted from Awareness" in text
    assert "Reasons for the delay" not in text  # inside the 72 hours: no delay to explain
    assert documents.incident.summary not in documents.texts["on-time notification"]


def test_a_late_notification_asks_for_the_reasons_for_the_delay_and_says_it_is_late(documents):
    text = documents.texts["late notification"]

    assert "Reasons for the delay" in text and "found in an audit of a closed quarter" in text
    assert "notified after the deadline" in text
    assert text.count("misconfigured retrieval index served") == 1  # the summary once, as the nature of the breach


def test_documents_write_moments_one_way_with_their_zone(documents):
    import re

    for kind, text in documents.texts.items():
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), kind  # no raw ISO 8601
        assert re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}"
                         r"(:\d{2})? UTC\b", text), kind


def test_the_decision_record_names_who_decided_who_approved_and_legals_note(documents):
    text = documents.texts["decision record"]

    assert "Decided by (compliance) Clara Compliance" in text
    assert "Approved by (legal) Leah Legal" in text
    assert "Approved: the notice may go out once the DPO has signed it." in text
    assert "Counsel's view" not in text


def test_the_post_incident_report_has_detection_blast_classification_validation_and_both_signoffs(documents):
    text = documents.texts["post-incident report"]
    atlas = AtlasTechnique.objects.order_by("pk").first()
    owasp = OwaspRisk.objects.order_by("pk").first()

    assert "Detected by" in text
    assert "Users affected 1,200" in text and "Scope Isolated" in text and "Exposure window" in text
    assert "MITRE ATLAS techniques" in text and atlas.name in text
    assert "OWASP Top 10 for LLM applications" in text and owasp.name in text
    assert "Functional tests Passed" in text
    assert "Engineering sign-off Rafael Responder" in text and "Compliance sign-off Clara Compliance" in text
    assert "Reviewed by Clara Compliance" in text


def test_the_post_incident_report_counts_from_the_remediation_ledger_and_gives_its_totals(documents):
    text = documents.texts["post-incident report"]

    assert "Decisions affected 40 (counted in the remediation ledger; replaces the hand-entered 0)" in text
    assert "Accounts affected 3 (counted in the remediation ledger)" in text
    assert "Users affected 1,200" in text  # the ledger lists no person: the hand-entered figure stands
    assert "Remediation of the affected records" in text
    assert "Records in the remediation ledger 43" in text and "Notified or closed 2 (4%)" in text
    assert "Identified 41" in text and "Closed 2" in text and "Redress offered 0" in text
    assert "Changes of single records 6: counted here" in text and "Affected decision" not in text


def test_the_audit_bundle_shows_whole_head_hashes_and_counts_every_chain(documents):
    text = documents.texts["audit bundle"]
    hashes = [head["head_hash"] for head in documents.bundle["chain"]["heads"] if head["head_hash"]]

    assert hashes and all(h in text.replace(" ", "") for h in hashes)  # whole, if broken over lines
    assert documents.bundle["checkpoint"]["signature_base64"] in text.replace(" ", "")
    assert "Counted with the record's rows above" in text  # a snapshot chain's rows, not "None"
    assert "HistoricalIncident" not in text
