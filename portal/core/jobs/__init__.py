"""Background jobs (ADR 0009): the `Job` row the user sees, the services that write it, the executors (Celery, a
thread, inline) and the embedded scheduler. Apps register their job kinds in their `tasks` module."""

from portal.core.jobs import files
from portal.core.jobs.registry import JobFailed, JobKind, JobResult, register
from portal.core.jobs.services import job_finish, job_progress, job_record_run, job_run, job_start

__all__ = [
           "JobFailed",
           "JobKind",
           "JobResult",
           "files",
           "job_finish",
           "job_progress",
           "job_record_run",
           "job_run",
           "job_start",
           "register",
]
