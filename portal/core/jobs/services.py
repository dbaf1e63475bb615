"""Writes of jobs: start (idempotent), begin, progress, finish, and the record of a scheduled run.

A job is started by `job_start` (a history row naming the starter), handed to the executor (`dispatch`), claimed
by `job_begin` (queued -> running: a second worker given the same job finds it running and does nothing), and
closed by `job_finish` (succeeded with a result, or failed with the error in words). `job_progress` writes the
progress without a history row (ADR 0009). `job_run` runs a job from start to finish; a failure the job foresaw
(JobFailed, ValidationError) is shown in its words, anything else as a general sentence, its traceback logged.
"""

import logging
import threading
import time

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone

from portal.core.audit import current_source
from portal.core.history import save_tracked
from portal.core.jobs.models import ACTIVE_STATES, Job, JobState
from portal.core.jobs.registry import JobFailed, JobResult, get_kind

logger = logging.getLogger(__name__)

UNEXPECTED = "The job failed unexpectedly; the administrators find the details in the portal's log (job {pk})."
# Progress is written at most this often per job (and at the end).
PROGRESS_EVERY_SECONDS = 1.0

# Progress of the jobs running in this process, for the job page when the job's own transaction hides its row's
# progress from other connections (embedded mode on SQLite): {job id: (done, total)}.
_live: dict[int, tuple[int, int | None]] = {}
_side = threading.local()


def job_start(*, actor, kind: str, params: dict | None = None, idempotency_key: str = "",
              total: int | None = None) -> tuple[Job, bool]:
    """Queue a job of `kind` and hand it to the executor; (job, True). When a queued or running job has the same
    `idempotency_key`, that job is returned instead: (job, False)."""
    job_kind = get_kind(kind)
    if job_kind is None:
        raise ValidationError({"kind": f"Unknown job kind {kind!r}."})
    if idempotency_key:
        existing = Job.objects.filter(idempotency_key=idempotency_key, state__in=ACTIVE_STATES).first()
        if existing is not None:
            return existing, False
    job = Job(kind=kind, started_by=actor, source=current_source(), params=params or {},
              idempotency_key=idempotency_key, progress_total=total, progress_unit=job_kind.unit)
    try:
        with transaction.atomic():
            save_tracked(job, actor=actor)
    except ValidationError:
        existing = Job.objects.filter(idempotency_key=idempotency_key, state__in=ACTIVE_STATES).first()
        if idempotency_key and existing is not None:  # started a moment ago by someone else
            return existing, False
        raise
    from portal.core.jobs import dispatch

    dispatch.enqueue(job)
    return job, True


def job_begin(job_id: int) -> Job | None:
    """Claim a queued job (-> running). None when it is gone or no longer queued (another worker has it)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            return None
        job.state = JobState.RUNNING
        job.started_at = timezone.now()
        save_tracked(job, actor=job.started_by, update_fields=["state", "started_at"], validate=False)
    return job


def job_progress(*, job: Job, done: int, total: int | None = None, force: bool = False) -> None:
    """Record how far a running job got ("1,200 of 25,000 components"). No history row; at most once a second."""
    job.progress_done = done
    if total is not None:
        job.progress_total = total
    _live[job.pk] = (job.progress_done, job.progress_total)
    now = time.monotonic()
    if not force and now - getattr(job, "_progress_written", 0.0) < PROGRESS_EVERY_SECONDS:
        return
    job._progress_written = now
    values = {"progress_done": job.progress_done, "progress_total": job.progress_total}
    if not connection.in_atomic_block:
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(**values)
    elif connection.vendor == "postgresql":
        # Inside the job's own transaction (an all-or-nothing import) the row is written through a second
        # connection, so the job page sees the progress before the transaction commits.
        side = _side_connection()
        with side.cursor() as cursor:
            cursor.execute("UPDATE core_job SET progress_done = %s, progress_total = %s WHERE id = %s AND state = %s",
                           [job.progress_done, job.progress_total, job.pk, JobState.RUNNING])


def _side_connection():
    side = getattr(_side, "connection", None)
    if side is None:
        side = connections.create_connection("default")
        side.settings_dict = {**connection.settings_dict}
        _side.connection = side
    return side


def _close_side_connection():
    side = getattr(_side, "connection", None)
    if side is not None:
        side.close()
        _side.connection = None


def live_progress(job: Job) -> tuple[int, int | None]:
    """(done, total) of a job, the newest this process knows."""
    return _live.get(job.pk, (job.progress_done, job.progress_total))


def job_finish(*, job: Job, result: JobResult | None = None, error: str = "") -> Job:
    """Close a job: failed with `error` in words (and the file or link of `result`, if given), or succeeded with
    `result`."""
    job.finished_at = timezone.now()
    if error:
        job.state = JobState.FAILED
        job.error = error[:2000]
        if result is not None:  # a failure that still offers a file or a link
            job.result_url, job.result_label, job.result_file = result.url, result.label[:200], result.file
    else:
        result = result or JobResult()
        job.state = JobState.SUCCEEDED
        job.summary = result.summary
        job.result_url, job.result_label, job.result_file = result.url, result.label[:200], result.file
        if job.progress_total:
            job.progress_done = job.progress_total
    with transaction.atomic():
        save_tracked(job, actor=job.started_by, validate=False, update_fields=[
            "state", "finished_at", "error", "summary", "result_url", "result_label", "result_file",
            "progress_done", "progress_total"])
    _live.pop(job.pk, None)
    return job


def _words(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                         for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def job_run(job_id: int) -> Job | None:
    """Run a queued job to its end (the executor calls this: a Celery task, a thread, or inline)."""
    from portal.core.audit import audit_source

    job = job_begin(job_id)
    if job is None:
        logger.info("Job %s is not queued (finished, or taken by another worker); nothing to do.", job_id)
        return None
    kind = get_kind(job.kind)
    try:
        with audit_source(job.source):
            if kind is None or kind.run is None:
                raise JobFailed(f"This portal does not know how to run a {job.kind!r} job.")
            result = kind.run(job=job, progress=lambda done, total=None: job_progress(job=job, done=done,
                                                                                       total=total))
    except JobFailed as exc:
        logger.warning("Job %s (%s) failed: %s", job.pk, job.kind, exc)
        return job_finish(job=job, error=str(exc), result=exc.result)
    except ValidationError as exc:
        logger.warning("Job %s (%s) refused: %s", job.pk, job.kind, _words(exc))
        return job_finish(job=job, error=_words(exc))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        return job_finish(job=job, error=UNEXPECTED.format(pk=job.pk))
    finally:
        _close_side_connection()
    with audit_source(job.source):
        return job_finish(job=job, result=result)


def job_record_run(*, kind: str, started_at, summary: str = "", error: str = "", params: dict | None = None,
                   result: JobResult | None = None) -> Job:
    """Record a scheduled run that did something or failed, as a finished job started by the schedule."""
    result = result or JobResult()
    job = Job(kind=kind, started_by=None, params=params or {}, created_at=started_at, started_at=started_at,
              finished_at=timezone.now(), state=JobState.FAILED if error else JobState.SUCCEEDED,
              summary=summary or result.summary, error=error[:2000], source=current_source(),
              result_url=result.url, result_label=result.label[:200], result_file=result.file)
    with transaction.atomic():
        save_tracked(job, actor=None, validate=False)
    return job
