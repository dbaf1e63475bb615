"""Approvals bound to the version read, over the API: approving or returning a disclosure decision, submitting an
obligation or marking it not applicable, and issuing its notification are refused with 409 when the record changed
since the version sent, naming who changed which fields and when; nothing is written. With the current version
they succeed."""

import re

import pytest

from incidents.models import TimelineEvent
from reporting import services
from reporting.models import DisclosureDecision, Document, Obligation
from reporting.tests.api.conftest import COMPLIANCE, LEGAL, decision_url, obligation_url, post

pytestmark = pytest.mark.django_db

SECRET = "Counsel: our encryption claim is weak."


@pytest.fixture
def decision(compliance, breach):
    """Version 1: disclose to the regulator."""
    return services.disclosure_record(
        actor=compliance, incident=breach, audience="regulator", decision="disclose",
        rationale="Transcripts of 1,200 customers were exposed.", legal_basis="GDPR Art. 33(1)",
        shareable_summary="Transcripts were exposed.", privileged_analysis=SECRET)


def fields_named(detail: str) -> set[str]:
    """The field names a stale refusal lists after each change ("... at <when> UTC (decision, rationale)")."""
    return {name for group in re.findall(r"UTC \(([^)]*)\)", detail) for name in group.split(", ")}


def written(incident, record):
    """What a refused action must leave unchanged: the record's history rows and the incident's timeline."""
    return record.history.count(), TimelineEvent.objects.filter(incident=incident).count()


@pytest.mark.parametrize(("action", "body"), [("approve/", {"note": "Agreed."}),
                                              ("return/", {"note": "Cite the legal basis precisely."})])
def test_a_decision_changed_after_it_was_read_is_not_approved_or_returned(client_as, compliance, breach, decision,
                                                                          action, body):
    read = decision.version
    services.disclosure_update(actor=compliance, decision=decision,
                               changes={"decision": "do_not_disclose", "rationale": "Encrypted after all."})
    before = written(breach, decision)
    legal = client_as(LEGAL)

    stale = post(legal, decision_url(decision, action), {**body, "version": read})

    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert f"Disclosure decision {decision.pk} of {breach.reference} was changed by compliance at" in detail
    assert {"decision", "rationale"} <= fields_named(detail) and "your copy is version 1" in detail
    assert SECRET not in detail
    assert DisclosureDecision.objects.get(pk=decision.pk).status == "proposed"
    assert written(breach, decision) == before

    fresh = post(legal, decision_url(decision, action), {**body},
                 headers={"If-Match": legal.get(decision_url(decision))["ETag"]})
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["status"] == ("approved" if action == "approve/" else "rejected")


def test_a_change_of_the_privileged_analysis_is_named_but_not_shown(client_as, compliance, breach, decision):
    read = decision.version
    services.disclosure_update(actor=compliance, decision=decision, privileged_analysis="New memo: settle early.")
    stale = post(client_as(LEGAL), decision_url(decision, "approve/"), {"version": read})
    assert stale.status_code == 409
    assert "privileged analysis" in fields_named(stale.json()["detail"])
    assert "settle early" not in stale.json()["detail"]


@pytest.mark.parametrize(("action", "body", "status"), [
    ("submit/", {"authority_reference": "BfDI-2026-17"}, 200),
    ("not-applicable/", {"rationale": "Encrypted; keys not exposed."}, 200),
    ("issue/", {}, 201),
])
def test_an_obligation_changed_after_it_was_read_is_not_submitted_marked_or_issued(client_as, compliance, breach,
                                                                                   notification, action, body,
                                                                                   status):
    read = notification.version
    services.obligation_content_update(actor=compliance, obligation=notification,
                                       content={"consequences": "Phishing risk for about 3,000 customers"},
                                       expected_version=notification.version)
    before = written(breach, notification)
    client = client_as(COMPLIANCE)

    stale = post(client, obligation_url(notification, action), {**body, "version": read})

    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert "GDPR" in detail and f"of {breach.reference} was changed by compliance at" in detail
    assert fields_named(detail) == {"content"}
    assert Obligation.objects.get(pk=notification.pk).status == "open" and not Document.objects.exists()
    assert written(breach, notification) == before

    fresh = post(client, obligation_url(notification, action), {**body, "version": notification.version})
    assert fresh.status_code == status, fresh.content


def test_issuing_a_notification_needs_the_version_read(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "issue/"), {})
    assert response.status_code == 428 and "obligation" in response.json()["detail"]
    assert not Document.objects.exists()
