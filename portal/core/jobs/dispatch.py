"""Hands a queued job to its executor (settings.JOBS_EXECUTION): a Celery worker through the broker ("celery"),
a daemon thread of this process ("thread", the embedded default), or this very call ("inline", the tests). The
first two start once the transaction that queued the job has committed, so the worker finds the row."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)


def enqueue(job) -> None:
    mode = settings.JOBS_EXECUTION
    if mode == "inline":
        from portal.core.jobs.services import job_run

        job_run(job.pk)
    elif mode == "thread":
        transaction.on_commit(lambda: start_thread(job.pk))
    else:
        from portal.core.tasks import run_job

        transaction.on_commit(lambda: run_job.delay(job.pk))


def start_thread(job_id: int) -> threading.Thread:
    thread = threading.Thread(target=_thread_main, args=(job_id,), name=f"job-{job_id}", daemon=True)
    thread.start()
    return thread


def _thread_main(job_id: int) -> None:
    from portal.core.jobs.services import job_run

    close_old_connections()
    try:
        job_run(job_id)
    except Exception:
        logger.exception("Job %s could not be run", job_id)
    finally:
        connection.close()
