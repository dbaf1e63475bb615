"""The scheduled deadline reminders as a task: once per obligation and stage however many runs or workers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.core.jobs.models import Job
from reporting import tasks
from reporting.models import ObligationNotice
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


def test_the_reminder_task_run_twice_sends_each_reminder_once(compliance):
    incident = breach_incident(compliance, aware_at=timezone.now() - timedelta(hours=80))  # GDPR's 72 h passed
    sent = tasks.check_obligations()
    assert sent >= 1 and tasks.check_obligations() == 0
    assert len(mail.outbox) == sent
    assert any("[OVERDUE]" in m.subject and "GDPR" in m.subject for m in mail.outbox)
    assert ObligationNotice.objects.filter(obligation__incident=incident).count() == sent
    job = Job.objects.get(kind="reporting.check_obligations")
    assert job.started_by is None and f"{sent} deadline reminder(s) sent" in job.summary
