"""Celery tasks of the kernel: run a job, the scheduled signed checkpoint of the history chains, and the scheduled
incremental verification of the chains."""

from celery import shared_task
from django.utils import timezone

from portal.core import roles
from portal.core.auditchain import checkpoints, points
from portal.core.jobs import JobFailed, JobKind, JobResult, files, job_record_run, job_run, register

AUDIT_CHECKPOINT = register(JobKind(
    name="core.audit_checkpoint", label="Signed audit checkpoint",
    viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.AUDITOR, roles.LEGAL_REVIEWER})))


AUDIT_VERIFY = register(JobKind(
    name="core.audit_verify", label="History chain verification",
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


@shared_task(name="portal.core.tasks.verify_audit_trail", ignore_result=True)
def verify_audit_trail() -> str:
    """The scheduled incremental verification (as `manage.py verify_audit_trail --incremental`): each table from
    its last verified point, recording the new points. A break is recorded on its table (the audit pages show it),
    logged as an error, and recorded as a failed job; a run that verified leaves no job row (the points say it)."""
    return _verify(incremental=True)


@shared_task(name="portal.core.tasks.verify_audit_trail_full", ignore_result=True)
def verify_audit_trail_full() -> str:
    """The scheduled full verification (as `manage.py verify_audit_trail`): every row of every table recomputed,
    recording the points; what a break does is as for the incremental run."""
    return _verify(incremental=False)


def _verify(*, incremental: bool) -> str:
    started = timezone.now()
    reports = points.verify_tables(incremental=incremental, jobs=1, by="schedule")
    broken = [r for r in reports if not r.ok]
    kind = "incremental" if incremental else "full"
    if broken:
        lines = [f"{r.model}: history id {r.first_break.history_id}: {r.first_break.reason}" for r in broken]
        job_record_run(kind=AUDIT_VERIFY.name, started_at=started, params={"mode": kind},
                       error=f"History chains broken in {len(broken)} of {len(reports)} tables ({kind} "
                             "verification):\n" + "\n".join(lines))
    checked = sum(r.checked or 0 for r in reports)
    return f"{len(reports) - len(broken)} of {len(reports)} chains verify ({kind}); {checked} rows recomputed"
