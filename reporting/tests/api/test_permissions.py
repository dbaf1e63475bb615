"""Anonymous requests are refused on every reporting endpoint; every role reads them all."""

import pytest

from reporting import services
from reporting.models import DocumentKind
from reporting.tests.api.conftest import (
    AUDITOR,
    COMPLIANCE,
    LEADERSHIP,
    LEGAL,
    RESPONDER,
    decision_url,
    document_url,
    incident_url,
    obligation_url,
    post,
    put,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(compliance, role_users, breach, notification):
    document = services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                       obligation=notification, expected_version=notification.version)
    decision = services.disclosure_record(actor=compliance, incident=breach, audience="regulator",
                                          decision="disclose", rationale="Risk to the data subjects.",
                                          legal_basis="GDPR Art. 33(1)")
    aiid = services.disclosure_record(actor=compliance, incident=breach, audience="aiid", decision="disclose",
                                      rationale="Transparency.", legal_basis="Voluntary disclosure",
                                      shareable_summary="Support transcripts were exposed.")
    # The AIID export answers only with an approved decision to disclose there.
    services.disclosure_approve(actor=role_users[LEGAL], decision=aiid, expected_version=aiid.version)
    return {"incident": breach, "obligation": notification, "document": document, "decision": decision}


def reads(s):
    return [obligation_url(), obligation_url(s["obligation"]), document_url(), document_url(s["document"]),
            document_url(s["document"], "download/"), decision_url(), decision_url(s["decision"]),
            incident_url(s["incident"], "aiid-export/"), incident_url(s["incident"], "regulatory-facts/")]


def test_anonymous_requests_are_refused_everywhere(client_as, scene):
    anonymous = client_as(None)
    for url in reads(scene):
        assert anonymous.get(url).status_code in (401, 403), url
    writes = [obligation_url(scene["obligation"], f"{a}/") for a in ("submit", "not-applicable", "reopen",
                                                                     "content", "issue")]
    writes += [decision_url(), decision_url(scene["decision"], "approve/"), decision_url(scene["decision"], "return/")]
    for url in writes:
        assert post(anonymous, url, {"version": 1}).status_code in (401, 403), url
    assert put(anonymous, incident_url(scene["incident"], "regulatory-facts/"),
               {"nis2_entity": True, "version": 1}).status_code in (401, 403)


@pytest.mark.parametrize("role", [COMPLIANCE, RESPONDER, LEGAL, LEADERSHIP, AUDITOR, "admin"])
def test_every_role_reads_every_reporting_endpoint(client_as, scene, role):
    client = client_as(role)
    for url in reads(scene):
        assert client.get(url).status_code == 200, url
