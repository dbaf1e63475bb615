"""The one PDF renderer of the project: Django template -> HTML -> WeasyPrint -> PDF/A-3b with its data inside.

Every document PDF (notification, disclosure decision, post-incident report) is made by `render_pdf`; nothing
else in the project calls WeasyPrint. What it guarantees:

* **Only our own assets.** WeasyPrint loads stylesheets, images, fonts, SVG references, objects and
  attachments through `SafeURLFetcher`, which serves files of ``reporting/static/reporting/pdf/`` under the
  private base URL ``portal-static:///`` and refuses every other URL (``file:``, ``http(s):``, ``data:``,
  traversal...) without touching the network or the file system. A refused resource is just left out.
  User text is autoescaped by the template engine, so markup in it is printed, never interpreted.
* **PDF/A-3b with the record's data.** The ``attachment`` dict is embedded as canonical JSON (sorted keys,
  UTF-8, ``ensure_ascii=False``, separators ``(",", ":")``) in a file named ``attachment_name``, with
  ``AFRelationship /Data`` and a description giving its SHA-256. `extract_attachment` reads it back.
* **Same record, same bytes.** WeasyPrint 70 writes no date of its own into the Info dictionary or the XMP
  packet, but its `Attachment` stamps the embedded file with ``datetime.now()``, its fontTools subsetter (used
  when the HarfBuzz-Subset library is missing) stamps every embedded font with the current time, and it lists
  the attachment twice in the catalog's ``/AF``. Here the title is the one given; the document dates (Info
  ``CreationDate`` / ``ModDate``, XMP ``CreateDate`` / ``ModifyDate``), the embedded file's dates and the
  fonts' stamp (``SOURCE_DATE_EPOCH`` during the render) are ``context["document"]["issued_at"]`` normalised
  to UTC (no document dates, and 1970-01-01 for the others, when it is empty); the first file identifier is
  derived from the attachment's SHA-256; ``/AF`` is de-duplicated; the base URL names no path of the machine.
  The bytes still depend on the fonts fontconfig finds, the font subsetter (HarfBuzz-Subset or fontTools) and
  the WeasyPrint version (it signs the ``Producer``): they are reproducible on one machine image, which is
  why the digest of what was issued is stored rather than recomputed.
* **Bounded cost** (`RenderLimits`, each default from a Django setting): the rendered HTML is measured before
  WeasyPrint sees it (``max_html_chars``), pages are counted after layout and before the PDF is written
  (``max_pages``), the PDF is measured at the end (``max_bytes``), and the WeasyPrint step has a wall-clock
  bound (``timeout_seconds``). Every failure, limits included, is a `RenderError` naming what failed.

The time bound. WeasyPrint offers no way to interrupt a layout, and a thread cannot be killed, so with
``PDF_RENDER_ISOLATION = "process"`` (the default) the WeasyPrint step runs in a renderer process
(`reporting.pdf.renderer`): a fresh interpreter (``python -m reporting.pdf.renderer``) that imports WeasyPrint
once, inherits no threads, locks, database connections or open files of the web process, and renders the jobs
its process sends it, one at a time. It receives only the HTML string, the attachment bytes and the options, and
sends back the PDF bytes. The parent waits for the answer at most ``timeout_seconds`` (the renderer's start-up
included when this render started it); past that it stops the renderer (SIGTERM, then SIGKILL after 2 s) and
raises `RenderError`; the next render starts a new one. A renderer that dies (crash, out of memory) is a
`RenderError` naming its exit code, and is replaced too. It is retired after ``PDF_RENDERER_MAX_JOBS`` renders or
once its peak memory passed ``PDF_RENDERER_MAX_MEMORY_MB``. Each process that renders (gunicorn worker, Celery
worker process) starts its own on its first render, after any fork. A server that embeds Python
(``sys.executable`` not a Python interpreter) cannot start it: use ``inline`` there.

``PDF_RENDER_ISOLATION = "inline"`` renders in the calling process (tests, scripts): the HTML, page and byte
limits are enforced the same way, and a render that took longer than ``timeout_seconds`` is refused once it
ends, but it is not interrupted. Inline renders of one process run one at a time (``SOURCE_DATE_EPOCH`` is
process-wide).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING

from .limits import RenderError, RenderLimits, _setting

if TYPE_CHECKING:
    from .fetcher import SafeURLFetcher

# The renderer and its fetcher import WeasyPrint, which takes seconds: they load on first use, so that a process
# which never renders (a gunicorn or Celery worker serving other pages, a management command) does not pay for it.
_LAZY = {"ASSET_ROOT": "fetcher", "BASE_URL": "fetcher", "FetchRefused": "fetcher", "SafeURLFetcher": "fetcher"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ASSET_ROOT",
    "BASE_URL",
    "FetchRefused",
    "RenderError",
    "RenderLimits",
    "SafeURLFetcher",
    "canonical_json",
    "extract_attachment",
    "render_pdf",
]

DEFAULT_ATTACHMENT_NAME = "data.json"
ISOLATION_MODES = ("process", "inline")
_ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def canonical_json(data) -> bytes:
    """The one serialisation of attachment data: sorted keys, no ASCII escaping, fixed separators, UTF-8."""
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RenderError(f"The attachment data is not plain JSON: {exc}") from exc
    return text.encode("utf-8")


def render_pdf(
    *,
    template: str,
    context: dict,
    attachment: dict,
    title: str,
    attachment_name: str = DEFAULT_ATTACHMENT_NAME,
    fetcher: SafeURLFetcher | None = None,
    limits: RenderLimits | None = None,
) -> bytes:
    """Render `template` with `context` to PDF/A-3b bytes carrying `attachment` as canonical JSON.

    Raises `RenderError` for every failure: template, WeasyPrint, a limit, the time bound.
    """
    from django.template.loader import render_to_string

    from .engine import RenderJob, run_inline, run_isolated
    from .fetcher import SafeURLFetcher

    limits = limits if limits is not None else RenderLimits()
    fetcher = fetcher if fetcher is not None else SafeURLFetcher()
    if not isinstance(fetcher, SafeURLFetcher):
        raise RenderError("The fetcher must be a SafeURLFetcher.")
    if not isinstance(attachment, Mapping):
        raise RenderError("The attachment must be a dict.")
    if not isinstance(attachment_name, str) or not _ATTACHMENT_NAME.fullmatch(attachment_name):
        raise RenderError(f"Invalid attachment name: {attachment_name!r}.")
    if not isinstance(title, str) or not title.strip():
        raise RenderError("A document needs a title.")
    isolation = _setting("PDF_RENDER_ISOLATION", "process")
    if isolation not in ISOLATION_MODES:
        raise RenderError(f"PDF_RENDER_ISOLATION must be one of {ISOLATION_MODES}, not {isolation!r}.")

    data = canonical_json(attachment)
    digest = hashlib.sha256(data).hexdigest()
    issued_at = _issue_date(context)
    try:
        html = render_to_string(template, context)
    except Exception as exc:
        raise RenderError(f"The template {template!r} could not be rendered: {type(exc).__name__}: {exc}") from exc
    if len(html) > limits.max_html_chars:
        raise RenderError(
            f"The rendered HTML has {len(html)} characters, over the limit of {limits.max_html_chars} (max_html_chars)."
        )

    job = RenderJob(
        html=html,
        title=title,
        attachment=data,
        attachment_name=attachment_name,
        attachment_description=f"Data of this document as canonical JSON (UTF-8), SHA-256 {digest}",
        identifier=digest[:32].encode("ascii"),
        issued_at=issued_at,
        max_pages=limits.max_pages,
        fetcher=fetcher,
    )
    outcome = run_isolated(job, limits) if isolation == "process" else run_inline(job, limits)
    if len(outcome.pdf) > limits.max_bytes:
        raise RenderError(f"The PDF has {len(outcome.pdf)} bytes, over the limit of {limits.max_bytes} (max_bytes).")
    return outcome.pdf


def extract_attachment(pdf_bytes: bytes, name: str | None = None) -> dict:
    """The JSON data embedded by `render_pdf`, parsed: the attachment `name`, by default the only one
    (or ``data.json`` when there are several). `RenderError` when it is missing or not a JSON object."""
    from pypdf import PdfReader

    try:
        attachments = dict(PdfReader(BytesIO(pdf_bytes)).attachments)
    except Exception as exc:
        raise RenderError(f"Not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if name is None:
        name = next(iter(attachments)) if len(attachments) == 1 else DEFAULT_ATTACHMENT_NAME
    contents = attachments.get(name)
    if not contents:
        raise RenderError(f"The PDF has no attachment named {name!r} (it has {sorted(attachments)}).")
    try:
        data = json.loads(contents[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RenderError(f"The attachment {name!r} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RenderError(f"The attachment {name!r} is not a JSON object.")
    return data


def _issue_date(context) -> str | None:
    """``context["document"]["issued_at"]`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or None when it is empty."""
    document = context.get("document") if isinstance(context, Mapping) else None
    value = document.get("issued_at") if isinstance(document, Mapping) else None
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise RenderError(f"document.issued_at is not an ISO 8601 date-time: {value!r}.") from None
    if moment.tzinfo is None:  # the documents' dates are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
