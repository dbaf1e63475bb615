"""Celery tasks and job kinds of reporting: the scheduled deadline reminders (as `manage.py check_obligations`)."""

from datetime import UTC

from celery import shared_task
from django.utils import timezone

from portal.core import roles
from portal.core.jobs import JobKind, job_record_run, register
from reporting.services.reminders import obligation_reminders_check

OBLIGATION_CHECK = register(JobKind(name="reporting.check_obligations", label="Deadline reminders",
                                    viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER})))


@shared_task(name="reporting.tasks.check_obligations", ignore_result=True)
def check_obligations() -> int:
    """Send the regulatory deadline reminders due now; each is claimed before it is sent (safe on two workers)."""
    started = timezone.now()
    result = obligation_reminders_check(now=started, actor=None)
    if result or result.failed:
        lines = [f"{n.obligation.incident.reference} {n.obligation.key} {n.get_stage_display().lower()} "
                 f"(due {n.obligation.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" for n in result]
        error = "; ".join(f"{ref} {key} {stage}: not sent ({why}); the next run retries"
                          for key, ref, stage, why in result.failed)
        job_record_run(kind=OBLIGATION_CHECK.name, started_at=started, error=error,
                       summary=f"{len(result)} deadline reminder(s) sent.\n" + "\n".join(lines))
    return len(result)
