"""Approvals in the admin are bound to the version shown: the confirmation page of each action lists what is being
approved, returned or issued (never the privileged analysis), carries each record's version and offers Cancel; a
record changed in between is refused with a message naming who changed what and when, and nothing is written for
it, while the other selected records proceed. The same holds for submitting an obligation or marking it not
applicable from its page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import TimelineEvent
from incidents.tests.admin.helpers import messages_of, page_text
from portal.core import roles
from portal.core.display import moment_text
from reporting import services
from reporting.models import DisclosureDecision, Document, DocumentKind, Obligation
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

SECRET = "MEMO-PRIV: counsel doubts the encryption claim."
DECISIONS = reverse("admin:reporting_disclosuredecision_changelist")
OBLIGATIONS = reverse("admin:reporting_obligation_changelist")
INCIDENTS = reverse("admin:incidents_incident_changelist")


@pytest.fixture
def recent(compliance):
    aware = timezone.now().replace(microsecond=0) - timedelta(hours=60)
    return breach_incident(compliance, jurisdictions=("DE",), aware_at=aware, summary="Internal summary.")


def record_decision(compliance, incident, **fields):
    values = {"audience": "regulator", "decision": "disclose", "rationale": "Transcripts of 1,200 customers leaked.",
              "legal_basis": "GDPR Art. 33(1)", "shareable_summary": "Support transcripts were exposed.",
              "privileged_analysis": SECRET, **fields}
    return services.disclosure_record(actor=compliance, incident=incident, **values)


def confirmation(client, url, action, *records, **fields):
    """The confirmation page an action shows for `records` (the action chosen on the list, nothing applied)."""
    response = client.post(url, {"action": action, "_selected_action": [r.pk for r in records], **fields})
    assert response.status_code == 200, response.status_code
    return response


def confirm(client, url, page, submit, **fields):
    """Confirm the page as the browser would: the selected records and the versions the page carries."""
    records = page.context["records"]
    data = {"action": page.context["action"], "_selected_action": [r["obj"].pk for r in records], "apply": submit,
            **{f"version_{r['obj'].pk}": r["version"] for r in records}, **fields}
    return client.post(url, data, follow=True)


def written(incident, record):
    return record.history.count(), TimelineEvent.objects.filter(incident=incident).count()


def test_the_approval_page_shows_the_decision_with_a_cancel_link_and_never_the_privileged_analysis(
    client_as, compliance, recent
):
    decision = record_decision(compliance, recent)
    page = confirmation(client_as(roles.LEGAL_REVIEWER), DECISIONS + "?status__exact=proposed", "approve", decision)

    text = page_text(page)
    for shown in (recent.reference, recent.title, "Regulator", "Disclose", "Transcripts of 1,200 customers leaked.",
                  "GDPR Art. 33(1)", "Support transcripts were exposed.", "(version 1)"):
        assert shown in text, shown
    assert f'name="version_{decision.pk}" value="1"' in text
    assert f'<a href="{DECISIONS}?status__exact=proposed" class="button cancel-link">Cancel</a>' in text
    assert "MEMO-PRIV" not in text and "counsel doubts" not in text


@pytest.mark.parametrize(("action", "submit", "fields"), [("approve", "Approve", {"note": ""}),
                                                         ("return_to_compliance", "Return", {"note": "Be precise."})])
def test_a_decision_changed_after_the_page_was_shown_is_refused_naming_who_changed_what(
    client_as, compliance, recent, action, submit, fields
):
    decision = record_decision(compliance, recent)
    legal = client_as(roles.LEGAL_REVIEWER)
    page = confirmation(legal, DECISIONS, action, decision)  # shows version 1: "disclose"
    services.disclosure_update(actor=compliance, decision=decision,
                               changes={"decision": "do_not_disclose", "rationale": "Encrypted after all."})
    changed_at = decision.history.first().history_date
    before = written(recent, decision)

    response = confirm(legal, DECISIONS, page, submit, **fields)

    (message,) = messages_of(response)
    assert f"Disclosure decision {decision.pk} of {recent.reference} was changed by compliance at " \
           f"{moment_text(changed_at, seconds=True)} (" in message
    assert "decision" in message and "rationale" in message and "your copy is version 1" in message
    assert DisclosureDecision.objects.get(pk=decision.pk).status == "proposed"
    assert written(recent, decision) == before

    reloaded = confirmation(legal, DECISIONS, action, decision)  # the page now shows "do not disclose"
    assert "Do not disclose" in page_text(reloaded)
    confirm(legal, DECISIONS, reloaded, submit, **fields)
    assert DisclosureDecision.objects.get(pk=decision.pk).status == (
        "approved" if action == "approve" else "rejected")


def test_only_the_changed_decision_is_refused_and_the_others_are_approved(client_as, compliance, recent):
    changed = record_decision(compliance, recent)
    untouched = record_decision(compliance, recent, audience="affected_individuals", legal_basis="GDPR Art. 34")
    legal = client_as(roles.LEGAL_REVIEWER)
    page = confirmation(legal, DECISIONS, "approve", changed, untouched)
    services.disclosure_update(actor=compliance, decision=changed, shareable_summary="Less said.")

    messages = messages_of(confirm(legal, DECISIONS, page, "Approve", note=""))

    assert any(m.startswith("Approved: <a href=") and f"/{untouched.pk}/change/" in m for m in messages)
    assert any("was changed by compliance" in m and "shareable summary" in m for m in messages)
    assert DisclosureDecision.objects.get(pk=untouched.pk).status == "approved"
    assert DisclosureDecision.objects.get(pk=changed.pk).status == "proposed"


def test_an_approval_posted_without_the_versions_shown_approves_nothing(client_as, compliance, recent):
    decision = record_decision(compliance, recent)
    response = client_as(roles.LEGAL_REVIEWER).post(
        DECISIONS, {"action": "approve", "_selected_action": [decision.pk], "apply": "Approve", "note": ""},
        follow=True)
    (message,) = messages_of(response)
    assert "Give the version of" in message and "you read" in message and "version:" not in message
    assert DisclosureDecision.objects.get(pk=decision.pk).status == "proposed"


def test_a_notification_is_not_issued_from_an_obligation_changed_after_the_page_was_shown(client_as, compliance,
                                                                                         recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = confirmation(client, OBLIGATIONS, "issue_notification", obligation)
    text = page_text(page)
    for shown in (f"Regulatory notification v1, rendered from version {obligation.version} of the obligation",
                  obligation.regime_name, obligation.stage_name, moment_text(obligation.due_at), "Open"):
        assert shown in text, shown
    assert f'href="{OBLIGATIONS}" class="button cancel-link">Cancel</a>' in text
    services.obligation_content_update(actor=compliance, obligation=obligation, content={"consequences": "Phishing"},
                                       expected_version=obligation.version)
    before = written(recent, obligation)

    (message,) = messages_of(confirm(client, OBLIGATIONS, page, "Issue", reason=""))

    assert "was changed by compliance at" in message and "(content)" in message
    assert not Document.objects.exists() and written(recent, obligation) == before
    confirm(client, OBLIGATIONS, confirmation(client, OBLIGATIONS, "issue_notification", obligation), "Issue",
            reason="")
    assert Document.objects.get().render_context["content"]  # issued from the page reloaded


def test_a_post_incident_report_is_not_issued_from_an_incident_changed_after_the_page_was_shown(client_as,
                                                                                                compliance, recent):
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = confirmation(client, INCIDENTS, "issue_post_incident_report", recent)
    assert f"Post-incident report v1, rendered from version {recent.version} of the incident" in page_text(page)
    assert 'class="button cancel-link">Cancel</a>' in page_text(page)
    incident_services.incident_update(actor=compliance, incident=recent, title="Breach of support transcripts",
                                      expected_version=recent.version)

    (message,) = messages_of(confirm(client, INCIDENTS, page, "Issue", reason=""))

    assert f"{recent.reference} was changed by compliance at" in message and "(title)" in message
    assert not Document.objects.exists()


def test_a_disclosure_record_is_issued_from_the_version_shown(client_as, compliance, role_users, recent):
    decision = record_decision(compliance, recent)
    services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                expected_version=decision.version)
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = confirmation(client, DECISIONS, "issue_record", decision)
    text = page_text(page)
    assert "Disclosure-decision record v1, rendered from version 2 of the decision" in text
    assert "Support transcripts were exposed." in text and "MEMO-PRIV" not in text

    messages = messages_of(confirm(client, DECISIONS, page, "Issue", reason=""))

    document = Document.objects.get(kind=DocumentKind.DISCLOSURE_DECISION)
    download = reverse("admin:reporting_document_download", args=[document.pk])
    assert messages == [f'{document.title} v1 issued: <a href="{download}">Download the PDF</a>']
    assert document.disclosure == decision and document.version == 1


@pytest.mark.parametrize(("action", "submit", "fields"), [
    ("mark_submitted", "Mark submitted", {"authority_reference": "BfDI-2026-77"}),
    ("mark_not_applicable", "Mark not applicable", {"rationale": "Encrypted; keys safe."})])
def test_recording_on_an_obligation_changed_since_its_page_was_shown_is_refused_naming_who_changed_what(
    client_as, compliance, recent, action, submit, fields
):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    button = reverse("admin:reporting_obligation_object_action", args=[obligation.pk, action])
    page = client.post(button)
    services.obligation_content_update(actor=compliance, obligation=obligation, content={"consequences": "Phishing"},
                                       expected_version=obligation.version)
    before = written(recent, obligation)

    (message,) = messages_of(confirm(client, button, page, submit, **fields))

    assert "was changed by compliance at" in message and "(content)" in message
    assert Obligation.objects.get(pk=obligation.pk).status == "open"
    assert written(recent, obligation) == before
