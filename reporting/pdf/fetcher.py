"""The only way a rendered document can load anything: the project's own PDF assets, nothing else.

WeasyPrint asks its URL fetcher for every stylesheet, image, font, SVG reference, ``<object>``/``<embed>``
and ``<link rel=attachment>``. `SafeURLFetcher` answers from one folder of this app
(``reporting/static/reporting/pdf/``) under a private URL scheme, and refuses everything else:

* any scheme but ``portal-static`` (``file:``, ``http(s):``, ``ftp:``, ``data:``...), any host part;
* any path that does not resolve (symbolic links followed) to a regular file inside that folder,
  explicit ``..`` segments included; NUL bytes and backslashes;
* any file type that is not a stylesheet, image or font.

A refusal raises `FetchRefused` (a ``ValueError``), which WeasyPrint catches: the resource simply does not
load and the document still renders. The fetcher has no urllib handlers at all, so even a caller of the
inherited ``OpenerDirector`` API cannot make it open a connection or a file.

The private scheme is registered with ``urllib.parse`` (as one that uses relative references and a netloc)
so that WeasyPrint resolves ``href="document.css"`` against the base URL ``portal-static:///``. The base URL
names no path of the machine, so nothing of the installation leaks into a PDF and the same record renders
to the same bytes wherever the project is installed.

This module imports no Django: it also runs in the renderer's child process.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from urllib import request

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "portal-static"
BASE_URL = f"{SCHEME}:///"
ASSET_ROOT = Path(__file__).resolve().parent.parent / "static" / "reporting" / "pdf"

# What may be served, by file suffix, with the content type WeasyPrint is told.
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}

for _schemes in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
    if SCHEME not in _schemes:
        _schemes.append(SCHEME)


class FetchRefused(ValueError):
    """A URL the renderer may not load. WeasyPrint catches it; the resource is left out."""


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only ``reporting/static/reporting/pdf/`` and records every request.

    ``requested``: every URL WeasyPrint asked for, in order; ``served``: those it got; ``refused``:
    ``(url, reason)`` for the others. When the render runs in a child process the records are copied back
    into this instance when the child finishes.
    """

    def __init__(self, root: str | Path | None = None):
        super().__init__(timeout=1, allowed_protocols=(SCHEME,), allow_redirects=False, fail_on_errors=False)
        # No urllib handler at all: this opener cannot open a connection or a file, whatever API is used.
        self.handlers = []
        self.handle_open = {}
        self.handle_error = {}
        self.process_request = {}
        self.process_response = {}
        self.root = Path(root if root is not None else ASSET_ROOT).resolve()
        self.requested: list[str] = []
        self.served: list[str] = []
        self.refused: list[tuple[str, str]] = []

    def __reduce__(self):
        # Sent to the renderer process as "a fresh fetcher for this folder"; records come back separately.
        return (type(self), (str(self.root),))

    def fetch(self, url, headers=None):
        self.requested.append(url)
        try:
            path, content_type = self.resolve(url)
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise FetchRefused(f"cannot read {url}: {exc.strerror}") from None
        except FetchRefused as exc:
            self.refused.append((url, str(exc)))
            raise
        self.served.append(url)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type}, status=200)

    def open(self, url, data=None, timeout=None):
        """The ``OpenerDirector`` entry point, routed through the same checks (never through urllib)."""
        return self.fetch(url.full_url if isinstance(url, request.Request) else url)

    def resolve(self, url: str) -> tuple[Path, str]:
        """The file `url` names inside the asset folder, and its content type; `FetchRefused` otherwise."""
        if not isinstance(url, str):
            raise FetchRefused("not a URL")
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            raise FetchRefused(f"malformed URL: {url}") from None
        if parts.scheme.lower() != SCHEME:
            raise FetchRefused(f"scheme not allowed: {parts.scheme or '(none)'}")
        if parts.netloc:
            raise FetchRefused(f"host not allowed: {parts.netloc}")
        relative = urllib.parse.unquote(parts.path)
        if "\x00" in relative or "\\" in relative:
            raise FetchRefused("invalid character in path")
        segments = [segment for segment in relative.split("/") if segment not in ("", ".")]
        if not segments or ".." in segments:
            raise FetchRefused(f"path not allowed: {relative}")
        content_type = CONTENT_TYPES.get(Path(segments[-1]).suffix.lower())
        if content_type is None:
            raise FetchRefused(f"file type not allowed: {segments[-1]}")
        try:
            path = self.root.joinpath(*segments).resolve(strict=True)
        except (OSError, RuntimeError):
            raise FetchRefused(f"no such asset: {relative}") from None
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"outside the asset folder: {relative}")
        return path, content_type
