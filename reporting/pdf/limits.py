"""`RenderError` and `RenderLimits`: what a render may cost, and the one exception for every failure."""

from __future__ import annotations

from dataclasses import dataclass, field


class RenderError(Exception):
    """A document could not be rendered (template, WeasyPrint, a limit, the time bound) or read back."""


def _setting(name: str, default):
    """`settings.<name>` when Django is configured and sets it, `default` otherwise."""
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # settings not configured (e.g. inside the renderer's child process)
        return default


@dataclass(frozen=True)
class RenderLimits:
    """Bounds of one render. Each default comes from a Django setting when it is set.

    ``timeout_seconds`` (``PDF_RENDER_TIMEOUT``): wall-clock time of the WeasyPrint step, child start-up included;
    ``max_html_chars`` (``PDF_MAX_HTML_CHARS``): size of the rendered template;
    ``max_pages`` (``PDF_MAX_PAGES``): pages after layout, checked before the PDF is written;
    ``max_bytes`` (``PDF_MAX_BYTES``): size of the finished PDF.
    """

    timeout_seconds: float = field(default_factory=lambda: _setting("PDF_RENDER_TIMEOUT", 30))
    max_html_chars: int = field(default_factory=lambda: _setting("PDF_MAX_HTML_CHARS", 2_000_000))
    max_pages: int = field(default_factory=lambda: _setting("PDF_MAX_PAGES", 200))
    max_bytes: int = field(default_factory=lambda: _setting("PDF_MAX_BYTES", 20_000_000))

    def __post_init__(self):
        for name in ("timeout_seconds", "max_html_chars", "max_pages", "max_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"RenderLimits.{name} must be a positive number, not {value!r}.")
