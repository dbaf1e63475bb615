"""Actions on the record's own page (portal.core.object_actions): legal approves a decision from its page, compliance
issues a notification from the obligation's page and gets a message linking the PDF, a document is verified from
its page; buttons appear only for who may act and when the action applies, and the version check holds."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.tests.admin.helpers import messages_of, page_text
from portal.core import roles
from reporting import services
from reporting.models import DisclosureDecision, Document
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def page_of(obj):
    return reverse(f"admin:reporting_{obj._meta.model_name}_change", args=[obj.pk])


def button(obj, action):
    return reverse(f"admin:reporting_{obj._meta.model_name}_object_action", args=[obj.pk, action])


def confirm(client, obj, action, submit, **fields):
    """Press the button on the object's page, then confirm its confirmation page with the version it showed."""
    confirmation = client.post(button(obj, action))
    assert confirmation.status_code == 200, confirmation.status_code
    versions = {f"version_{r['obj'].pk}": r["version"] for r in confirmation.context["records"]}
    return confirmation, client.post(button(obj, action), {
        "action": action, "_selected_action": [obj.pk], "apply": submit, **versions, **fields})


@pytest.fixture
def recent(compliance):
    aware = timezone.now().replace(microsecond=0) - timedelta(hours=60)
    return breach_incident(compliance, jurisdictions=("DE",), aware_at=aware)


@pytest.fixture
def decision(compliance, recent):
    return services.disclosure_record(actor=compliance, incident=recent, audience="regulator", decision="disclose",
                                      rationale="Transcripts of 1,200 customers leaked.",
                                      legal_basis="GDPR Art. 33(1)", shareable_summary="Transcripts were exposed.")


def test_legal_approves_a_decision_from_its_page_and_returns_to_it_with_a_linked_message(
    client_as, role_users, decision
):
    legal = client_as(roles.LEGAL_REVIEWER)
    page = page_text(legal.get(page_of(decision)))
    assert f'action="{button(decision, "approve")}"' in page
    assert f'action="{button(decision, "return_to_compliance")}"' in page
    assert button(decision, "issue_record") not in page  # not approved yet, and legal issues nothing

    confirmation, response = confirm(legal, decision, "approve", "Approve", note="Consistent with Art. 33.")

    assert f'href="{page_of(decision)}" class="button cancel-link">Cancel</a>' in page_text(confirmation)
    assert response.status_code == 302 and response.url == page_of(decision)
    decision.refresh_from_db()
    assert decision.status == DisclosureDecision.Status.APPROVED
    assert decision.approved_by == role_users[roles.LEGAL_REVIEWER]
    assert decision.review_note == "Consistent with Art. 33."
    assert messages_of(response) == [f'Approved: <a href="{page_of(decision)}">{decision}</a>.']
    # Approved: no approve or return button any more.
    assert "/do/" not in page_text(legal.get(page_of(decision)))


def test_compliance_sees_no_approval_button_and_a_decision_changed_since_the_page_is_refused(
    client_as, compliance, decision
):
    assert "/do/approve/" not in page_text(client_as(roles.COMPLIANCE_OFFICER).get(page_of(decision)))
    legal = client_as(roles.LEGAL_REVIEWER)
    confirmation = legal.post(button(decision, "approve"))
    services.disclosure_update(actor=compliance, decision=decision, expected_version=decision.version,
                               changes={"shareable_summary": "Less said."})

    response = legal.post(button(decision, "approve"), {
        "action": "approve", "_selected_action": [decision.pk], "apply": "Approve", "note": "",
        f"version_{decision.pk}": confirmation.context["records"][0]["version"]}, follow=True)

    (message,) = messages_of(response)
    assert "was changed by compliance" in message and "shareable summary" in message
    assert DisclosureDecision.objects.get(pk=decision.pk).status == DisclosureDecision.Status.PROPOSED


def test_a_button_refuses_who_may_not_act_and_a_get_changes_nothing(client_as, decision):
    responder = client_as(roles.INCIDENT_RESPONDER)
    assert responder.post(button(decision, "approve"), {
        "action": "approve", "_selected_action": [decision.pk], "apply": "Approve",
        f"version_{decision.pk}": decision.version}).status_code == 403
    legal = client_as(roles.LEGAL_REVIEWER)
    response = legal.get(button(decision, "approve"))
    assert response.status_code == 302 and response.url == page_of(decision)
    assert legal.post(button(decision, "delete_selected")).status_code == 403  # not offered as a button
    assert DisclosureDecision.objects.get(pk=decision.pk).status == DisclosureDecision.Status.PROPOSED


def test_compliance_issues_the_notification_from_the_obligations_page_and_the_message_links_the_pdf(
    client_as, recent
):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = page_text(client.get(page_of(obligation)))
    assert f'action="{button(obligation, "issue_notification")}"' in page
    assert "Download the latest PDF" not in page

    _confirmation, response = confirm(client, obligation, "issue_notification", "Issue", reason="")

    document = Document.objects.get(obligation=obligation)
    download = reverse("admin:reporting_document_download", args=[document.pk])
    assert response.status_code == 302 and response.url == page_of(obligation)
    assert messages_of(response) == [f'{document.title} v1 issued: <a href="{download}">Download the PDF</a>']
    page = page_text(client.get(page_of(obligation)))
    assert f'<a href="{download}">Download the latest PDF (v1)</a>' in page

    # The document's own page verifies it and downloads it.
    document_page = page_text(client_as(roles.LEGAL_REVIEWER).get(page_of(document)))
    assert f'action="{button(document, "verify")}"' in document_page and download in document_page
    verified = client_as(roles.LEGAL_REVIEWER).post(button(document, "verify"))
    assert verified.status_code == 302 and verified.url == page_of(document)
    (message,) = messages_of(verified)
    assert f"verified (SHA-256 {document.sha256[:16]}" in message


def test_the_decision_form_offers_only_the_chosen_incidents_obligations(client_as, compliance, recent):
    other = breach_incident(compliance, jurisdictions=("FR",), title="Another breach",
                            aware_at=timezone.now().replace(microsecond=0) - timedelta(hours=10))
    ours, theirs = recent.obligations.get(key="gdpr.notification"), other.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)

    # From the obligation's page: the add form for its incident, the obligation chosen, no other incident's offered.
    links = page_text(client.get(page_of(ours)))
    add = reverse("admin:reporting_disclosuredecision_add")
    assert f"{add}?incident={recent.pk}&obligation={ours.pk}" in links.replace("&amp;", "&")
    form = client.get(add, {"incident": recent.pk, "obligation": ours.pk}).context["adminform"].form
    offered = list(form.fields["obligation"].queryset)
    assert ours in offered and theirs not in offered
    assert set(offered) == set(recent.obligations.all())

    # The list behind the incident field, refilled when the incident changes.
    choices = client.get(reverse("admin:reporting_disclosuredecision_obligations"), {"incident": other.pk}).json()
    assert {c["id"] for c in choices["results"]} == set(other.obligations.values_list("pk", flat=True))
    assert "due " in choices["results"][0]["text"]
    assert client.get(reverse("admin:reporting_disclosuredecision_obligations"),
                      {"incident": "x"}).status_code == 400
    assert client_as(roles.LEADERSHIP).get(reverse("admin:reporting_disclosuredecision_obligations"),
                                           {"incident": other.pk}).status_code == 403

    # Another incident's obligation is refused on the obligation field, nothing written.
    response = client.post(add, {"incident": recent.pk, "obligation": theirs.pk, "audience": "regulator",
                                 "decision": "disclose", "rationale": "r", "legal_basis": "GDPR Art. 33(1)"})
    assert response.status_code == 200
    assert "obligation" in response.context["adminform"].form.errors
    assert not DisclosureDecision.objects.exists()


@pytest.mark.parametrize("typed", ["abc", "\u00b2", "-1", "99999999999999999999", "9223372036854775808"])
def test_a_typed_incident_that_is_no_record_gets_a_clear_answer_never_a_server_error(client_as, recent, typed):
    client = client_as(roles.COMPLIANCE_OFFICER)
    add = reverse("admin:reporting_disclosuredecision_add")

    choices = client.get(reverse("admin:reporting_disclosuredecision_obligations"), {"incident": typed})
    assert choices.status_code == 400 and "incident" in choices.json()["error"]
    assert client.get(add, {"incident": typed, "obligation": typed}).status_code == 200
    posted = client.post(add, {"incident": typed, "obligation": typed, "audience": "regulator",
                               "decision": "disclose", "rationale": "r", "legal_basis": "b"})
    assert posted.status_code == 200 and "incident" in posted.context["adminform"].form.errors
    assert not DisclosureDecision.objects.exists()


def test_a_garbled_version_on_a_confirmation_is_refused_as_missing(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    response = client.post(button(obligation, "mark_submitted"), {
        "action": "mark_submitted", "_selected_action": [obligation.pk], "apply": "Mark submitted",
        f"version_{obligation.pk}": "\u00b2", "authority_reference": "X-1"}, follow=True)
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert "version" in message.lower()
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_issuing_a_second_version_without_a_reason_is_asked_on_the_confirmation_page(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    confirm(client, obligation, "issue_notification", "Issue", reason="")
    assert Document.objects.filter(obligation=obligation).count() == 1

    _page, again = confirm(client, obligation, "issue_notification", "Issue", reason="  ")

    assert again.status_code == 200  # the confirmation page again, with the field's error
    assert again.context["form"].errors["reason"] == [
        "Version 1 was already issued: say what this new version corrects."]
    assert Document.objects.filter(obligation=obligation).count() == 1
    from portal.core.jobs.models import Job

    assert Job.objects.filter(state="failed").count() == 0


def test_the_job_page_of_an_issued_document_says_what_it_was_asked_and_links_the_record(client_as, recent):
    from portal.core.jobs.models import Job

    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    confirm(client, obligation, "issue_notification", "Issue", reason="")
    job = Job.objects.get(kind="reporting.document_issue")

    page = page_text(client.get(reverse("admin:core_job_change", args=[job.pk])))

    assert f'<a href="{page_of(obligation)}">{obligation}</a>' in page
    assert "Regulatory notification" in page and f"version {obligation.version} of the record" in page
    assert "idempotency" not in page.lower() and '"kind"' not in page


def test_a_submission_time_in_the_future_is_a_form_error_on_the_confirmation_page(client_as, recent):
    obligation = recent.obligations.get(key="gdpr.notification")
    later = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")

    _page, response = confirm(client_as(roles.COMPLIANCE_OFFICER), obligation, "mark_submitted", "Mark submitted",
                              submitted_at=later, authority_reference="BfDI-1")

    assert response.status_code == 200
    assert response.context["form"].errors["submitted_at"] == ["The submission time cannot be in the future."]
    assert 'value="BfDI-1"' in page_text(response)  # what was typed is kept
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_a_decision_names_its_audience_as_people_read_it(compliance, recent):
    decision = services.disclosure_record(actor=compliance, incident=recent, audience="aiid", decision="disclose",
                                          rationale="r", legal_basis="b", shareable_summary="What happened.")
    assert str(decision) == f"Disclose to AI Incident Database ({recent.reference})"
    decision = services.disclosure_record(actor=compliance, incident=recent, audience="regulator",
                                          decision="disclose", rationale="r", legal_basis="b")
    assert str(decision) == f"Disclose to regulator ({recent.reference})"


def test_one_document_issued_by_a_worker_is_awaited_and_its_result_shown_on_the_records_page(
    client_as, recent, settings, monkeypatch
):
    """With a worker (a thread or Celery) the job is handed over; for one record the page waits for it briefly, so
    the user stays on the record's page with the link to the PDF instead of being sent to a job page."""
    from portal.core.jobs.models import Job
    from portal.core.jobs.services import job_run
    from reporting.admin import base

    settings.JOBS_EXECUTION = "thread"  # handed over on commit, which a test never reaches: the job stays queued
    slept = []

    def worker_runs_meanwhile(seconds):  # the worker finishes the job while the page waits
        slept.append(seconds)
        job_run(Job.objects.get(kind="reporting.document_issue").pk)

    monkeypatch.setattr(base.time, "sleep", worker_runs_meanwhile)
    obligation = recent.obligations.get(key="gdpr.notification")

    _page, response = confirm(client_as(roles.COMPLIANCE_OFFICER), obligation, "issue_notification", "Issue",
                              reason="")

    assert slept and response.status_code == 302 and response.url == page_of(obligation)
    document = Document.objects.get(obligation=obligation)
    (message,) = messages_of(response)
    assert message.endswith(f'<a href="{reverse("admin:reporting_document_download", args=[document.pk])}">'
                            "Download the PDF</a>")


def test_the_confirmation_page_of_one_record_is_titled_in_the_singular(client_as, decision):
    page = client_as(roles.LEGAL_REVIEWER).post(button(decision, "approve"))
    assert page.context["title"] == "Approve the disclosure decision"


def test_the_submission_time_is_read_in_the_portals_time_zone_and_says_so(client_as, recent, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    obligation = recent.obligations.get(key="gdpr.notification")
    client = client_as(roles.COMPLIANCE_OFFICER)
    earlier = timezone.localtime(timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)

    page, response = confirm(client, obligation, "mark_submitted", "Mark submitted",
                             submitted_at=earlier.strftime("%Y-%m-%d %H:%M"))

    assert "in Europe/Berlin" in page_text(page) and response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.status == "submitted" and obligation.submitted_at == earlier
