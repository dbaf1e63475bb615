"""The obligation endpoints: the list (filters, soonest due first with no fixed deadline last), the detail, and
the recorded actions (submit, not applicable, reopen, content) with their version precondition: 200 with the
version, 428 without, 409 when stale, 403 for a role that may not change obligations."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from reporting import services
from reporting.models import Obligation
from reporting.tests.api.conftest import (
    AUDITOR,
    COMPLIANCE,
    LEADERSHIP,
    RESPONDER,
    errors,
    obligation_url,
    post,
)
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def reload(obligation):
    return Obligation.objects.get(pk=obligation.pk)


@pytest.fixture
def board(compliance, breach):
    """Three breaches: notification overdue (DE, September), due within 24 hours (FR) and later (GB)."""
    now = timezone.now()
    soon = breach_incident(compliance, jurisdictions=("FR",), aware_at=now - timedelta(hours=60))
    later = breach_incident(compliance, jurisdictions=("GB",), aware_at=now - timedelta(hours=1))
    return {"overdue": breach, "soon": soon, "later": later}


def rows(client, query=""):
    response = client.get(obligation_url() + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content
    return [(row["incident"], row["key"]) for row in response.json()["results"]]


def test_the_list_is_soonest_due_first_with_no_fixed_deadline_last(client_as, board):
    listed = rows(client_as(AUDITOR))
    due = [Obligation.objects.get(incident__reference=ref, key=key).due_at for ref, key in listed]
    assert listed[0] == (board["overdue"].reference, "gdpr.notification")
    assert listed[1][0] == board["soon"].reference and listed[2][0] == board["later"].reference
    fixed = [d for d in due if d is not None]
    assert fixed == sorted(fixed) and due[len(fixed):] == [None] * (len(due) - len(fixed)) and len(fixed) >= 3


@pytest.mark.parametrize(("query", "expected"), [
    ("due=overdue", ["overdue"]),
    ("due=24h", ["soon"]),
    ("due=later", ["later"]),
])
def test_the_due_filter_puts_each_deadline_in_its_bucket(client_as, board, query, expected):
    listed = rows(client_as(LEADERSHIP), query)
    assert {ref for ref, _ in listed} == {board[name].reference for name in expected}


def test_the_due_none_filter_lists_obligations_without_a_fixed_deadline(client_as, board):
    listed = rows(client_as(AUDITOR), "due=none")
    assert listed and all(Obligation.objects.get(incident__reference=r, key=k).due_at is None for r, k in listed)


def test_filters_by_incident_reference_regime_status_and_uncertainty(client_as, compliance, board):
    client = client_as(AUDITOR)
    overdue = board["overdue"]
    assert sorted(rows(client, f"incident={overdue.reference}")) == [
        (overdue.reference, "gdpr.notification"), (overdue.reference, "gdpr.record")]
    assert {ref for ref, _ in rows(client, "regime=uk_gdpr")} == {board["later"].reference}
    assert rows(client, "regime=nis2") == []

    record = overdue.obligations.get(key="gdpr.record")
    services.obligation_submit(actor=compliance, obligation=record, authority_reference="register #7",
                               expected_version=record.version)
    assert rows(client, "status=submitted") == [(overdue.reference, "gdpr.record")]
    assert (overdue.reference, "gdpr.record") not in rows(client, "status=open")

    uncertain = rows(client, "uncertain=true")
    assert (overdue.reference, "gdpr.notification") in uncertain
    assert all(Obligation.objects.get(incident__reference=r, key=k).uncertain for r, k in uncertain)
    assert (overdue.reference, "gdpr.notification") not in rows(client, "uncertain=false")


def test_an_unknown_due_value_is_refused_naming_the_parameter(client_as, board):
    response = client_as(AUDITOR).get(obligation_url() + "?due=yesterday")
    assert errors(response) == {"due"}


def test_the_detail_carries_computed_and_recorded_fields_content_and_documents(client_as, notification):
    response = client_as(AUDITOR).get(obligation_url(notification))
    assert response.status_code == 200
    assert response["ETag"] == f'"{notification.version}"'
    body = response.json()
    for name in ("regime", "regime_name", "provision", "stage_name", "recipient", "jurisdiction",
                 "clock_start_event", "clock_starts_at", "due_at", "rule", "uncertain", "source",
                 "reference_data_version", "status", "submitted_at", "submitted_by", "submitted_by_username",
                 "authority_reference", "rationale", "no_longer_applies", "content", "version", "documents"):
        assert name in body, name
    assert body["incident"] == notification.incident.reference and body["status"] == "open"
    assert {"key", "label", "source"} <= set(body["content_items"][0])
    assert body["documents"] == [] and body["content"] == {}


def test_a_compliance_officer_submits_with_the_version_read(client_as, notification):
    at = datetime(2026, 9, 4, 9, 30, tzinfo=UTC)
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"),
                    {"version": notification.version, "submitted_at": at.isoformat(),
                     "authority_reference": "BfDI-2026-0042"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["authority_reference"], body["submitted_by_username"]) == (
        "submitted", "BfDI-2026-0042", "compliance")
    assert body["submitted_at"].startswith("2026-09-04T09:30")
    assert response["ETag"] == f'"{body["version"]}"' and body["version"] == notification.version + 1


def test_submit_accepts_the_version_as_if_match_and_defaults_the_time_to_now(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"),
                    headers={"If-Match": f'"{notification.version}"'})
    assert response.status_code == 200, response.content
    submitted = reload(notification)
    assert submitted.status == "submitted" and timezone.now() - submitted.submitted_at < timedelta(minutes=1)


def test_submit_without_a_version_is_refused_with_428_and_nothing_changes(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"), {"authority_reference": "X"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"] and "obligation" in response.json()["detail"]
    assert reload(notification).status == "open"


def test_a_stale_submit_is_refused_with_409_naming_who_changed_it(client_as, compliance, notification):
    read = notification.version
    services.obligation_content_update(actor=compliance, obligation=notification, content={"consequences": "Phishing"})
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"), {"version": read})
    assert response.status_code == 409
    assert "changed by compliance" in response.json()["detail"]
    assert reload(notification).status == "open"


@pytest.mark.parametrize("role", [RESPONDER, AUDITOR, LEADERSHIP])
def test_a_role_that_may_not_change_obligations_gets_403(client_as, notification, role):
    response = post(client_as(role), obligation_url(notification, "submit/"), {"version": notification.version})
    assert response.status_code == 403
    assert reload(notification).status == "open"


def test_a_submission_before_the_clock_started_is_a_400_naming_submitted_at(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"),
                    {"version": notification.version, "submitted_at": "2026-01-01T00:00:00Z"})
    assert errors(response) == {"submitted_at"}


def test_not_applicable_without_a_rationale_is_a_400_naming_rationale(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "not-applicable/"),
                    {"version": notification.version})
    assert errors(response) == {"rationale"}
    assert reload(notification).status == "open"


def test_not_applicable_with_a_rationale_and_then_reopened_with_a_reason(client_as, notification):
    client = client_as(COMPLIANCE)
    response = post(client, obligation_url(notification, "not-applicable/"),
                    {"version": notification.version, "rationale": "Encrypted; keys not exposed."})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rationale"]) == ("not_applicable",
                                                                         "Encrypted; keys not exposed.")
    version = response.json()["version"]

    assert errors(post(client, obligation_url(notification, "reopen/"), {"version": version})) == {"reason"}
    response = post(client, obligation_url(notification, "reopen/"),
                    {"version": version, "reason": "The keys were exposed after all."})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rationale"]) == ("open", "")


def test_content_is_entered_for_the_items_the_regime_asks_for(client_as, notification):
    client = client_as(COMPLIANCE)
    response = post(client, obligation_url(notification, "content/"),
                    {"version": notification.version, "content": {"consequences": "Phishing risk"}})
    assert response.status_code == 200, response.content
    assert response.json()["content"] == {"consequences": "Phishing risk"}

    response = post(client, obligation_url(notification, "content/"),
                    {"version": response.json()["version"], "content": {"favourite_colour": "blue"}})
    assert errors(response) == {"content"}


def test_a_malformed_version_is_a_400_naming_version(client_as, notification):
    response = post(client_as(COMPLIANCE), obligation_url(notification, "submit/"), {"version": "latest"})
    assert errors(response) == {"version"}


def test_an_unknown_obligation_is_a_404(client_as, notification):
    assert client_as(AUDITOR).get(obligation_url(999999)).status_code == 404
