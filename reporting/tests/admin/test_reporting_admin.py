"""The reporting admin: the deadline board, the obligation page, issuing and downloading documents, disclosure
approval by legal, regulatory facts, the incident's reporting section and the AIID export; per role."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.tests.admin.helpers import form_data, messages_of, page_text
from portal.core import roles
from reporting import services
from reporting.models import DisclosureDecision, Document, DocumentKind, Obligation
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def url(model, page, *args):
    return reverse(f"admin:reporting_{model}_{page}", args=args)


def versions_shown(confirmation) -> dict:
    """The hidden `version_<pk>` inputs of an action's confirmation page, as the browser posts them back."""
    return {f"version_{record['obj'].pk}": record["version"] for record in confirmation.context["records"]}


@pytest.fixture
def recent(compliance):
    """A breach in DE and GB made known 60 hours ago: GDPR and UK GDPR due in 12 hours."""
    aware = timezone.now().replace(microsecond=0) - timedelta(hours=60)
    return breach_incident(compliance, jurisdictions=("DE", "GB"), aware_at=aware)


@pytest.fixture
def old(compliance):
    """A breach made known four days ago: its 72-hour notifications are overdue."""
    aware = timezone.now().replace(microsecond=0) - timedelta(days=4)
    return breach_incident(compliance, jurisdictions=("FR",), aware_at=aware, title="Old breach")


def test_the_deadline_board_lists_open_obligations_soonest_first(client_as, recent, old):
    response = client_as(roles.LEADERSHIP).get(url("deadlineboardentry", "changelist"))
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    due = [o.due_at for o in shown if o.due_at]
    assert due == sorted(due) and shown[0].incident == old
    assert all(o.status == Obligation.Status.OPEN for o in shown)
    assert "overdue by" in page_text(response)


@pytest.mark.parametrize(("query", "expected"), [("overdue", "old"), ("24h", "recent")])
def test_the_deadline_board_filters_overdue_and_due_within_24_hours(client_as, recent, old, query, expected):
    response = client_as(roles.COMPLIANCE_OFFICER).get(url("deadlineboardentry", "changelist") + f"?due={query}")
    incidents = {o.incident for o in response.context["cl"].result_list}
    assert incidents == {{"old": old, "recent": recent}[expected]}


def object_action(model, obj, action):
    return reverse(f"admin:reporting_{model}_object_action", args=[obj.pk, action])


def test_a_compliance_officer_marks_an_obligation_submitted_from_its_page(client_as, compliance, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = client.get(url("obligation", "change", obligation.pk))
    button = object_action("obligation", obligation, "mark_submitted")
    assert f'action="{button}"' in page.content.decode()
    confirmation = client.post(button)
    assert "Record submissions to the authority" in page_text(confirmation)
    response = client.post(button, {"action": "mark_submitted", "_selected_action": [obligation.pk],
                                     "apply": "Mark submitted", "authority_reference": "BfDI-2026-77",
                                     "submitted_at": "", **versions_shown(confirmation)})
    assert response.status_code == 302 and response.url == url("obligation", "change", obligation.pk)
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.SUBMITTED
    assert obligation.authority_reference == "BfDI-2026-77"
    assert obligation.history.first().history_user == compliance
    (message,) = messages_of(response)
    assert message.startswith("Marked submitted: <a href=") and obligation.incident.reference in message


def test_not_applicable_without_a_rationale_comes_back_as_a_form_error(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    button = object_action("obligation", obligation, "mark_not_applicable")
    confirmation = client.post(button)
    response = client.post(button, {"action": "mark_not_applicable", "_selected_action": [obligation.pk],
                                     "apply": "Mark not applicable", "rationale": "  ",
                                     **versions_shown(confirmation)})
    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.OPEN


def test_read_only_roles_see_obligations_but_cannot_record(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    for role in (roles.LEGAL_REVIEWER, roles.LEADERSHIP, roles.AUDITOR, roles.INCIDENT_RESPONDER):
        client = client_as(role)
        page = client.get(url("obligation", "change", obligation.pk))
        assert page.status_code == 200
        assert "/do/" not in page.content.decode(), role  # no action button
        for action in ("mark_submitted", "mark_not_applicable", "issue_notification"):
            response = client.post(object_action("obligation", obligation, action), {
                "action": action, "_selected_action": [obligation.pk], "apply": "x", "rationale": "x",
                f"version_{obligation.pk}": obligation.version})
            assert response.status_code == 403, (role, action)
    assert Obligation.objects.get(pk=obligation.pk).status == Obligation.Status.OPEN


def test_issuing_a_notification_from_the_admin_and_downloading_it(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    changelist = url("obligation", "changelist")
    confirm = client.post(changelist, {"action": "issue_notification", "_selected_action": [obligation.pk]})
    assert confirm.status_code == 200 and "Issue regulatory notifications" in page_text(confirm)
    done = client.post(changelist, {"action": "issue_notification", "_selected_action": [obligation.pk],
                                    "apply": "Issue", "reason": "", **versions_shown(confirm)})
    assert done.status_code == 302
    document = Document.objects.get()
    assert document.obligation == obligation and document.version == 1
    download = client_as(roles.AUDITOR).get(url("document", "download", document.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client_as(None).get(url("document", "download", document.pk)).status_code == 302
    # The obligation's page links the issued version.
    page = client.get(url("obligation", "change", obligation.pk)).content.decode()
    assert f'<a href="{url("document", "download", document.pk)}">{document.title} v1</a>' in page
    # Issued again without a reason: refused per object, nothing new.
    client.post(changelist, {"action": "issue_notification", "_selected_action": [obligation.pk],
                             "apply": "Issue", "reason": "", **versions_shown(confirm)}, follow=True)
    assert Document.objects.count() == 1


def test_read_only_roles_cannot_issue_documents(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.LEGAL_REVIEWER)
    response = client.post(url("obligation", "changelist"), {"action": "issue_notification",
                                                             "_selected_action": [obligation.pk], "apply": "Issue"})
    assert response.status_code in (200, 302, 403)
    assert not Document.objects.exists()


def test_legal_approves_a_disclosure_decision_from_the_admin(client_as, compliance, role_users, recent):
    decision = services.disclosure_record(
        actor=compliance, incident=recent, audience="affected_individuals", decision="disclose",
        rationale="High risk to individuals.", legal_basis="GDPR Art. 34", privileged_analysis="MEMO-PRIV")
    changelist = url("disclosuredecision", "changelist")
    compliance_page = client_as(roles.COMPLIANCE_OFFICER).get(changelist)
    assert "approve" not in [a[0] for a in compliance_page.context["action_form"].fields["action"].choices]
    client = client_as(roles.LEGAL_REVIEWER)
    client.post(changelist, {"action": "approve", "_selected_action": [decision.pk], "apply": "Approve",
                             "note": "", f"version_{decision.pk}": decision.version})
    decision.refresh_from_db()
    assert decision.status == DisclosureDecision.Status.APPROVED
    assert decision.approved_by == role_users[roles.LEGAL_REVIEWER]


def test_the_privileged_analysis_is_hidden_from_leadership_and_auditors(client_as, compliance, recent):
    decision = services.disclosure_record(
        actor=compliance, incident=recent, audience="regulator", decision="disclose", rationale="Required.",
        legal_basis="GDPR Art. 33", privileged_analysis="MEMO-PRIV")
    for role, visible in ((roles.LEADERSHIP, False), (roles.AUDITOR, False), (roles.LEGAL_REVIEWER, True),
                          (roles.COMPLIANCE_OFFICER, True)):
        page = client_as(role).get(url("disclosuredecision", "change", decision.pk))
        assert page.status_code == 200
        assert ("MEMO-PRIV" in page.content.decode()) is visible, role


def test_recording_regulatory_facts_in_the_admin_recomputes_obligations(client_as, recent):
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = client.get(url("regulatoryfacts", "add") + f"?incident={recent.pk}")
    data = form_data(page)
    data.update({"incident": recent.pk, "nis2_entity": "on", "significant_incident": "on"})
    response = client.post(url("regulatoryfacts", "add"), data)
    assert response.status_code == 302, page_text(response)
    assert recent.obligations.filter(regime="nis2").count() >= 2


def test_the_incident_page_lists_obligations_documents_and_decisions(client_as, compliance, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION, obligation=obligation,
                            expected_version=obligation.version)
    page = client_as(roles.AUDITOR).get(reverse("admin:incidents_incident_change", args=[recent.pk]))
    text = page_text(page)
    assert obligation.stage_name in text and "Download PDF" in text
    assert "does not replace, legal judgement" in text


def test_issuing_a_post_incident_report_from_the_incident_list(client_as, recent):
    response = client_as(roles.COMPLIANCE_OFFICER).post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "issue_post_incident_report", "_selected_action": [recent.pk], "apply": "Issue", "reason": "",
         f"version_{recent.pk}": recent.version})
    assert response.status_code == 302
    assert Document.objects.filter(kind=DocumentKind.POST_INCIDENT_REPORT, incident=recent).exists()


def test_the_aiid_export_without_an_approved_disclosure_is_refused_naming_the_incident_and_what_is_missing(
    client_as, compliance, recent
):
    services.disclosure_record(actor=compliance, incident=recent, audience="aiid", decision="disclose",
                               rationale="Transparency.", legal_basis="Voluntary disclosure",
                               shareable_summary="Transcripts were exposed.")  # not approved yet
    response = client_as(roles.COMPLIANCE_OFFICER).post(
        reverse("admin:incidents_incident_changelist"), {"action": "export_aiid", "_selected_action": [recent.pk]},
        follow=True)
    assert response["Content-Type"].startswith("text/html")
    (message,) = messages_of(response)
    assert message.startswith(f"{recent.reference} is not exported: it has no approved decision to disclose to the "
                              "AI Incident Database or the public.")


def test_the_aiid_export_action_downloads_the_approved_shareable_summary(client_as, compliance, role_users):
    recent = breach_incident(compliance, summary="Internal summary of the breach.")
    decision = services.disclosure_record(
        actor=compliance, incident=recent, audience="aiid", decision="disclose", rationale="Transparency.",
        legal_basis="Voluntary disclosure", shareable_summary="Transcripts were exposed.", privileged_analysis="PRIV")
    services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                expected_version=decision.version)
    response = client_as(roles.COMPLIANCE_OFFICER).post(
        reverse("admin:incidents_incident_changelist"), {"action": "export_aiid", "_selected_action": [recent.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["submission"]["incident_reference"] == recent.reference
    assert body["description"] == "Transcripts were exposed."
    assert recent.summary not in response.content.decode() and "PRIV" not in response.content.decode()


@pytest.mark.parametrize("model", ["obligation", "deadlineboardentry"])
def test_an_uncertain_rule_is_shown_as_a_warning_not_a_tick(client_as, recent, model):
    recent.obligations.filter(key="gdpr.notification").update(uncertain=True)
    recent.obligations.exclude(key="gdpr.notification").update(uncertain=False)

    response = client_as(roles.COMPLIANCE_OFFICER).get(url(model, "changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Uncertain rule</span>") == 1 and 'class="flag-warning"' in html
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html
