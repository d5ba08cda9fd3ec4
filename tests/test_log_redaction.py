"""Logs never carry a document or a data: URI (issue 18: WeasyPrint logged a whole base64
logo, up to 270 KB, when it could not decode it)."""

import base64
import logging
import re

from django.conf import settings
from weasyprint import HTML

from config.celery import _redact_worker_logs
from documents.render import SafeURLFetcher
from tenancy.log_redaction import MAX_MESSAGE_CHARS, RedactLogValues, redact

from .images import not_an_image

BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}")


def _broken_logo_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(not_an_image()).decode()


def _render_with_logo(uri: str) -> None:
    fetcher = SafeURLFetcher(max_data_uri_bytes=10 * 2**20)
    HTML(string=f'<p>LOA</p><img src="{uri}" alt="logo">', url_fetcher=fetcher).write_pdf()


class _Raw(logging.Handler):
    """Sees WeasyPrint's records first, on its own logger, before the root's handlers."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_weasyprint_logs_a_broken_logo_without_its_data(caplog):
    """caplog's handler sits on the root logger after the console handler of the LOGGING
    setting, so it sees each record as that handler's filter left it."""
    uri = _broken_logo_uri()
    assert len(uri) > 50_000
    raw = _Raw()
    weasyprint_logger = logging.getLogger("weasyprint")
    weasyprint_logger.addHandler(raw)
    try:
        with caplog.at_level(logging.WARNING, logger="weasyprint"):
            _render_with_logo(uri)
    finally:
        weasyprint_logger.removeHandler(raw)
    # WeasyPrint's own line carries the whole URI: the defect, before any filter.
    assert any(uri in message for message in raw.messages)
    # What the configured handlers write: what failed and how big, not the data.
    (record,) = [r for r in caplog.records if "Failed to load image" in r.getMessage()]
    message = record.getMessage()
    assert "data:image/png;base64,…[redacted" in message
    assert not BASE64_RUN.search(caplog.text) and len(message) < 1000


def test_redact_replaces_data_uris_and_cuts_long_text():
    uri = "data:image/png;base64," + "A" * 270_000
    assert redact(f"could not decode '{uri}': bad") == (
        "could not decode 'data:image/png;base64,…[redacted 270000 bytes]': bad"
    )
    assert redact("data:text/html,<h1>" + "x" * 100) == "data:text/html,…[redacted 104 bytes]"
    assert redact(f"seen {uri}") == "seen data:image/png;base64,…[redacted 270000 bytes]"
    assert redact("tiny icon data:image/gif;base64,R0lGODlhAQABAAAAACw=") == (
        "tiny icon data:image/gif;base64,R0lGODlhAQABAAAAACw="
    )
    long = redact("x" * 10_000)
    assert len(long) < MAX_MESSAGE_CHARS + 60 and long.endswith("[8000 more characters cut]")


def test_the_filter_covers_arguments_and_tracebacks():
    uri = "data:application/pdf;base64," + "J" * 50_000
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "upload %s failed", (uri,), None)
    try:
        raise ValueError(f"cannot parse {uri}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactLogValues().filter(record) is True
    assert "J" * 100 not in record.getMessage() and "[redacted 50000 bytes]" in record.getMessage()
    assert "J" * 100 not in record.exc_text and "[redacted 50000 bytes]" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert "J" * 100 not in formatted


def test_every_configured_handler_redacts():
    assert "redact" in settings.LOGGING["filters"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    console = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert console and all(any(isinstance(f, RedactLogValues) for f in h.filters) for h in console)


def test_celery_worker_handlers_redact_too():
    logger = logging.getLogger("tests.celery-worker")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        _redact_worker_logs(logger=logger)
        _redact_worker_logs(logger=logger)  # once, however often Celery calls it
        assert sum(isinstance(f, RedactLogValues) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
