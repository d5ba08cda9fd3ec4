"""Locked-down PDF rendering (documents.render): nothing is fetched but the app's static
files, hostile text stays text, and every render is bounded in size and time.

Most tests here need no database; pytest-django blocks database access in them, and the
forked rendering process inherits that block, so these renders also prove the child never
touches the database."""

import io
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.urls import URLFetcher, URLFetcherResponse

from documents import render as r
from documents.render import (
    FetchLog,
    FetchRefused,
    RenderFailed,
    RenderRefused,
    RenderTimeout,
    SafeURLFetcher,
    render,
    render_in_process,
    render_pdf,
    safe_url_fetcher,
)

STATIC_DIR = Path(django_settings.BASE_DIR) / "static"
PRINT_CSS = "app://static/css/print.css"
MARK_PNG = "app://static/img/print-mark.png"

LOA_TEMPLATE = Template(
    "{% load static %}<!doctype html><html><head><title>LOA</title>"
    '<link rel="stylesheet" href="{% static \'css/print.css\' %}"></head><body>'
    '<img class="logo" src="{% static \'img/print-mark.png\' %}" alt="">'
    "<h1>Letter of authorization</h1>"
    "<p>Business name: <span class=name>{{ business_name }}</span></p>"
    "<p>Notes: {{ notes }}</p>"
    "</body></html>"
)


# --- helpers ------------------------------------------------------------------------


def _pdf(data: bytes) -> PdfFileReader:
    assert data.startswith(b"%PDF-")
    return PdfFileReader(io.BytesIO(data))


def _pages(data: bytes) -> list:
    return [kid.get_object() for kid in _pdf(data).root["/Pages"]["/Kids"]]


def _image_count(data: bytes) -> int:
    count = 0
    for page in _pages(data):
        xobjects = page["/Resources"].get("/XObject", {})
        count += sum(1 for key in xobjects if xobjects[key].get("/Subtype") == "/Image")
    return count


def _embedded_files(data: bytes) -> bool:
    root = _pdf(data).root
    if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
        return True
    return any(
        annot.get("/Subtype") == "/FileAttachment"
        for page in _pages(data)
        for annot in page.get("/Annots", [])
    )


def _text(document) -> str:
    return "".join(
        box.text
        for page in document.pages
        for box in page._page_box.descendants()
        if hasattr(box, "text")
    )


def _gone(pid: int) -> bool:
    """The process is neither running nor a zombie waiting to be reaped."""
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class _Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.setblocking(False)
        self.port = self.server.getsockname()[1]

    def connections(self) -> int:
        accepted = 0
        while True:
            try:
                conn, _ = self.server.accept()
            except BlockingIOError:
                return accepted
            conn.close()
            accepted += 1


@pytest.fixture
def listener():
    listening = _Listener()
    yield listening
    listening.server.close()


# --- a minimal document -------------------------------------------------------------


def test_a_minimal_document_is_a_one_page_letter_pdf():
    result = render("<h1>Hello</h1><p>One page.</p>", stylesheets=["css/print.css"])
    pages = _pages(result.pdf)
    assert result.pages == 1 == len(pages)
    assert [float(x) for x in pages[0]["/MediaBox"]] == [0, 0, 612, 792]  # US Letter
    fonts = pages[0]["/Resources"]["/Font"]
    assert all("DejaVu-Sans" in str(fonts[key]["/BaseFont"]) for key in fonts)
    assert result.fetch_log.served == [PRINT_CSS]
    assert result.fetch_log.refused == []
    assert render_pdf("<p>x</p>").startswith(b"%PDF-")


def test_many_documents_render_as_pages_of_one_pdf():
    sections = "".join(
        f'<section class="document"><h1>Checklist {n}</h1><p>Phone {n}</p></section>'
        for n in range(5)
    )
    result = render(sections, stylesheets=["css/print.css"])
    assert result.pages == 5 == len(_pages(result.pdf))


def test_bundled_assets_are_fetched_from_static():
    html = LOA_TEMPLATE.render(Context({"business_name": "Acme Dental", "notes": "-"}))
    assert '<link rel="stylesheet" href="/static/css/print.css">' in html
    result = render(html)
    # {% static %} gives /static/..., which resolves against app://static/.
    assert result.fetch_log.served == [
        "app://static/static/css/print.css",
        "app://static/static/img/print-mark.png",
    ]
    assert result.fetch_log.refused == []
    assert _image_count(result.pdf) == 1


# --- hostile values through the template --------------------------------------------


def test_hostile_business_names_are_escaped_and_fetch_nothing(listener):
    hostile = {
        "business_name": '<img src="file:///etc/passwd">',
        "notes": (
            f'<link rel=stylesheet href="http://127.0.0.1:{listener.port}/x.css">'
            '<img src="http://169.254.169.254/latest/meta-data">'
            '<img src="app://static/../../../etc/passwd">'
            "<style>@import url(file:///etc/passwd);</style>"
        ),
    }
    html = LOA_TEMPLATE.render(Context(hostile))
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert '<img src="file' not in html
    assert "<style>@import" not in html
    assert '<link rel=stylesheet href="http' not in html

    result = render(html)
    # Only our own two assets were asked for; the hostile URLs never reached the fetcher.
    assert result.fetch_log.served == [
        "app://static/static/css/print.css",
        "app://static/static/img/print-mark.png",
    ]
    assert result.fetch_log.refused == []
    assert listener.connections() == 0
    assert _image_count(result.pdf) == 1

    # ...and they are printed as the text they are.
    text = _text(render_in_process(html))
    assert '<img src="file:///etc/passwd">' in text
    assert "http://169.254.169.254/latest/meta-data" in text
    assert "root:" not in text


# --- hostile raw HTML: the fetcher itself -------------------------------------------


def test_the_fetcher_refuses_every_hostile_url_in_raw_html(listener, tmp_path):
    secret_png = tmp_path / "secret.png"
    secret_png.write_bytes((STATIC_DIR / "img" / "print-mark.png").read_bytes())
    port = listener.port
    svg = (
        "data:image/svg+xml,"
        "%3Csvg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'"
        " width='10' height='10'%3E%3Cimage width='10' height='10'"
        f" href='http://127.0.0.1:{port}/svg.png'/%3E%3C/svg%3E"
    )
    font = "file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    html = f"""<html><head>
    <link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
    <link rel="stylesheet" href="file:///etc/passwd">
    <link rel="attachment" href="file:///etc/hostname">
    <style>
      @import url(file:///etc/passwd);
      @import url("https://127.0.0.1:{port}/import.css");
      @font-face {{ font-family: Leak; src: url({font}); }}
      body {{ font-family: Leak, sans-serif; background: url(http://127.0.0.1:{port}/bg.png); }}
    </style></head><body>
    <p>Hostile document</p>
    <img src="file:///etc/passwd">
    <img src="file://{secret_png}">
    <img src="http://169.254.169.254/latest/meta-data">
    <img src="http://127.0.0.1:{port}/pixel.png">
    <img src="//127.0.0.1:{port}/scheme-relative.png">
    <img src="app://static/../../../etc/passwd">
    <img src="app://static/%2e%2e/%2e%2e/etc/passwd">
    <img src="app://127.0.0.1:{port}/img/print-mark.png">
    <img src="ftp://127.0.0.1:{port}/x.png">
    <img src="gopher://127.0.0.1:{port}/x">
    <img src="{svg}">
    <object data="file:///etc/passwd"></object>
    <a rel="attachment" href="file:///etc/passwd">attached</a>
    </body></html>"""

    result = render(html)
    refused = result.fetch_log.refused_urls
    for url in [
        f"http://127.0.0.1:{port}/x.css",
        "file:///etc/passwd",
        "file:///etc/hostname",
        f"https://127.0.0.1:{port}/import.css",
        font,
        f"http://127.0.0.1:{port}/bg.png",
        f"file://{secret_png}",
        "http://169.254.169.254/latest/meta-data",
        f"http://127.0.0.1:{port}/pixel.png",
        f"app://127.0.0.1:{port}/scheme-relative.png",
        "app://static/../../../etc/passwd",
        "app://static/%2e%2e/%2e%2e/etc/passwd",
        f"app://127.0.0.1:{port}/img/print-mark.png",
        f"ftp://127.0.0.1:{port}/x.png",
        f"gopher://127.0.0.1:{port}/x",
        f"http://127.0.0.1:{port}/svg.png",
    ]:
        assert url in refused, url
    # The SVG data: URL itself is served (small, inline); what it points at is not.
    assert all(url.startswith("data:image/svg+xml") for url in result.fetch_log.served)
    assert listener.connections() == 0
    assert _image_count(result.pdf) == 0  # not even the PNG at a file:// URL
    assert not _embedded_files(result.pdf)  # no /etc/passwd attachment
    assert result.pages == 1


def test_a_base_element_cannot_point_relative_urls_at_the_filesystem():
    html = '<html><head><base href="file:///etc/"></head><body><img src="passwd"></body></html>'
    result = render(html)
    assert result.fetch_log.refused_urls == ["file:///etc/passwd"]
    assert result.fetch_log.served == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("FILE:///etc/passwd", "scheme 'file' is not allowed"),
        ("http://127.0.0.1:9/x.css", "scheme 'http' is not allowed"),
        ("https://example.com/x.css", "scheme 'https' is not allowed"),
        ("http://169.254.169.254/latest/meta-data", "scheme 'http' is not allowed"),
        ("javascript:alert(1)", "scheme 'javascript' is not allowed"),
        ("css/print.css", "not an absolute URL"),
        ("/etc/passwd", "not an absolute URL"),
        ("app://static/../../../etc/passwd", "path traversal"),
        ("app://static/css/../../../etc/passwd", "path traversal"),
        ("app://static/%2e%2e/%2E%2E/etc/passwd", "path traversal"),
        ("app://static/./css/print.css", "path traversal"),
        ("app://static/css%5c..%5cprint.css", "forbidden character in path"),
        ("app://static/css/print.css%00.png", "forbidden character in path"),
        ("app://static//etc/passwd", "no such static file"),
        ("app://static/etc/passwd", "no such static file"),
        ("app://static/css/", "not a file"),
        ("app://static/css", "no such static file"),
        ("app://127.0.0.1/css/print.css", "only app://static/ URLs name static files"),
        ("app://static@127.0.0.1/css/print.css", "only app://static/ URLs name static files"),
    ],
)
def test_safe_url_fetcher_refusals(url, reason):
    log = FetchLog()
    with pytest.raises(FetchRefused) as refusal:
        safe_url_fetcher(url, log=log)
    assert str(refusal.value) == reason
    assert log.refused == [(url, reason)]
    assert log.served == []


def test_safe_url_fetcher_serves_static_files_and_small_data_urls():
    log = FetchLog()
    for url in (PRINT_CSS, "app://static/static/css/print.css", "app://static/css/print.css?v=2"):
        response = safe_url_fetcher(url, log=log)
        assert isinstance(response, URLFetcherResponse)
        assert response.content_type == "text/css"
        assert response.read() == (STATIC_DIR / "css" / "print.css").read_bytes()
    png = safe_url_fetcher(MARK_PNG, log=log)
    assert png.content_type == "image/png"
    assert png.read().startswith(b"\x89PNG")
    data = safe_url_fetcher("data:text/css;charset=utf-8,p%20%7B%20color%3A%20red%20%7D", log=log)
    assert data.read() == b"p { color: red }"
    assert data.content_type == "text/css"
    assert data.charset == "utf-8"
    assert len(log.served) == 5
    assert log.refused == []
    # Other apps' bundled static files are ours too.
    admin = safe_url_fetcher("app://static/admin/css/base.css")
    assert admin.content_type == "text/css"


def test_data_urls_are_capped(settings):
    settings.PDF_MAX_DATA_URI_BYTES = 10
    assert safe_url_fetcher("data:,0123456789").read() == b"0123456789"
    assert safe_url_fetcher("data:;base64,MDEyMzQ1Njc4OQ==").read() == b"0123456789"
    log = FetchLog()
    for url in ("data:,01234567890", "data:;base64,MDEyMzQ1Njc4OTA=", "data:," + "x" * 10_000):
        with pytest.raises(FetchRefused, match="data: URL over 10 bytes"):
            safe_url_fetcher(url, log=log)
    # The log keeps a short form of data: URLs, not the payload.
    assert log.refused[-1] == ("data:,... (10006 characters)", "data: URL over 10 bytes")
    with pytest.raises(FetchRefused, match=r"^malformed data: URL$"):
        safe_url_fetcher("data:text/plain")
    with pytest.raises(FetchRefused, match=r"^malformed base64 in data: URL$"):
        safe_url_fetcher("data:image/png;base64,!!!not base64!!!")


def test_a_symlink_out_of_the_static_directory_is_refused(settings, tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "ok.css").write_text("p { color: red }")
    outside = tmp_path / "outside.css"
    outside.write_text("p { color: blue }")
    (static / "css" / "leak.css").symlink_to(outside)
    (static / "etc").symlink_to("/etc")
    settings.STATICFILES_DIRS = [static]
    assert safe_url_fetcher("app://static/css/ok.css").read() == b"p { color: red }"
    for url in ("app://static/css/leak.css", "app://static/etc/hostname"):
        with pytest.raises(FetchRefused, match="outside the static directories"):
            safe_url_fetcher(url)


def test_the_fetcher_is_a_weasyprint_fetcher_that_can_open_nothing_else():
    fetcher = SafeURLFetcher()
    assert isinstance(fetcher, URLFetcher)  # WeasyPrint 70 reads _fail_on_errors off it
    assert fetcher._fail_on_errors is False
    assert fetcher.handlers == []  # no http, ftp, file or data handler to fall back on
    with pytest.raises(FetchRefused):
        fetcher("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetcher.open("http://127.0.0.1:9/")
    assert fetcher.log.refused_urls == ["file:///etc/passwd", "http://127.0.0.1:9/"]


def test_refusals_are_logged_without_credentials_or_queries(caplog):
    html = (
        '<img src="http://admin:hunter2@127.0.0.1:9/x.png?token=s3cret">'
        '<img src="file:///etc/passwd">'
    )
    with caplog.at_level("WARNING", logger="documents.render"):
        render(html)
    messages = [
        record.getMessage() for record in caplog.records if record.name == "documents.render"
    ]
    assert messages == [
        "PDF render: refused to fetch http://127.0.0.1:9/x.png?... (scheme 'http' is not allowed)",
        "PDF render: refused to fetch file:///etc/passwd (scheme 'file' is not allowed)",
    ]
    assert "hunter2" not in caplog.text
    assert "s3cret" not in caplog.text


# --- stylesheets ----------------------------------------------------------------------


def test_stylesheets_must_be_bundled_static_files():
    for stylesheet in ("file:///etc/passwd", "http://127.0.0.1:9/x.css", "css/missing.css"):
        with pytest.raises(RenderRefused, match="refused"):
            render_pdf("<p>x</p>", stylesheets=[stylesheet])
    with pytest.raises(TypeError):
        from weasyprint import CSS

        render_pdf("<p>x</p>", stylesheets=[CSS(string="p { color: red }")])


# --- bounded: size and time ---------------------------------------------------------


def test_html_over_the_size_cap_is_refused_before_rendering(settings, monkeypatch):
    def no_fork():
        raise AssertionError("forked for HTML over the cap")

    monkeypatch.setattr(r.os, "fork", no_fork)
    name = "A" * (6 * 1024 * 1024)  # over the default 5 MB
    with pytest.raises(RenderRefused, match="PDF_MAX_HTML_BYTES"):
        render_pdf(LOA_TEMPLATE.render(Context({"business_name": name})))
    settings.PDF_MAX_HTML_BYTES = 1000
    with pytest.raises(RenderRefused, match="1000-byte limit"):
        render_pdf("<p>" + "é" * 600 + "</p>")  # 600 characters, 1200 bytes


def test_a_one_megabyte_name_is_escaped_and_the_render_is_stopped_at_the_limit():
    """1 MB is under the 5 MB cap, so it is not refused; print.css wraps long words, which
    costs WeasyPrint time growing with the square of the word's length, so it cannot finish.
    The time limit stops it and kills the process."""
    name = "<b>" + "A" * (1024 * 1024) + "</b>"
    html = LOA_TEMPLATE.render(Context({"business_name": name, "notes": "-"}))
    assert len(html.encode()) > 1024 * 1024
    assert "&lt;b&gt;AAAA" in html and "<b>AAAA" not in html

    started = time.monotonic()
    with pytest.raises(RenderTimeout, match="longer than 2 s") as timeout:
        render_pdf(html, timeout_seconds=2)
    assert time.monotonic() - started < 2 + 1.5
    assert timeout.value.timeout_seconds == 2
    assert _gone(timeout.value.pid)


def test_a_one_megabyte_name_without_wrapping_renders_within_the_limit():
    name = "A" * (1024 * 1024)
    html = Template("<p>Business name: {{ name }}</p>").render(Context({"name": name}))
    result = render(html, timeout_seconds=30)
    assert result.pages == 1  # one overflowing line, clipped at the page edge
    assert result.seconds < 30


def test_a_slow_document_hits_the_configured_timeout_and_its_process_is_killed(settings):
    settings.PDF_RENDER_TIMEOUT_SECONDS = 1
    rows = "".join(f"<tr><td>{n}</td><td>row {n}</td></tr>" for n in range(20_000))
    started = time.monotonic()
    with pytest.raises(RenderTimeout) as timeout:
        render_pdf(f"<table>{rows}</table>")
    elapsed = time.monotonic() - started
    assert 1 <= elapsed < 1 + 1.5
    assert timeout.value.timeout_seconds == 1
    assert _gone(timeout.value.pid)
    # The next render is unaffected.
    assert render_pdf("<p>after</p>").startswith(b"%PDF-")


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_the_timeout_must_be_a_positive_number(bad):
    with pytest.raises(ValueError, match="positive"):
        render_pdf("<p>x</p>", timeout_seconds=bad)


# --- failures in the child ------------------------------------------------------------


def test_an_error_in_weasyprint_is_reported(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(r, "render_in_process", boom)
    with pytest.raises(RenderFailed, match="RuntimeError: layout exploded"):
        render_pdf("<p>x</p>")


def test_a_crashed_renderer_is_reported(monkeypatch):
    monkeypatch.setattr(r, "render_in_process", lambda *args, **kwargs: os._exit(3))
    with pytest.raises(RenderFailed, match="died \\(exit status 3\\)"):
        render_pdf("<p>x</p>")


# --- living with Django ---------------------------------------------------------------


@pytest.mark.django_db
def test_rendering_leaves_the_database_connection_usable(org_a):
    from tenancy.models import Organization

    assert render_pdf(f"<h1>{org_a.name}</h1>").startswith(b"%PDF-")
    assert Organization.objects.filter(pk=org_a.pk).exists()


def test_concurrent_renders_from_threads():
    results, errors = [], []

    def work(n):
        try:
            results.append(render(f"<h1>Doc {n}</h1>", stylesheets=["css/print.css"]).pages)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert results == [1] * 6


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("file:///etc/passwd?token=1", "file:///etc/passwd?..."),
        ("https://user:pw@example.com:8443/a.css#x", "https://example.com:8443/a.css?..."),
        ("http://[broken/x?secret", "http://[broken/x?..."),
        ("app://static/a\nFAKE LOG LINE", "app://static/a\\x0aFAKE LOG LINE"),
        ("data:image/png;base64," + "A" * 5000, "data:image/png;base64,... (5022 characters)"),
    ],
)
def test_describe_url_keeps_secrets_and_log_injection_out(url, logged):
    assert r.describe_url(url) == logged
    assert len(r.describe_url("http://example.com/" + "x" * 1000)) == 200
