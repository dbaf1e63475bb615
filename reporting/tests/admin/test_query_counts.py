"""The deadline board and the incident page run the same number of queries whatever the number of obligations,
documents and decisions."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.core import roles
from reporting import services
from reporting.models import DocumentKind
from reporting.services import documents as documents_module
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    """The page under test lists documents; their bytes do not matter here."""
    monkeypatch.setattr(documents_module, "render_pdf",
                        lambda **kw: b"%PDF-1.7 " + json.dumps(kw["attachment"], sort_keys=True).encode())
    monkeypatch.setattr("incidents.services.records.checklist_from_runbook", lambda incident, actor, **kwargs: 0)


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _grow_incidents(actor, count):
    aware = timezone.now().replace(microsecond=0) - timedelta(hours=50)
    for i in range(count):
        breach_incident(actor, jurisdictions=("DE", "FR", "GB")[: 1 + i % 3], aware_at=aware - timedelta(hours=i),
                        title=f"Breach {i}")


def test_the_deadline_board_runs_the_same_queries_at_two_sizes(client_as, compliance):
    client = client_as(roles.LEADERSHIP)
    base = reverse("admin:reporting_deadlineboardentry_changelist")
    urls = [base, base + "?due=overdue", base + "?due=24h", base + "?q=breach", base + "?regime=gdpr&o=1",
            base + "?uncertain__exact=0&o=-1"]
    _grow_incidents(compliance, 3)
    breach_incident(compliance, jurisdictions=("DE",), title="Overdue breach",
                    aware_at=timezone.now().replace(microsecond=0) - timedelta(days=10))  # every filter shows rows
    small = [_queries(client, u) for u in urls]
    _grow_incidents(compliance, 40)
    large = [_queries(client, u) for u in urls]
    assert small == large


def test_the_obligation_list_runs_the_same_queries_at_two_sizes(client_as, compliance):
    client = client_as(roles.COMPLIANCE_OFFICER)
    base = reverse("admin:reporting_obligation_changelist")
    urls = [base, base + "?regime=gdpr", base + "?status__exact=open&due=overdue", base + "?o=-5",
            base + "?q=breach"]
    _grow_incidents(compliance, 3)
    breach_incident(compliance, jurisdictions=("DE",), title="Overdue breach",
                    aware_at=timezone.now().replace(microsecond=0) - timedelta(days=10))  # every filter shows rows
    small = [_queries(client, u) for u in urls]
    _grow_incidents(compliance, 30)
    assert [_queries(client, u) for u in urls] == small


def test_the_obligation_lists_filter_by_the_regimes_of_the_clock(client_as, compliance):
    _grow_incidents(compliance, 2)
    client = client_as(roles.COMPLIANCE_OFFICER)
    for name in ("obligation", "deadlineboardentry"):
        response = client.get(reverse(f"admin:reporting_{name}_changelist") + "?regime=gdpr")
        shown = {o.regime for o in response.context["cl"].result_list}
        choices = [str(c["display"]) for spec in response.context["cl"].filter_specs for c in spec.choices(
            response.context["cl"]) if spec.title == "regime"]
        assert shown == {"gdpr"}
        assert "GDPR" in " ".join(choices) and len(choices) > 10  # every regime of the clock, with "All"


def test_the_incident_page_runs_the_same_queries_with_few_or_many_reporting_records(client_as, compliance,
                                                                                   role_users):
    few, many = (breach_incident(compliance, jurisdictions=codes) for codes in (("DE",), ("DE", "FR", "GB")))
    services.regulatory_facts_update(actor=compliance, incident=many, nis2_entity=True, significant_incident=True)
    for incident, rounds in ((few, 1), (many, 3)):
        for obligation in incident.obligations.all():
            for version in range(rounds):
                services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                        obligation=obligation, correction_reason="again" if version else "",
                                        expected_version=obligation.version)
        for _ in range(rounds):
            decision = services.disclosure_record(
                actor=compliance, incident=incident, audience="regulator", decision="disclose",
                rationale="Required.", legal_basis="GDPR Art. 33")
            services.disclosure_approve(actor=role_users[roles.LEGAL_REVIEWER], decision=decision,
                                        expected_version=decision.version)
    assert many.obligations.count() > few.obligations.count()
    client = client_as(roles.COMPLIANCE_OFFICER)
    counts = [_queries(client, reverse("admin:incidents_incident_change", args=[i.pk])) for i in (few, many)]
    assert counts[0] == counts[1]
