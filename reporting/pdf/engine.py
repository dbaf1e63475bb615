"""The WeasyPrint step: HTML string in, PDF/A-3b bytes out, inline or in a renderer process that can be killed.

`render_job` is the only place in the project that calls WeasyPrint. `run_inline` calls it in this
process; `run_isolated` sends it to the process's long-lived renderer process (`renderer`), which is killed
and replaced at the deadline. The renderer receives only a picklable `RenderJob` (HTML string, attachment
bytes, options, a fetcher rebuilt from its folder) and sends back a `RenderOutcome` or an error message
(`answer`), plus the fetcher's records and the warnings WeasyPrint logged. This module imports no Django.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .fetcher import BASE_URL, SafeURLFetcher
from .limits import RenderError, RenderLimits

logger = logging.getLogger("reporting.pdf")

PDF_VARIANT = "pdf/a-3b"
ATTACHMENT_RELATIONSHIP = "Data"
# Embedded files must carry dates (PDF/A-3 wants ModDate); without an issue date they get this fixed one.
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
# fontTools (WeasyPrint's font subsetter when HarfBuzz-Subset is missing) stamps every embedded font subset
# with the current time unless SOURCE_DATE_EPOCH is set (reproducible-builds convention).
_SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
_environ_lock = threading.Lock()


@dataclass(frozen=True)
class RenderJob:
    html: str
    title: str
    attachment: bytes
    attachment_name: str
    attachment_description: str
    identifier: bytes
    issued_at: str | None  # "YYYY-MM-DDTHH:MM:SSZ" or None
    max_pages: int
    fetcher: SafeURLFetcher


@dataclass
class RenderOutcome:
    pdf: bytes
    pages: int
    requested: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def render_job(job: RenderJob) -> RenderOutcome:
    """Lay out `job.html`, refuse it over `job.max_pages`, and write a deterministic PDF/A-3b."""
    stamp = datetime.fromisoformat(job.issued_at) if job.issued_at else UNDATED
    with _source_date_epoch(int(stamp.timestamp())):
        return _render(job, stamp)


def _render(job: RenderJob, stamp: datetime) -> RenderOutcome:
    from weasyprint import HTML, Attachment

    try:
        document = HTML(string=job.html, base_url=BASE_URL, url_fetcher=job.fetcher).render(pdf_variant=PDF_VARIANT)
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not lay out the document: {type(exc).__name__}: {exc}") from exc
    pages = len(document.pages)
    if pages > job.max_pages:
        raise RenderError(f"The document has {pages} pages, over the limit of {job.max_pages} (max_pages).")

    # Fixed metadata: the title we are given, the issue date or none, never "now".
    metadata = document.metadata
    metadata.title = job.title
    metadata.created = metadata.modified = job.issued_at
    metadata.authors, metadata.description, metadata.keywords, metadata.generator = [], None, [], None
    metadata.attachments, metadata.custom, metadata.xmp_metadata = [], {}, []
    attachment = Attachment(
        string=job.attachment,
        base_url=BASE_URL,
        url_fetcher=job.fetcher,
        name=job.attachment_name,
        description=job.attachment_description,
        created=stamp,
        modified=stamp,
        relationship=ATTACHMENT_RELATIONSHIP,
    )
    try:
        pdf = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            pdf_identifier=job.identifier,
            attachments=[attachment],
            finisher=_finish,
        )
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not write the PDF: {type(exc).__name__}: {exc}") from exc
    return RenderOutcome(
        pdf=pdf,
        pages=pages,
        requested=list(job.fetcher.requested),
        served=list(job.fetcher.served),
        refused=list(job.fetcher.refused),
    )


def _finish(document, pdf) -> None:
    """Last touch before the PDF is written: WeasyPrint 70 lists each attachment twice in the catalog's /AF."""
    associated = pdf.catalog.get("AF")
    if associated:
        associated[:] = list(dict.fromkeys(associated))


@contextlib.contextmanager
def _source_date_epoch(seconds: int):
    """Set SOURCE_DATE_EPOCH for the duration of a render (the variable is process-wide: one render at a time)."""
    with _environ_lock:
        previous = os.environ.get(_SOURCE_DATE_EPOCH)
        os.environ[_SOURCE_DATE_EPOCH] = str(seconds)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(_SOURCE_DATE_EPOCH, None)
            else:
                os.environ[_SOURCE_DATE_EPOCH] = previous


def run_inline(job: RenderJob, limits: RenderLimits) -> RenderOutcome:
    """Render in this process. The time bound cannot interrupt it: an over-time render is refused afterwards."""
    started = time.monotonic()
    outcome = render_job(job)
    elapsed = time.monotonic() - started
    if elapsed > limits.timeout_seconds:
        raise RenderError(
            f"Rendering took {elapsed:.1f} s, over the limit of {limits.timeout_seconds} s (timeout_seconds)."
        )
    return outcome


def run_isolated(job: RenderJob, limits: RenderLimits) -> RenderOutcome:
    """Render in this process's long-lived renderer process (`renderer.Renderer`), which is stopped and replaced
    when the render is not done within the timeout."""
    from .renderer import current_renderer

    return current_renderer().render(job, limits)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def collect_warnings() -> _Collect:
    """Route WeasyPrint's and fontTools' warnings to a collector (the renderer process sends them back to the
    web process's log with each answer)."""
    collect = _Collect()
    for name in ("weasyprint", "fontTools"):
        child_logger = logging.getLogger(name)
        child_logger.setLevel(logging.WARNING)
        child_logger.addHandler(collect)
        child_logger.propagate = False
    return collect


def answer(job: RenderJob, collect: _Collect) -> tuple:
    """Render one job in the renderer process: ("ok", outcome) or ("error", message), with what the fetcher
    requested, served and refused and the warnings logged meanwhile. Never raises."""
    collect.messages = []
    try:
        status, payload = "ok", render_job(job)
    except RenderError as exc:
        status, payload = "error", str(exc)
    except BaseException as exc:
        status, payload = "error", f"WeasyPrint failed: {type(exc).__name__}: {exc}"
    fetcher = job.fetcher
    return status, payload, (fetcher.requested, fetcher.served, fetcher.refused, list(collect.messages))
