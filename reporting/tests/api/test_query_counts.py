"""The reporting lists run the same number of queries for a few rows as for a full page of many (a query per
row would show), whatever the reader's role."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.tests.factories import make_user
from reporting import services
from reporting.models import DocumentKind
from reporting.services import documents as documents_module
from reporting.tests.api.conftest import AUDITOR, LEGAL, decision_url, document_url, obligation_url
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

PAGE_SIZE = settings.REST_FRAMEWORK["PAGE_SIZE"]
QUERY_BUDGET = 10


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def constant(reads, add, small, large):
    """Queries for each (client, url) of `reads` after `small` rows, then after `large`: the same, within the budget,
    on full pages. The rows are made once for all the reads."""
    add(0, small)
    for client, url in reads:
        client.get(url)  # warm caches that are not per row (content types, the session user's permissions)
    few = [count_queries(client, url) for client, url in reads]
    add(small, large)
    for (client, url), (few_count, few_body) in zip(reads, few, strict=True):
        many_count, many_body = count_queries(client, url)
        assert many_body["count"] > few_body["count"], url
        assert len(many_body["results"]) == min(many_body["count"], PAGE_SIZE) >= len(few_body["results"]), url
        assert few_count == many_count <= QUERY_BUDGET, (url, few_count, many_count)


def incidents(compliance, start, stop):
    return [breach_incident(compliance, title=f"Breach {i}") for i in range(start, stop)]


def test_the_obligation_list_runs_the_same_queries_for_few_and_many_rows(client_as, compliance):
    def add(start, stop):
        for incident in incidents(compliance, start, stop):
            record = incident.obligations.get(key="gdpr.record")
            services.obligation_submit(actor=compliance, obligation=record,
                                       expected_version=record.version)  # names a submitting user

    auditor = client_as(AUDITOR)
    queries = ["", "?status=open&due=overdue&regime=gdpr", "?uncertain=true"]
    constant([(auditor, obligation_url() + query) for query in queries], add, 2, 40)


def test_the_document_list_runs_the_same_queries_for_few_and_many_documents(client_as, compliance, monkeypatch):
    # Issued through the service, with the PDF rendering stubbed: this test counts queries, not pages rendered.
    monkeypatch.setattr(documents_module, "render_document", lambda context, template: b"%PDF-1.7 stub")

    def add(start, stop):
        for incident in incidents(compliance, start, stop):
            notification = incident.obligations.get(key="gdpr.notification")
            for reason in ("", "Corrected."):  # the second supersedes the first
                services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                        obligation=notification, correction_reason=reason,
                                        expected_version=notification.version)

    constant([(client_as(AUDITOR), document_url() + "?kind=regulatory_notification")], add, 1, 30)


def test_the_disclosure_list_runs_the_same_queries_for_few_and_many_decisions_for_each_reader(
        client_as, role_users, compliance):
    second = make_user("second-legal", LEGAL)

    def add(start, stop):
        for i, incident in enumerate(incidents(compliance, start, stop), start):
            decision = services.disclosure_record(
                actor=compliance, incident=incident, audience="regulator", decision="do_not_disclose",
                rationale="Encrypted.", legal_basis="GDPR Art. 33(1)", privileged_analysis="Counsel ...")
            if i % 2:
                services.disclosure_approve(actor=role_users[LEGAL] if i % 4 == 1 else second, decision=decision,
                                            expected_version=decision.version)

    constant([(client_as(role), decision_url()) for role in (AUDITOR, LEGAL)], add, 2, 40)
