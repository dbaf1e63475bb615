"""The schedule as tasks: the SLA check sends a breached incident's notice within one tick of the embedded
scheduler, and once only however many runs or workers; each run that sent something is a job of the schedule."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from incidents import services, tasks
from incidents.models import SlaNotice
from portal.core.jobs.models import Job, JobState
from portal.core.jobs.schedule import EmbeddedScheduler


def _breached_incident():
    """A P1 incident detected two hours ago, commanded by `ic`: its 60-minute acknowledge SLA is breached."""
    commander = get_user_model().objects.create_user("ic", email="ic@example.org")
    return services.incident_open(actor=None, severity="p1", detected_at=timezone.now() - timedelta(hours=2),
                                  commander=commander,
                                  title="Prompt injection in the support bot", track="security",
                                  incident_class="prompt_injection")


@pytest.mark.django_db(transaction=True)
def test_the_embedded_scheduler_sends_a_breached_sla_notice_within_one_tick(settings):
    settings.ADMINS = []
    incident = _breached_incident()
    schedule = {"check-slas": {"task": "incidents.tasks.check_slas", "schedule": 0.2}}
    scheduler = EmbeddedScheduler(schedule, tick=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a few more ticks: still one notice
    finally:
        scheduler.stop()
    assert [m.subject for m in mail.outbox] == [f"[P1] {incident.reference} acknowledge SLA breached"]
    job = Job.objects.get(kind="incidents.check_slas")
    assert job.started_by is None and job.state == JobState.SUCCEEDED
    assert f"{incident.reference} acknowledge breached" in job.summary


@pytest.mark.django_db
def test_the_sla_task_run_twice_sends_each_notice_once():
    incident = _breached_incident()
    assert tasks.check_slas() == 1
    assert tasks.check_slas() == 0  # a second run, or a second worker at the same moment: already claimed
    assert len(mail.outbox) == 1
    assert SlaNotice.objects.filter(incident=incident).count() == 1
    assert Job.objects.filter(kind="incidents.check_slas").count() == 1  # a run that sent nothing leaves no job


@pytest.mark.django_db
def test_the_checkpoint_task_writes_a_signed_checkpoint_kept_with_its_job(settings, tmp_path):
    from portal.core.tasks import audit_checkpoint

    name = audit_checkpoint()
    assert name and (tmp_path / "checkpoints" / name).exists()
    job = Job.objects.get(kind="core.audit_checkpoint")
    assert job.state == JobState.SUCCEEDED and job.result_file.endswith(name)
    assert "chains" in job.summary


@pytest.mark.django_db
def test_the_checkpoint_task_without_a_key_records_a_failed_job_in_words(settings, tmp_path):
    from portal.core.tasks import audit_checkpoint

    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    assert audit_checkpoint() == ""
    job = Job.objects.get(kind="core.audit_checkpoint")
    assert job.state == JobState.FAILED and job.error.startswith("No checkpoint taken")
