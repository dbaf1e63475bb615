"""Celery tasks of the incidents app: the scheduled SLA check (as `manage.py check_slas`)."""

from datetime import UTC

from celery import shared_task
from django.utils import timezone

from incidents import services
from portal.core import roles
from portal.core.jobs import JobKind, job_record_run, register

SLA_CHECK = register(JobKind(name="incidents.check_slas", label="SLA check",
                             viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER})))


@shared_task(name="incidents.tasks.check_slas", ignore_result=True)
def check_slas() -> int:
    """Send the SLA notices due now. Safe on two workers at once: each notice is claimed before its mail goes out.
    A run that sent something or failed to is recorded as a job started by the schedule."""
    started = timezone.now()
    result = services.sla_check(now=started, actor=None)
    if result or result.failed:
        lines = [f"{n.incident.reference} {n.target} {n.get_stage_display().lower()} "
                 f"(due {n.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC) -> {', '.join(n.recipients) or 'nobody'}"
                 for n in result]
        error = "; ".join(f"{ref} {target} {stage}: not sent ({why}); the next run retries"
                          for ref, target, stage, why in result.failed)
        job_record_run(kind=SLA_CHECK.name, started_at=started, error=error,
                       summary=f"{len(result)} SLA notice(s) sent.\n" + "\n".join(lines))
    return len(result)
