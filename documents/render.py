"""Locked-down PDF rendering with WeasyPrint 70.

Every PDF the app makes (letters of authorization now, technician checklists later, many
pages in one document) goes through `render_pdf`. Two rules hold for every render:

1. **Nothing is fetched but the app's own static files.** WeasyPrint loads stylesheets,
   images, fonts and attachments through a URL fetcher. Ours (`SafeURLFetcher`) serves
   `app://static/<path>` URLs from the Django staticfiles finders (and the collected
   `STATIC_ROOT`), reading the file from disk itself, and `data:` URLs up to
   `PDF_MAX_DATA_URI_BYTES`. It refuses everything else: `file://`, `http(s)://` and every
   other scheme, paths with `..`, files that resolve (through symlinks) outside the static
   directories, and names no finder knows. A refusal is recorded in a `FetchLog` and
   WeasyPrint skips the resource (it logs and goes on), so a hostile value can at worst
   leave a hole in the page.

2. **The render is bounded.** HTML over `PDF_MAX_HTML_BYTES` is refused before any work;
   the rest is rendered in a forked child process that is killed (SIGKILL) when
   `PDF_RENDER_TIMEOUT_SECONDS` runs out. A process, not `signal.alarm`: request threads
   and Celery threads are not the main thread, and WeasyPrint's layout loops cannot be
   interrupted from inside. The child is pure: it renders and writes the PDF to a pipe; it
   never touches the database and leaves with `os._exit`, so the parent's connections,
   atexit hooks and buffered output are left alone.

Escaping is the caller's job and Django's: build the HTML with templates (autoescaping on),
never by formatting strings. See docs/pdf-rendering.md.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import json
import logging
import math
import mimetypes
import os
import re
import resource
import selectors
import signal
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from urllib import request
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

logger = logging.getLogger(__name__)

APP_SCHEME = "app"
APP_HOST = "static"
DEFAULT_BASE_URL = f"{APP_SCHEME}://{APP_HOST}/"
PRINT_STYLESHEET = "css/print.css"

DEFAULT_TIMEOUT_SECONDS = 30
DEFAULT_MAX_HTML_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_DATA_URI_BYTES = 1024 * 1024

# How many refusals one render logs one by one; the rest are counted.
_LOGGED_REFUSALS = 20
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9.+-]+):")
_HEADER = struct.Struct("!I")

# urljoin() only resolves relative references for schemes it knows; without this,
# "css/print.css" against "app://static/" would stay "css/print.css".
for _registry in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
    if APP_SCHEME not in _registry:
        _registry.append(APP_SCHEME)


class RenderError(Exception):
    """A PDF could not be made."""


class RenderRefused(RenderError):
    """The input was refused before rendering (too large, a stylesheet that is not ours)."""


class RenderTimeout(RenderError):
    """The render ran out of time; its process was killed."""

    def __init__(self, message: str, *, timeout_seconds: float, pid: int, pids=None):
        super().__init__(message)
        self.timeout_seconds = timeout_seconds
        self.pid = pid
        self.pids = list(pids) if pids is not None else [pid]  # every child killed


class RenderFailed(RenderError):
    """WeasyPrint raised, or the rendering process died."""


class FetchRefused(ValueError):
    """A URL the fetcher will not serve. WeasyPrint logs it and skips the resource."""


@dataclass
class FetchLog:
    """What the fetcher served and what it refused during one render.

    URLs are kept as WeasyPrint asked for them, except `data:` URLs, which are shortened
    to their media type and length."""

    served: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def refused_urls(self) -> list[str]:
        return [url for url, _reason in self.refused]

    def record_served(self, url: str) -> None:
        self.served.append(_shorten_data_url(url))

    def record_refused(self, url: str, reason: str) -> None:
        self.refused.append((_shorten_data_url(url), reason))

    def extend(self, other: FetchLog) -> None:
        self.served.extend(other.served)
        self.refused.extend(other.refused)

    def to_dict(self) -> dict:
        return {"served": self.served, "refused": [list(pair) for pair in self.refused]}

    @classmethod
    def from_dict(cls, data: dict) -> FetchLog:
        return cls(
            served=[str(url) for url in data.get("served", [])],
            refused=[(str(url), str(reason)) for url, reason in data.get("refused", [])],
        )


@dataclass
class RenderedPDF:
    pdf: bytes
    pages: int
    fetch_log: FetchLog
    seconds: float
    # The rendering child's memory: resident at its start (a copy of this process) and
    # at its peak, in KiB (Linux; 0 where unknown). Their difference is what the layout
    # of this document needed (docs/performance.md).
    start_rss_kib: int = 0
    peak_rss_kib: int = 0
    # What a composed render reports about itself (`render_composed`).
    info: dict = field(default_factory=dict)
    # Every process of the render together, in KiB: this process's own high-water mark
    # plus the peaks of the children that run at the same time (`render_parallel`: its
    # pieces together, or its join after them, whichever is more). An upper bound: a
    # forked child's resident pages include those it still shares with this process,
    # counted again for each child (docs/performance.md).
    processes_peak_rss_kib: int = 0
    children: int = 1
    # `render_parallel`: the pieces' own memory together at their peaks (private, not
    # shared with this process; sampled every 0.25 s and at the end in each child).
    pieces_private_kib: int = 0
    # What the render held, each page of memory counted once (as a container's memory
    # limit counts it): this process's resident memory while it waited, plus the
    # children's private memory at their peaks (the pieces together, or the join after
    # them, whichever is more). `processes_peak_rss_kib` is the upper bound beside it.
    held_kib: int = 0


# --- URLs ---------------------------------------------------------------------------


def _shorten_data_url(url: str) -> str:
    if url[:5].lower() == "data:":
        header = url[5:].split(",", 1)[0][:60]
        return f"data:{header},... ({len(url)} characters)"
    return url


def describe_url(url: str, limit: int = 200) -> str:
    """A URL fit for a log line: no user:password, query or fragment, no control
    characters, at most `limit` characters."""
    url = _shorten_data_url(url)
    if not url.startswith("data:"):
        without_fragment, hash_sign, _fragment = url.partition("#")
        url, question_mark, _query = without_fragment.partition("?")
        try:
            netloc = urlsplit(url).netloc
        except ValueError:
            netloc = url.partition("//")[2].partition("/")[0]
        if "@" in netloc:
            url = url.replace(netloc, netloc.rpartition("@")[2], 1)
        if question_mark or hash_sign:
            url += "?..."
    url = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in url)
    return url if len(url) <= limit else url[: limit - 3] + "..."


def _static_url_prefix() -> str:
    """The STATIC_URL path ("static/"), so that "/static/css/print.css" from the {% static %}
    tag, resolved against app://static/, finds css/print.css."""
    path = urlsplit(settings.STATIC_URL or "").path.strip("/")
    return f"{path}/" if path else ""


def static_roots() -> list[Path]:
    """Every directory a static file may be served from: the finders' locations (the
    STATICFILES_DIRS and each app's static/) and the collected STATIC_ROOT."""
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            if getattr(storage, "location", None):
                roots.append(storage.location)
        for location in getattr(finder, "locations", []):
            roots.append(location[1] if isinstance(location, tuple) else location)
    if settings.STATIC_ROOT:
        roots.append(settings.STATIC_ROOT)
    return [Path(os.path.realpath(root)) for root in roots]


def resolve_static_url(url: str) -> Path:
    """The file on disk that an `app://static/...` URL names, or `FetchRefused`."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise FetchRefused("malformed URL") from error
    if parts.scheme.lower() != APP_SCHEME or parts.netloc.lower() != APP_HOST:
        raise FetchRefused(f"only {DEFAULT_BASE_URL} URLs name static files")
    path = unquote(parts.path)
    if "\x00" in path or "\\" in path:
        raise FetchRefused("forbidden character in path")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise FetchRefused("path traversal")
    relative = path.lstrip("/")
    prefix = _static_url_prefix()
    if prefix and relative.startswith(prefix):
        relative = relative[len(prefix) :]
    if not relative or relative.endswith("/"):
        raise FetchRefused("not a file")
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation as error:
        raise FetchRefused("path outside the static directories") from error
    if not found and settings.STATIC_ROOT:
        # Collected files, e.g. the hashed names {% static %} gives with the manifest storage.
        found = os.path.join(settings.STATIC_ROOT, relative)
    if not found or not os.path.isfile(found):
        raise FetchRefused("no such static file")
    real = Path(os.path.realpath(found))
    if not any(real.is_relative_to(root) for root in static_roots()):
        raise FetchRefused("path outside the static directories")
    return real


def _decode_data_url(url: str, limit: int) -> tuple[str, bytes]:
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise FetchRefused("malformed data: URL")
    # Base64 is 4 characters per 3 bytes; percent-encoding is up to 3 per byte.
    if len(payload) > 3 * limit + 16:
        raise FetchRefused(f"data: URL over {limit} bytes")
    params = [param.strip() for param in header.split(";")]
    is_base64 = len(params) > 1 and params[-1].lower() == "base64"
    if is_base64:
        params = params[:-1]
    params[0] = params[0].lower() or "text/plain"
    data = unquote_to_bytes(payload)
    if is_base64:
        try:
            data = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError) as error:
            raise FetchRefused("malformed base64 in data: URL") from error
    if len(data) > limit:
        raise FetchRefused(f"data: URL over {limit} bytes")
    return "; ".join(params), data


def safe_url_fetcher(
    url: str, *, log: FetchLog | None = None, max_data_uri_bytes: int | None = None
) -> URLFetcherResponse:
    """Serve `url` if it is one of ours; raise `FetchRefused` otherwise.

    Returns WeasyPrint 70's `URLFetcherResponse` (earlier versions wanted a dict)."""
    if max_data_uri_bytes is None:
        max_data_uri_bytes = _setting("PDF_MAX_DATA_URI_BYTES", DEFAULT_MAX_DATA_URI_BYTES)
    try:
        response = _fetch(url, max_data_uri_bytes)
    except FetchRefused as refusal:
        if log is not None:
            log.record_refused(url, str(refusal))
        raise
    if log is not None:
        log.record_served(url)
    return response


def _fetch(url: str, max_data_uri_bytes: int) -> URLFetcherResponse:
    match = _SCHEME_RE.match(url)
    if not match:
        raise FetchRefused("not an absolute URL")
    scheme = match[1].lower()
    if scheme == "data":
        content_type, data = _decode_data_url(url, max_data_uri_bytes)
        return URLFetcherResponse(url, data, {"Content-Type": content_type})
    if scheme == APP_SCHEME:
        path = resolve_static_url(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
    raise FetchRefused(f"scheme {scheme!r} is not allowed")


class SafeURLFetcher(URLFetcher):
    """The fetcher WeasyPrint is given.

    WeasyPrint 70 wants a `weasyprint.urls.URLFetcher` (it reads `_fail_on_errors` off the
    fetcher, so a plain function no longer works) whose `fetch(url, headers)` returns a
    `URLFetcherResponse`. This one has no urllib handlers at all, so even the base class's
    machinery could open nothing; `fetch` is ours."""

    def __init__(self, log: FetchLog | None = None, *, max_data_uri_bytes: int | None = None):
        request.OpenerDirector.__init__(self)  # no handlers: http, ftp, file all unknown
        self._timeout = 0
        self._http_headers = {}
        self._allowed_protocols = frozenset()
        self._fail_on_errors = False
        self._request = None
        self.log = log if log is not None else FetchLog()
        self.max_data_uri_bytes = max_data_uri_bytes

    def fetch(self, url, headers=None):
        return safe_url_fetcher(url, log=self.log, max_data_uri_bytes=self.max_data_uri_bytes)


class _DropRefusals(logging.Filter):
    """WeasyPrint logs every failed fetch at ERROR with the full URL. For our refusals the
    parent logs one shortened line instead (`_log_refusals`), so drop WeasyPrint's."""

    def filter(self, record):
        return not any(
            isinstance(arg, URLFetchingError) and str(arg).startswith(f"{FetchRefused.__name__}:")
            for arg in (record.args if isinstance(record.args, tuple) else ())
        )


_weasyprint_logger = logging.getLogger("weasyprint")
if not any(isinstance(f, _DropRefusals) for f in _weasyprint_logger.filters):
    _weasyprint_logger.addFilter(_DropRefusals())


# --- rendering ----------------------------------------------------------------------


def _setting(name, default):
    value = getattr(settings, name, None)
    return default if value is None else value


def _timeout(timeout_seconds: float | None) -> float:
    if timeout_seconds is None:
        timeout_seconds = _setting("PDF_RENDER_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    timeout_seconds = float(timeout_seconds)
    if not math.isfinite(timeout_seconds) or timeout_seconds <= 0:
        raise ValueError("the PDF render timeout must be a positive number of seconds")
    return timeout_seconds


def _stylesheet_urls(stylesheets, base_url: str) -> list[str]:
    urls = []
    for stylesheet in stylesheets:
        if not isinstance(stylesheet, str):
            raise TypeError(
                "stylesheets are static paths or app://static/ URLs, not CSS objects "
                "(a CSS object built elsewhere may have fetched anything)"
            )
        url = urljoin(base_url, stylesheet)
        try:
            resolve_static_url(url)
        except FetchRefused as refusal:
            raise RenderRefused(
                f"stylesheet {describe_url(stylesheet)} refused: {refusal}"
            ) from refusal
        urls.append(url)
    return urls


def render_in_process(
    html: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    stylesheet_urls=(),
    fetch_log: FetchLog | None = None,
    max_data_uri_bytes: int | None = None,
    font_config: FontConfiguration | None = None,
):
    """Lay out `html` here, with the safe fetcher but with NO time limit; returns
    WeasyPrint's `Document`. For the child process and for tests that inspect the layout;
    everything else calls `render_pdf`. Layouts whose pages end up in one PDF share a
    `font_config`."""
    fetcher = SafeURLFetcher(fetch_log, max_data_uri_bytes=max_data_uri_bytes)
    font_config = font_config or FontConfiguration()
    css = [CSS(url=url, url_fetcher=fetcher, font_config=font_config) for url in stylesheet_urls]
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.render(font_config=font_config, stylesheets=css)


def render(
    html: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout_seconds: float | None = None,
    stylesheets=(),
    fetch_log: FetchLog | None = None,
) -> RenderedPDF:
    """Render `html` to PDF in a child process under the time limit.

    `stylesheets` are static paths ("css/print.css") or app://static/ URLs, applied as
    author stylesheets after the document's own. Refused resources are recorded in
    `fetch_log` (and logged) and left out of the PDF.

    Raises `RenderRefused` (input over PDF_MAX_HTML_BYTES, a stylesheet that is not a static
    file), `RenderTimeout` (killed at the time limit) or `RenderFailed`."""
    if not isinstance(html, str):
        raise TypeError("render_pdf takes the HTML as a str")
    _check_size(html)
    stylesheet_urls = _stylesheet_urls(stylesheets, base_url)

    def compose(layout):
        return layout(html, stylesheet_urls=stylesheet_urls), None, {}

    return render_composed(
        compose, base_url=base_url, timeout_seconds=timeout_seconds, fetch_log=fetch_log
    )


def _check_size(html: str, max_html_bytes: int | None = None) -> None:
    if max_html_bytes is None:
        max_html_bytes = int(_setting("PDF_MAX_HTML_BYTES", DEFAULT_MAX_HTML_BYTES))
    if len(html) > max_html_bytes or len(html.encode("utf-8")) > max_html_bytes:
        raise RenderRefused(
            f"the HTML is over the {max_html_bytes}-byte limit (PDF_MAX_HTML_BYTES); "
            "shorten the values put into the template"
        )


def render_composed(
    compose,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout_seconds: float | None = None,
    fetch_log: FetchLog | None = None,
) -> RenderedPDF:
    """Render a PDF that is put together from more than one layout pass (a fixed form
    laid out once under many pages: documents/fixed_form.py), in the child process under
    the same rules and time limit as `render`.

    `compose(layout)` runs in the child. `layout(html, stylesheet_urls=(),
    max_html_bytes=None)` lays out one HTML document (safe fetcher; refused over
    `max_html_bytes`, by default PDF_MAX_HTML_BYTES: a many-page document may raise it,
    as its time limit grows; raised as `RenderRefused`) and returns WeasyPrint's
    `Document`.
    `compose` returns `(document, finisher, info)`: the document is written with
    `write_pdf(finisher=finisher)`, and `info` (JSON-able) comes back as
    `RenderedPDF.info`. `compose` must not touch the database: it runs in a fork."""
    timeout = _timeout(timeout_seconds)
    max_data_uri_bytes = int(_setting("PDF_MAX_DATA_URI_BYTES", DEFAULT_MAX_DATA_URI_BYTES))

    def job():
        log = FetchLog()
        font_config = FontConfiguration()

        def layout(html, *, stylesheet_urls=(), max_html_bytes=None):
            _check_size(html, max_html_bytes)
            return render_in_process(
                html,
                base_url=base_url,
                stylesheet_urls=stylesheet_urls,
                fetch_log=log,
                max_data_uri_bytes=max_data_uri_bytes,
                font_config=font_config,
            )

        document, finisher, info = compose(layout)
        written = {}

        def finish(document, pdf):
            if finisher is not None:
                finisher(document, pdf)
            written["pages"] = pdf.pages["Count"]  # what the PDF holds, after the finisher

        return document.write_pdf(finisher=finish), written["pages"], log, info

    _warm_up()
    started = time.monotonic()
    resident = _resident_kib()
    header, pdf = _run_in_child(job, timeout)
    seconds = time.monotonic() - started

    log = FetchLog.from_dict(header.get("fetch_log", {}))
    _log_refusals(log)
    if fetch_log is not None:
        fetch_log.extend(log)
        log = fetch_log
    if not header.get("ok"):
        if header.get("refused"):
            raise RenderRefused(header.get("error", "refused"))
        raise RenderFailed(f"PDF rendering failed: {header.get('error', 'unknown error')}")
    return RenderedPDF(
        pdf=pdf, pages=int(header.get("pages", 0)), fetch_log=log, seconds=seconds,
        start_rss_kib=int(header.get("start_rss_kib", 0)),
        peak_rss_kib=int(header.get("peak_rss_kib", 0)),
        info=header.get("info") or {},
        processes_peak_rss_kib=int(header.get("peak_rss_kib", 0)) + _peak_kib(),
        held_kib=int(header.get("private_peak_kib", 0)) + max(resident, _resident_kib()),
    )  # fmt: skip


def render_parallel(
    parts,
    join,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout_seconds: float | None = None,
    fetch_log: FetchLog | None = None,
) -> RenderedPDF:
    """Render one PDF in pieces at the same time, each piece in a forked child of its
    own, then join the pieces in one more forked child; the same rules as `render` (the
    safe fetcher, nothing from the database) and ONE time limit for all of it, from the
    first fork to the joined PDF. Every child still running at the limit is killed.

    `parts` are callables `compose(layout, emit)`, one child each, started together (give
    as many as there are cores to use). `layout` is `render_composed`'s; `emit(document,
    finisher=None)` writes a laid-out document to PDF at once, so that a piece can lay out
    its pages in batches and keep only one batch's layout in memory; `emit(pdf_bytes,
    pages_in_pdf=n)` adds a PDF the piece wrote itself (documents/fixed_form.assemble).
    `compose` returns its `info` (JSON-able).

    `join(pdfs, infos)` runs in the last child with every piece's PDFs in order (a list
    of bytes, the batches of every piece in turn) and the pieces' infos; it returns
    `(pdf, pages, info)`, and that is the result (documents/join.py joins PDFs). When
    there is one piece and it wrote one PDF, that PDF and its info are the result, with
    no join."""
    timeout = _timeout(timeout_seconds)
    deadline = time.monotonic() + timeout
    max_data_uri_bytes = int(_setting("PDF_MAX_DATA_URI_BYTES", DEFAULT_MAX_DATA_URI_BYTES))

    def piece(compose):
        def job():
            log = FetchLog()
            font_config = FontConfiguration()
            pdfs, pages = [], []

            def layout(html, *, stylesheet_urls=(), max_html_bytes=None):
                _check_size(html, max_html_bytes)
                return render_in_process(
                    html, base_url=base_url, stylesheet_urls=stylesheet_urls, fetch_log=log,
                    max_data_uri_bytes=max_data_uri_bytes, font_config=font_config,
                )  # fmt: skip

            def emit(document, finisher=None, *, pages_in_pdf=None):
                if isinstance(document, bytes):  # a PDF the piece wrote itself
                    pdfs.append(document)
                    pages.append(int(pages_in_pdf))
                    return

                def finish(document, pdf):
                    if finisher is not None:
                        finisher(document, pdf)
                    pages.append(pdf.pages["Count"])

                pdfs.append(document.write_pdf(finisher=finish))

            info = compose(layout, emit)
            sizes = [len(pdf) for pdf in pdfs]
            return b"".join(pdfs), sum(pages), log, {"sizes": sizes, "info": info}

        return job

    _warm_up()
    started = time.monotonic()
    resident = _resident_kib()
    outcomes = _run_in_children([piece(compose) for compose in parts], deadline, timeout)
    log = FetchLog()
    pdfs, infos, peaks, private = [], [], [], 0
    failure = None
    for header, data in outcomes:
        log.extend(FetchLog.from_dict(header.get("fetch_log", {})))
        peaks.append(int(header.get("peak_rss_kib", 0)))
        private += int(header.get("private_peak_kib", 0))
        if not header.get("ok"):
            if failure is None or failure.get("stopped"):  # the cause, not the stopped
                failure = header
            continue
        offset = 0
        for size in header["info"]["sizes"]:
            pdfs.append(data[offset : offset + int(size)])
            offset += int(size)
        infos.append(header["info"]["info"])
    _log_refusals(log)
    if fetch_log is not None:
        fetch_log.extend(log)
        log = fetch_log
    if failure is not None:
        if failure.get("refused"):
            raise RenderRefused(failure.get("error", "refused"))
        raise RenderFailed(f"PDF rendering failed: {failure.get('error', 'unknown error')}")

    if len(pdfs) == 1 and len(outcomes) == 1:  # one piece that wrote one PDF: that is it
        (header, _data), peak = outcomes[0], peaks[0]
        return RenderedPDF(
            pdf=pdfs[0], pages=int(header.get("pages", 0)), fetch_log=log,
            seconds=time.monotonic() - started, start_rss_kib=int(header.get("start_rss_kib", 0)),
            peak_rss_kib=peak, info=infos[0] or {},
            processes_peak_rss_kib=peak + _peak_kib(), pieces_private_kib=private,
            held_kib=private + max(resident, _resident_kib()),
        )  # fmt: skip

    def joined():
        pdf, pages, info = join(pdfs, infos)
        return pdf, pages, FetchLog(), info

    ((header, pdf),) = _run_in_children([joined], deadline, timeout)
    peaks.append(int(header.get("peak_rss_kib", 0)))
    if not header.get("ok"):
        raise RenderFailed(f"joining the PDF failed: {header.get('error', 'unknown error')}")
    return RenderedPDF(
        pdf=pdf, pages=int(header.get("pages", 0)), fetch_log=log,
        seconds=time.monotonic() - started, start_rss_kib=_resident_kib(),
        peak_rss_kib=max(peaks), info=header.get("info") or {},
        # The pieces run together, the join after they have exited.
        processes_peak_rss_kib=max(sum(peaks[:-1]), peaks[-1]) + _peak_kib(),
        children=len(peaks),
        pieces_private_kib=private,
        # The pieces run together, the join after them: the more of the two, over this
        # process's own resident memory while it waited for them.
        held_kib=max(private, int(header.get("private_peak_kib", 0)))
        + max(resident, _resident_kib()),
    )  # fmt: skip


def render_pdf(
    html: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout_seconds: float | None = None,
    stylesheets=(),
    fetch_log: FetchLog | None = None,
) -> bytes:
    """The PDF bytes for `html`; see `render` for the rules and the errors."""
    return render(
        html,
        base_url=base_url,
        timeout_seconds=timeout_seconds,
        stylesheets=stylesheets,
        fetch_log=fetch_log,
    ).pdf


_WARM_UP_HTML = """<h1>Warm-up</h1><p><strong>Bold</strong> <em>italic</em> <code>mono</code></p>
<table><tr><th>A</th><td>1</td></tr></table><img src="img/print-mark.png" alt="">"""
_warm_up_lock = threading.Lock()
_warmed_up = False


def _warm_up() -> None:
    """Render a small fixed document in this process, once, so that every forked child
    starts with fontconfig, Pango, the PDF writer and the image decoders loaded (a one-page
    render measured about 90 ms cold, 40 ms warm). Under a lock, so that no thread forks
    while another is inside Pango here; after it, this process never lays out again."""
    global _warmed_up
    if _warmed_up:
        return
    with _warm_up_lock:
        if _warmed_up:
            return
        try:
            render_in_process(
                _WARM_UP_HTML, stylesheet_urls=[DEFAULT_BASE_URL + PRINT_STYLESHEET]
            ).write_pdf()
        except Exception:  # only a speed-up; the child does the real work
            logger.debug("PDF renderer warm-up failed", exc_info=True)
        _warmed_up = True


def _log_refusals(log: FetchLog) -> None:
    for url, reason in log.refused[:_LOGGED_REFUSALS]:
        logger.warning("PDF render: refused to fetch %s (%s)", describe_url(url), reason)
    if len(log.refused) > _LOGGED_REFUSALS:
        logger.warning("PDF render: refused %d more URLs", len(log.refused) - _LOGGED_REFUSALS)


# --- the child process --------------------------------------------------------------


def _child_payload(job) -> bytes:
    """Run `job` and frame its outcome: a 4-byte length, a JSON header, the PDF bytes.
    JSON rather than pickle: the parent must not unpickle what a process that has just
    chewed on hostile input sends it."""
    pdf = b""
    start_rss_kib = _resident_kib()
    sampler = _PrivateMemorySampler()
    try:
        pdf, pages, log, info = job()
        header = {"ok": True, "pages": pages, "fetch_log": log.to_dict(), "info": info}
    except RenderRefused as error:  # a layout of render_composed over its size limit
        header = {"ok": False, "error": str(error)[:500], "refused": True}
    except Exception as error:  # reported to the parent, which raises
        header = {"ok": False, "error": f"{type(error).__name__}: {error}"[:500]}
    header["start_rss_kib"] = start_rss_kib
    header["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    header["private_peak_kib"] = sampler.stop()
    encoded = json.dumps(header).encode()
    return _HEADER.pack(len(encoded)) + encoded + pdf


def _resident_kib() -> int:
    """This process's resident memory now, in KiB (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def _peak_kib() -> int:
    """This process's resident memory high-water mark, in KiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _private_kib() -> int:
    """This process's private resident memory now (shared with no other process), in
    KiB; 0 where /proc/self/smaps_rollup is not there."""
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            return sum(int(line.split()[1]) for line in rollup if line.startswith("Private_"))
    except (OSError, ValueError, IndexError):
        return 0


class _PrivateMemorySampler:
    """The highest private memory (`_private_kib`) of this process while it renders,
    sampled every `interval` seconds by a thread of the child: the kernel keeps a
    high-water mark of the resident set, which counts the pages still shared with the
    parent, but none of the private part."""

    def __init__(self, interval: float = 0.25):
        self.peak = _private_kib()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            self.peak = max(self.peak, _private_kib())

    def stop(self) -> int:
        self._stopped.set()
        self._thread.join()
        self.peak = max(self.peak, _private_kib())
        return self.peak


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _run_in_child(job, timeout: float) -> tuple[dict, bytes]:
    ((header, pdf),) = _run_in_children([job], time.monotonic() + timeout, timeout)
    return header, pdf


def _succeeded(chunks: list[bytes]) -> bool:
    """Whether a finished child's answer (its chunks so far) says it succeeded."""
    data = b"".join(chunks)
    if len(data) < _HEADER.size:
        return False
    (header_length,) = _HEADER.unpack_from(data)
    try:
        return bool(json.loads(data[_HEADER.size : _HEADER.size + header_length]).get("ok"))
    except ValueError:
        return False


def _fork(job) -> tuple[int, int]:
    """Fork a child that runs `job` and writes its payload to a pipe: (pid, read end)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, write, leave without running any cleanup
        status = 70
        try:
            os.close(read_fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _write_all(write_fd, _child_payload(job))
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def _run_in_children(jobs, deadline: float, timeout: float) -> list[tuple[dict, bytes]]:
    """Run each job in a forked child of its own, all at once, until `deadline`; their
    (header, data) in the jobs' order. At the deadline every child still running is
    killed (`RenderTimeout`); a child that dies without its answer is a `RenderFailed`,
    and then the others are killed at once (their work would be thrown away)."""
    children = []  # (pid, read_fd)
    # The children's garbage collector leaves what they inherit alone (frozen), so it does
    # not write to, and so copy, every page of this process's heap in each child.
    gc.freeze()
    try:
        for job in jobs:
            children.append(_fork(job))
    except BaseException:
        for pid, read_fd in children:
            os.close(read_fd)
            _reap(pid, deadline, kill_now=True)
        raise
    finally:
        gc.unfreeze()
    chunks = {read_fd: [] for _pid, read_fd in children}
    open_fds = set(chunks)
    timed_out = failed = False
    try:
        with selectors.DefaultSelector() as selector:
            for read_fd in open_fds:
                selector.register(read_fd, selectors.EVENT_READ)
            while open_fds and not failed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                for key, _events in selector.select(remaining):
                    chunk = os.read(key.fd, 1 << 20)
                    if chunk:
                        chunks[key.fd].append(chunk)
                        continue
                    selector.unregister(key.fd)
                    open_fds.discard(key.fd)
                    failed = failed or not _succeeded(chunks[key.fd])
    finally:
        statuses = []
        for pid, read_fd in children:
            os.close(read_fd)
            statuses.append(_reap(pid, deadline, kill_now=timed_out or failed))

    if timed_out:
        raise RenderTimeout(
            f"PDF rendering took longer than {timeout:g} s (PDF_RENDER_TIMEOUT_SECONDS) "
            "and was stopped",
            timeout_seconds=timeout,
            pid=children[0][0],
            pids=[pid for pid, _read_fd in children],
        )
    results = []
    for (_pid, read_fd), exit_status in zip(children, statuses, strict=True):
        data = b"".join(chunks[read_fd])
        if failed and read_fd in open_fds:  # stopped early because another one failed
            results.append(({"ok": False, "stopped": True, "error": "stopped early"}, b""))
            continue
        if len(data) < _HEADER.size:
            raise RenderFailed(f"the PDF rendering process died ({exit_status})")
        (header_length,) = _HEADER.unpack_from(data)
        header_end = _HEADER.size + header_length
        if len(data) < header_end:
            raise RenderFailed(f"the PDF rendering process died ({exit_status})")
        header = json.loads(data[_HEADER.size : header_end])
        results.append((header, data[header_end:]))
    return results


def _reap(pid: int, deadline: float, *, kill_now: bool) -> str:
    """Wait for the child; SIGKILL it if it is (still) running at the deadline. Returns
    how it ended, for error messages."""
    if not kill_now:
        # The pipe closes when the child exits; give it until the deadline to do so.
        while time.monotonic() < deadline:
            try:
                reaped, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return "reaped elsewhere"
            if reaped:
                return _describe_status(status)
            time.sleep(0.001)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "reaped elsewhere"
    return _describe_status(status)


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
