"""Celery tasks of the kernel: run a job, and the scheduled signed checkpoint of the history chains."""

from celery import shared_task
from django.utils import timezone

from portal.core import roles
from portal.core.auditchain import checkpoints
from portal.core.jobs import JobFailed, JobKind, JobResult, files, job_record_run, job_run, register

AUDIT_CHECKPOINT = register(JobKind(
    name="core.audit_checkpoint", label="Signed audit checkpoint",
    viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.AUDITOR, roles.LEGAL_REVIEWER})))


@shared_task(name="portal.core.tasks.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int) -> None:
    """Run one queued job (a second delivery of the same job finds it running or finished, and does nothing)."""
    job_run(job_id)


@shared_task(name="portal.core.tasks.audit_checkpoint", ignore_result=True)
def audit_checkpoint() -> str:
    """The daily signed checkpoint (as `manage.py audit_checkpoint --reason schedule`), recorded as a job."""
    started = timezone.now()
    try:
        signed, path = checkpoints.take_and_keep(reason="schedule")
    except checkpoints.CheckpointError as exc:
        job_record_run(kind=AUDIT_CHECKPOINT.name, started_at=started, error=f"No checkpoint taken: {exc}")
        return ""
    chains = signed.document["chains"]
    summary = f"Checkpoint {path.name}: {len(chains)} chains, {sum(c['rows'] for c in chains)} rows."
    try:  # a copy for the job page (the checkpoint itself is in AUDIT_CHECKPOINT_DIR)
        kept = files.save_result(None, signed.name, signed.body, folder="checkpoints")
    except (JobFailed, OSError):
        kept = ""
    job_record_run(kind=AUDIT_CHECKPOINT.name, started_at=started,
                   result=JobResult(summary=summary, file=kept, label=signed.name if kept else ""))
    return path.name
