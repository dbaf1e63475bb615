"""Files of jobs under JOB_RESULT_DIR: what they read (`inputs/`, e.g. an uploaded BOM) and what they write
(`results/<job id>/`, e.g. an audit bundle). The job page serves a result only to users who may see the job."""

import re
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from portal.core.jobs.registry import JobFailed


def storage() -> FileSystemStorage:
    if not settings.JOB_RESULT_DIR:
        raise JobFailed("JOB_RESULT_DIR is not set: the portal has nowhere to keep the files of jobs.")
    return FileSystemStorage(location=settings.JOB_RESULT_DIR)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:120] or "file"


def save_input(name: str, content: bytes) -> str:
    return storage().save(f"inputs/{uuid.uuid4().hex}-{_safe(name)}", ContentFile(content))


def save_result(job, name: str, content: bytes, *, folder: str = "") -> str:
    """Keep a file a job made, under `results/<job id>/` (or `results/<folder>/` before the job row exists)."""
    return storage().save(f"results/{folder or job.pk}/{_safe(name)}", ContentFile(content))


def read(name: str) -> bytes:
    with storage().open(name, "rb") as handle:
        return handle.read()


def open_file(name: str):
    return storage().open(name, "rb")


def delete(name: str) -> None:
    storage().delete(name)
