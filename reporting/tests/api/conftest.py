"""Fixtures and helpers of the reporting API tests: a GDPR-notifiable breach (its obligations are computed when
it opens), JSON requests through the root conftest's `client_as`, and the endpoints' URLs."""

import pytest

from portal.core import roles
from reporting.tests.factories import breach_incident

API = "/api/v1/"
COMPLIANCE, RESPONDER, LEGAL = roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER, roles.LEGAL_REVIEWER
LEADERSHIP, AUDITOR = roles.LEADERSHIP, roles.AUDITOR


def obligation_url(obligation=None, suffix=""):
    return f"{API}obligations/" + (f"{getattr(obligation, 'pk', obligation)}/{suffix}" if obligation else "")


def document_url(document=None, suffix=""):
    return f"{API}documents/" + (f"{getattr(document, 'pk', document)}/{suffix}" if document else "")


def decision_url(decision=None, suffix=""):
    return f"{API}disclosure-decisions/" + (f"{getattr(decision, 'pk', decision)}/{suffix}" if decision else "")


def incident_url(incident, suffix):
    return f"{API}incidents/{getattr(incident, 'reference', incident)}/{suffix}"


def post(client, url, data=None, headers=None):
    return client.post(url, data or {}, content_type="application/json", headers=headers or {})


def put(client, url, data=None, headers=None):
    return client.put(url, data or {}, content_type="application/json", headers=headers or {})


def patch(client, url, data=None, headers=None):
    return client.patch(url, data or {}, content_type="application/json", headers=headers or {})


def errors(response):
    """The field names a 400 response names."""
    assert response.status_code == 400, (response.status_code, response.content)
    return set(response.json())


@pytest.fixture
def breach(compliance):
    """A personal-data breach in Germany, aware on 2026-09-02: GDPR Art. 33 notification (72 h) and record."""
    return breach_incident(compliance, summary="Support transcripts were exposed through the RAG index.")


@pytest.fixture
def notification(breach):
    return breach.obligations.get(key="gdpr.notification")
