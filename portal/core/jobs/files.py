"""Files of jobs under JOB_RESULT_DIR: what they read (`inputs/`, e.g. an uploaded BOM) and what they write
(`results/<job id>/`, e.g. an audit bundle). The job page serves a result only to users who may see the job."""

import re
import uuid

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from portal.core.jobs.registry import JobFailed


def storage() -> FileSystemStorage:
    if not settings.JOB_RESULT_DIR:
        raise JobFailed("JOB_RESULT_DIR is not set: the portal has nowhere to keep the files of jobs.")
    return FileSystemStorage(location=settings.JOB_RESULT_DIR)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:120] or "file"


def _file(content: bytes | File) -> File:
    """Bytes, or a file (an upload, an open file) copied in chunks: a large file is never held in memory."""
    return content if isinstance(content, File) else ContentFile(content)


def save_input(name: str, content: bytes | File) -> str:
    return storage().save(f"inputs/{uuid.uuid4().hex}-{_safe(name)}", _file(content))


def save_result(job, name: str, content: bytes | File, *, folder: str = "") -> str:
    """Keep a file a job made, under `results/<job id>/` (or `results/<folder>/` before the job row exists)."""
    return storage().save(f"results/{folder or job.pk}/{_safe(name)}", _file(content))


def local_path(name: str) -> str:
    """Where a kept file is on this machine's disk (JOB_RESULT_DIR is a directory every process shares)."""
    return storage().path(name)


def read(name: str) -> bytes:
    with storage().open(name, "rb") as handle:
        return handle.read()


def open_file(name: str):
    return storage().open(name, "rb")


def delete(name: str) -> None:
    storage().delete(name)
