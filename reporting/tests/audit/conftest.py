"""Scenes of the audit page tests, written through the services: a personal-data breach changed through the API and
the admin, with evidence, a disclosure decision (with a privileged analysis), issued documents and regulatory
facts; the small inventory of the admin tests. Documents are issued with a stand-in for the PDF renderer (their
bytes do not matter to the audit pages; the bundle PDF is rendered for real)."""

import html
import json
import re
from types import SimpleNamespace

import pytest

from incidents import services as incident_services
from inventory.tests.factories import make_small_inventory
from portal.core import roles
from portal.core.audit import audit_source
from reporting import services
from reporting.models import DocumentKind
from reporting.services import documents as documents_module
from reporting.tests.factories import breach_incident

LEGAL, AUDITOR, COMPLIANCE = roles.LEGAL_REVIEWER, roles.AUDITOR, roles.COMPLIANCE_OFFICER
RESPONDER, LEADERSHIP = roles.INCIDENT_RESPONDER, roles.LEADERSHIP
PRIVILEGED = "Counsel thinks the exposure is limited to one tenant."


@pytest.fixture
def fast_documents(monkeypatch):
    monkeypatch.setattr(documents_module, "render_pdf",
                        lambda **kw: b"%PDF-1.7 " + json.dumps(kw["attachment"], sort_keys=True).encode())


def grow(incident, actor, *, rounds, start=0):
    """`rounds` more of everything a breach accumulates: a title change through the API, evidence (with its custody
    entry), a disclosure decision and a corrected version of the GDPR notification."""
    notification = incident.obligations.get(key="gdpr.notification")
    for i in range(start, start + rounds):
        with audit_source("api"):
            incident_services.incident_update(actor=actor, incident=incident, title=f"Transcripts leaked ({i})")
        incident_services.evidence_add(actor=actor, incident=incident, title=f"Export {i}",
                                       reference=f"s3://evidence/export-{i}.jsonl")
        services.disclosure_record(actor=actor, incident=incident, audience="customers", decision="do_not_disclose",
                                   rationale=f"Scope unknown ({i}).", legal_basis="Contract clause 12",
                                   privileged_analysis=PRIVILEGED)
        services.document_issue(actor=actor, kind=DocumentKind.REGULATORY_NOTIFICATION, obligation=notification,
                                correction_reason="" if i == 0 else f"Correction {i}",
                                expected_version=notification.version)


@pytest.fixture
def breach(role_users, compliance, fast_documents):
    """A GDPR breach opened by the compliance officer, retitled through the API, its notification submitted, its
    regulatory facts recorded through the admin, with evidence, a decision and two document versions."""
    incident = breach_incident(compliance, title="Transcripts exposed",
                               summary="Support transcripts were exposed through the RAG index.")
    grow(incident, compliance, rounds=2)
    notification = incident.obligations.get(key="gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=notification, authority_reference="BfDI-2026-17",
                               expected_version=notification.version)
    with audit_source("admin"):
        services.regulatory_facts_update(actor=compliance, incident=incident, risk_to_individuals="risk")
    incident.refresh_from_db()
    return incident


@pytest.fixture
def inventory(role_users, compliance):
    return make_small_inventory(actor=compliance, members=[role_users[RESPONDER]])


@pytest.fixture
def scene(breach, inventory):
    return SimpleNamespace(incident=breach, inventory=inventory, system=inventory.system,
                           document=breach.documents.order_by("version").first())


def text_of(response) -> str:
    """The page's text without tags and with collapsed whitespace."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
