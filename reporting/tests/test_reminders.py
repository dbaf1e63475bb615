"""Deadline reminders: the Accountable for notifying a regulator hears before each deadline and at breach, once
each, whatever the number of runs; nobody accountable falls back to the compliance officers."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from inventory import services as inventory_services
from portal.tests.factories import make_user
from reporting.models import ObligationNotice
from reporting.tests.factories import AWARE, breach_incident, high_risk_system

pytestmark = pytest.mark.django_db


def _check(at) -> str:
    out = StringIO()
    call_command("check_obligations", "--at", at.isoformat(), stdout=out)
    return out.getvalue()


@pytest.fixture
def accountable(compliance):
    dpo = make_user("dpo")
    system = high_risk_system(operator_role="deployer")
    inventory_services.raci_assign(actor=compliance, system=system, activity="notify_regulator",
                                   role="accountable", user=dpo)
    return system, dpo


def test_the_accountable_is_reminded_before_the_deadline_and_at_breach_once_each(compliance, accountable):
    system, dpo = accountable
    incident = breach_incident(compliance, systems=[system])
    gdpr = incident.obligations.get(key="gdpr.notification")
    _check(gdpr.due_at - timedelta(hours=30))
    assert not mail.outbox  # more than 24 hours ahead
    out = _check(gdpr.due_at - timedelta(hours=10))
    assert "due soon" in out
    _check(gdpr.due_at - timedelta(hours=5))
    due_soon = [m for m in mail.outbox if "[DUE]" in m.subject and "GDPR" in m.subject]
    assert len(due_soon) == 1 and due_soon[0].to == [dpo.email]
    _check(gdpr.due_at + timedelta(minutes=1))
    _check(gdpr.due_at + timedelta(hours=3))
    overdue = [m for m in mail.outbox if "[OVERDUE]" in m.subject and "GDPR" in m.subject]
    assert len(overdue) == 1
    assert ObligationNotice.objects.filter(obligation=gdpr).count() == 2


def test_a_submitted_obligation_gets_no_reminder(compliance, accountable):
    from reporting import services

    system, _ = accountable
    incident = breach_incident(compliance, systems=[system])
    gdpr = incident.obligations.get(key="gdpr.notification")
    services.obligation_submit(actor=compliance, obligation=gdpr, submitted_at=AWARE + timedelta(hours=1),
                               expected_version=gdpr.version)
    _check(gdpr.due_at + timedelta(hours=1))
    assert not ObligationNotice.objects.filter(obligation=gdpr).exists()
    assert not [m for m in mail.outbox if gdpr.stage_name in m.subject]


def test_with_nobody_accountable_the_compliance_officers_are_told(compliance):
    incident = breach_incident(compliance)
    gdpr = incident.obligations.get(key="gdpr.notification")
    _check(gdpr.due_at - timedelta(hours=1))
    sent = [m for m in mail.outbox if "GDPR" in m.subject]
    assert sent and sent[0].to == [compliance.email]
    assert incident.timeline.filter(summary__startswith="Deadline reminder", flagged=True).exists()
