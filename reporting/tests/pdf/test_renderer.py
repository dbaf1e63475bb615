"""The long-lived renderer process: reused from one render to the next, stopped and replaced when a render is late
or it crashes, and rendering the same bytes as an in-process render. One renderer serves the whole module; only
the tests that must kill it do."""

import os

import pytest

from reporting.pdf import RenderError, RenderLimits, SafeURLFetcher, extract_attachment, render_pdf
from reporting.pdf.renderer import current_renderer
from reporting.tests.pdf import samples
from reporting.tests.pdf.helpers import CrashingFetcher, StallingFetcher, page_count


@pytest.fixture(autouse=True)
def _renderer_process(settings):
    settings.PDF_RENDER_ISOLATION = "process"


def render(name="notification", context=None, **kwargs):
    context = context if context is not None else getattr(samples, f"{name}_context")()
    kwargs.setdefault("attachment", samples.attachment_for(context))
    kwargs.setdefault("title", context["document"]["title"])
    return render_pdf(template=f"reporting/pdf/{name}.html", context=context, **kwargs)


def gone(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_renderer_process_is_reused_and_renders_the_same_bytes_as_an_in_process_render(settings):
    fetcher = SafeURLFetcher()
    first = render("disclosure_decision", fetcher=fetcher)
    pid = current_renderer().pid
    second = render("disclosure_decision")
    settings.PDF_RENDER_ISOLATION = "inline"
    inline = render("disclosure_decision")

    assert pid is not None and current_renderer().pid == pid and pid != os.getpid()
    assert first == second == inline
    assert extract_attachment(first) == samples.attachment_for(samples.disclosure_decision_context())
    assert fetcher.requested == fetcher.served == ["portal-static:///document.css"]


def test_limits_are_checked_in_the_renderer_process_too():
    with pytest.raises(RenderError, match=r"max_pages"):
        render("post_incident_report", limits=RenderLimits(max_pages=1))
    assert current_renderer().pid is not None  # a refused document does not cost the renderer


def test_a_crash_of_the_renderer_is_a_clear_error_and_the_next_render_gets_a_new_renderer():
    render()
    crashed = current_renderer().pid

    with pytest.raises(RenderError, match=r"renderer process ended without a result \(exit code 70\)"):
        render(fetcher=CrashingFetcher())

    assert gone(crashed)
    assert page_count(render()) >= 1 and current_renderer().pid not in (None, crashed)


def test_a_render_that_does_not_finish_in_time_kills_the_renderer_and_the_next_render_works():
    render()
    stalled = current_renderer().pid

    with pytest.raises(RenderError, match=r"did not finish within 3 s \(timeout_seconds\); the renderer process "
                                          r"was stopped"):
        render(fetcher=StallingFetcher(), limits=RenderLimits(timeout_seconds=3))

    assert gone(stalled) and current_renderer().pid is None
    assert page_count(render()) >= 1 and current_renderer().pid not in (None, stalled)


def test_a_renderer_is_retired_after_its_number_of_jobs(monkeypatch):
    renderer = current_renderer()
    render()
    assert renderer.pid is not None
    monkeypatch.setattr(renderer, "max_jobs", 1)

    render()

    assert renderer.pid is None  # retired; the next render starts a fresh one


def test_a_process_forked_after_its_renderer_started_starts_its_own_and_leaves_the_parents_alone():
    render()
    parent_renderer = current_renderer().pid

    child = os.fork()
    if child == 0:  # a pre-forking server's new worker: the parent's renderer is not its own
        os._exit(0 if current_renderer().pid is None else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert current_renderer().pid == parent_renderer and not gone(parent_renderer)
