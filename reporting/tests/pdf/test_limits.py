"""Every failure is a RenderError naming its cause; renders are bounded in size, pages and time."""

import re
import time

import pytest

from reporting.pdf import RenderError, RenderLimits, engine, extract_attachment, render_pdf
from reporting.tests.pdf import samples
from reporting.tests.pdf.helpers import page_count


def render(name="notification", context=None, **kwargs):
    context = context if context is not None else getattr(samples, f"{name}_context")()
    kwargs.setdefault("attachment", samples.attachment_for(context))
    kwargs.setdefault("title", context["document"]["title"])
    return render_pdf(template=f"reporting/pdf/{name}.html", context=context, **kwargs)


def long_report(entries=400):
    context = samples.post_incident_report_context()
    context["timeline"] = [
        {"at": "2025-06-02T07:15:00+00:00", "kind": "Note", "summary": f"Entry {number}", "actor": "someone"}
        for number in range(entries)
    ]
    return context


def test_limits_default_to_the_settings_and_then_to_the_documented_values(settings):
    for name in ("PDF_RENDER_TIMEOUT", "PDF_MAX_HTML_CHARS", "PDF_MAX_PAGES", "PDF_MAX_BYTES"):
        if hasattr(settings, name):
            delattr(settings, name)

    assert RenderLimits() == RenderLimits(
        timeout_seconds=30, max_html_chars=2_000_000, max_pages=200, max_bytes=20_000_000
    )

    settings.PDF_RENDER_TIMEOUT = 5
    settings.PDF_MAX_HTML_CHARS = 1000
    settings.PDF_MAX_PAGES = 7
    settings.PDF_MAX_BYTES = 12345

    assert RenderLimits() == RenderLimits(timeout_seconds=5, max_html_chars=1000, max_pages=7, max_bytes=12345)
    assert RenderLimits(max_pages=3).max_pages == 3


@pytest.mark.parametrize("field", ["timeout_seconds", "max_html_chars", "max_pages", "max_bytes"])
def test_limits_must_be_positive(field):
    with pytest.raises(ValueError, match=field):
        RenderLimits(**{field: 0})


def test_too_much_html_is_refused_before_weasyprint_sees_it(monkeypatch):
    monkeypatch.setattr(engine, "render_job", lambda job: pytest.fail("WeasyPrint must not run"))
    context = samples.notification_context()
    context["incident"]["summary"] = "x" * 50_000

    with pytest.raises(RenderError, match=r"max_html_chars"):
        render(context=context, limits=RenderLimits(max_html_chars=40_000))


def test_too_many_pages_are_refused():
    context = long_report()

    with pytest.raises(RenderError, match=r"pages, over the limit of 3 \(max_pages\)"):
        render("post_incident_report", context, limits=RenderLimits(max_pages=3))


def test_a_long_report_within_the_page_limit_renders():
    pdf = render("post_incident_report", long_report(), limits=RenderLimits(max_pages=50))

    assert 3 < page_count(pdf) <= 50


def test_a_pdf_over_the_byte_limit_is_refused():
    with pytest.raises(RenderError, match=r"over the limit of 5000 \(max_bytes\)"):
        render(limits=RenderLimits(max_bytes=5000))


def test_an_inline_render_over_the_time_limit_is_refused(monkeypatch):
    real_render_job = engine.render_job

    def slow_render_job(job):
        time.sleep(0.3)
        return real_render_job(job)

    monkeypatch.setattr(engine, "render_job", slow_render_job)

    with pytest.raises(RenderError, match=r"over the limit of 0.2 s \(timeout_seconds\)"):
        render(limits=RenderLimits(timeout_seconds=0.2))


def test_an_unknown_isolation_mode_is_refused(settings):
    settings.PDF_RENDER_ISOLATION = "thread"

    with pytest.raises(RenderError, match="PDF_RENDER_ISOLATION"):
        render()


def test_a_missing_template_is_a_render_error():
    with pytest.raises(RenderError, match=re.escape("reporting/pdf/no_such_document.html")):
        render_pdf(
            template="reporting/pdf/no_such_document.html",
            context=samples.notification_context(),
            attachment={},
            title="Missing",
        )


def test_a_broken_template_is_a_render_error(test_templates):
    with pytest.raises(RenderError, match="TemplateSyntaxError"):
        render_pdf(template="pdf_tests/broken.html", context=samples.notification_context(), attachment={}, title="x")


def test_weasyprint_failures_are_render_errors(monkeypatch):
    import weasyprint

    def explode(self, *args, **kwargs):
        raise AssertionError("layout exploded")

    monkeypatch.setattr(weasyprint.HTML, "render", explode)

    with pytest.raises(RenderError, match="layout exploded"):
        render()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attachment": {"when": object()}}, "not plain JSON"),
        ({"attachment": {"ratio": float("nan")}}, "not plain JSON"),
        ({"attachment": ["not", "a", "dict"]}, "must be a dict"),
        ({"attachment_name": "../data.json"}, "Invalid attachment name"),
        ({"title": "  "}, "title"),
        ({"fetcher": object()}, "SafeURLFetcher"),
    ],
)
def test_bad_arguments_are_render_errors(kwargs, message):
    with pytest.raises(RenderError, match=message):
        render(**kwargs)


def test_an_issue_date_that_is_not_iso_8601_is_a_render_error():
    context = samples.notification_context()
    context["document"]["issued_at"] = "3 June 2025"

    with pytest.raises(RenderError, match="issued_at"):
        render(context=context)


def test_reading_the_data_back_from_something_else_is_a_render_error():
    with pytest.raises(RenderError, match="Not a readable PDF"):
        extract_attachment(b"not a pdf")
    with pytest.raises(RenderError, match=re.escape("no attachment named 'other.json'")):
        extract_attachment(render(), "other.json")


def test_a_custom_attachment_name_is_used_and_read_back():
    pdf = render(attachment={"a": 1}, attachment_name="notification.json")

    assert extract_attachment(pdf) == {"a": 1}
    assert extract_attachment(pdf, "notification.json") == {"a": 1}
