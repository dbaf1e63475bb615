"""The renderer loads the project's own PDF assets and nothing else: no network, no other file."""

import builtins
import io
import os
import socket
import urllib.request
from pathlib import Path

import pytest
import weasyprint
from weasyprint.urls import URLFetcher

from reporting.pdf import ASSET_ROOT, FetchRefused, SafeURLFetcher, render_pdf
from reporting.tests.pdf import samples
from reporting.tests.pdf.helpers import embedded_files, pdf_text

CSS_URL = "portal-static:///document.css"
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "daemon:x:")


@pytest.fixture
def outside_world(monkeypatch):
    """Records (and refuses) every network or urllib access, and every file opened from Python.

    The root conftest already makes a non-loopback connect raise, but WeasyPrint swallows fetch errors, so an
    attempt would go unnoticed: here it is written down as well.
    """
    attempts = {"network": [], "opened": []}

    def refuse(kind):
        def refused(*args, **kwargs):
            attempts["network"].append((kind, args[1:] if kind == "connect" else args))
            raise OSError(f"{kind} refused by the test")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse("urllib"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))

    real_open, real_os_open = io.open, os.open

    def spy_open(file, *args, **kwargs):
        attempts["opened"].append(os.fsdecode(file) if isinstance(file, str | bytes | os.PathLike) else file)
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        attempts["opened"].append(os.fsdecode(path))
        return real_os_open(path, *args, **kwargs)

    def start():
        monkeypatch.setattr(io, "open", spy_open)
        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)

    attempts["start"] = start
    return attempts


def render_hostile(fetcher):
    context = samples.notification_context()
    return render_pdf(
        template="pdf_tests/hostile.html",
        context=context,
        attachment={"probe": True},
        title="Hostile markup",
        fetcher=fetcher,
    )


def test_hostile_markup_loads_nothing_but_the_project_stylesheet(test_templates, outside_world):
    render_hostile(SafeURLFetcher())  # warm-up: first-use imports and caches open files of their own
    fetcher = SafeURLFetcher()
    outside_world["start"]()

    pdf = render_hostile(fetcher)

    assert fetcher.served == [CSS_URL]
    assert outside_world["network"] == []
    weasyprint_dir = Path(weasyprint.__file__).resolve().parent
    for opened in outside_world["opened"]:
        path = Path(opened).resolve()
        # the project stylesheet (through the fetcher) and WeasyPrint's own sRGB profile, nothing else
        assert path.is_relative_to(ASSET_ROOT) or path.is_relative_to(weasyprint_dir), opened
    text = pdf_text(pdf)
    assert "Hostile markup test." in text
    for marker in PASSWD_MARKERS:
        assert marker not in text
        assert marker.encode() not in pdf
    assert list(embedded_files(pdf)) == ["data.json"]  # <link rel=attachment> brought nothing in


def test_hostile_markup_was_asked_for_and_refused_url_by_url(test_templates):
    fetcher = SafeURLFetcher()

    render_hostile(fetcher)

    refused = dict(fetcher.refused)
    for url in (
        "http://evil.example/x.css",
        "https://evil.example/y.css",
        "file:///etc/passwd",
        "http://evil.example/import.css",
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://evil.example/pixel.png",
        "http://evil.example/inline-bg.png",
        "file:///etc/hostname",
        "http://evil.example/font.woff2",
        "portal-static://evil.example/document.css",
        "ftp://evil.example/z.css",
    ):
        assert url in refused, url
    assert any(url.startswith("data:") for url in refused)
    # relative traversal is resolved against the private base, never against the file system
    assert "portal-static:///etc/passwd" in refused
    assert "portal-static:///etc/hostname" in refused
    assert all(url == CSS_URL for url in fetcher.served)
    assert set(fetcher.requested) == set(refused) | {CSS_URL}


def test_the_fetcher_is_a_weasyprint_url_fetcher_without_any_urllib_handler():
    fetcher = SafeURLFetcher()

    assert isinstance(fetcher, URLFetcher)
    assert fetcher.handlers == []
    assert fetcher.handle_open == {}


def test_the_fetcher_serves_the_project_stylesheet_with_its_content_type():
    fetcher = SafeURLFetcher()

    response = fetcher.fetch(CSS_URL)

    assert response.read() == (ASSET_ROOT / "document.css").read_bytes()
    assert response.content_type == "text/css"
    assert response.charset == "utf-8"
    assert fetcher.requested == fetcher.served == [CSS_URL]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{ASSET_ROOT}/document.css",
        "http://169.254.169.254/latest/meta-data/",
        "https://evil.example/document.css",
        "ftp://evil.example/document.css",
        "data:text/css,body{}",
        "portal-static://evil.example/document.css",
        "portal-static://localhost/document.css",
        "portal-static:///../../../../etc/passwd",
        "portal-static:///%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "portal-static:///..%2f..%2f..%2fpdf%2ffetcher.py",
        "portal-static:///%2e%2e%2f%2e%2e%2f%2e%2e%2fapps.py",
        "portal-static:///document.css%00.png",
        "portal-static:///..\\..\\apps.py",
        "portal-static:///missing.css",
        "portal-static:///",
        "portal-static:///etc/passwd",
        "PORTAL-STATIC://evil.example/document.css",
        "document.css",
        "/etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_an_asset_of_its_folder(url, outside_world):
    fetcher = SafeURLFetcher()
    outside_world["start"]()

    with pytest.raises(FetchRefused):
        fetcher.fetch(url)

    assert fetcher.served == []
    assert fetcher.requested == [url]
    assert outside_world["network"] == []
    assert outside_world["opened"] == []


def test_the_fetcher_refuses_a_file_type_that_is_not_an_asset(tmp_path):
    (tmp_path / "notes.txt").write_text("secret")
    (tmp_path / "page.html").write_text("<p>")

    fetcher = SafeURLFetcher(root=tmp_path)

    for name in ("notes.txt", "page.html"):
        with pytest.raises(FetchRefused, match="file type"):
            fetcher.fetch(f"portal-static:///{name}")


def test_the_fetcher_does_not_follow_a_symbolic_link_out_of_its_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.css").write_text("body { color: red }")
    root = tmp_path / "assets"
    root.mkdir()
    (root / "linked.css").symlink_to(outside / "secret.css")
    (root / "inside.css").write_text("p {}")

    fetcher = SafeURLFetcher(root=root)

    with pytest.raises(FetchRefused, match="outside"):
        fetcher.fetch("portal-static:///linked.css")
    assert fetcher.fetch("portal-static:///inside.css").read() == b"p {}"


def test_the_opener_interface_goes_through_the_same_checks(outside_world):
    fetcher = SafeURLFetcher()
    outside_world["start"]()

    with pytest.raises(FetchRefused):
        fetcher.open("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchRefused):
        fetcher.open(urllib.request.Request("file:///etc/passwd"))  # noqa: S310 (must be refused)

    assert fetcher.open(CSS_URL).read().startswith(b"/*")
    assert outside_world["network"] == []


def test_a_refused_fetch_does_not_abort_the_document(test_templates):
    pdf = render_hostile(SafeURLFetcher())

    assert pdf.startswith(b"%PDF-")
    assert "Hostile markup test." in pdf_text(pdf)
