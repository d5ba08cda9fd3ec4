"""Logs never carry a document or a data: URI. `RedactLogValues` is installed on every
handler in the LOGGING setting (and on Celery's, config/celery.py): it replaces the payload
of each `data:` URI in a record's message and traceback with its length, and cuts what is
left to `MAX_MESSAGE_CHARS` (tracebacks to `MAX_TRACEBACK_CHARS`).

Why: WeasyPrint logs the whole URI of an image it cannot decode (a logo is a base64
`data:` URI of up to 270 KB), and any library may log an argument it was handed, such as
a drawn signature or an uploaded file's text. docs/security.md ("Logs")."""

from __future__ import annotations

import logging
import re

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 20000

# data:[<media type>][;param=value…][;base64],<payload>: the payload runs to the first
# character that ends it in a log line (a space, a quote, a bracket).
_DATA_URI = re.compile(
    r"data:(?P<head>[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+)?(?P<params>(?:;[a-zA-Z0-9.+-]+"
    r"(?:=[^;,\s'\"]*)?)*),(?P<payload>[^\s'\"()\[\]{}]*)"
)
# A payload this short (a tiny inline icon) says nothing: left as it is.
_KEEP_PAYLOAD_CHARS = 32


def _redact_match(match: re.Match) -> str:
    payload = match.group("payload")
    if len(payload) <= _KEEP_PAYLOAD_CHARS:
        return match.group(0)
    head = (match.group("head") or "") + match.group("params")
    return f"data:{head},…[redacted {len(payload)} bytes]"


def redact(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` with every data: URI's payload replaced by its length, then cut to `limit`."""
    if "data:" in text:
        text = _DATA_URI.sub(_redact_match, text)
    if len(text) > limit:
        text = f"{text[:limit]}…[{len(text) - limit} more characters cut]"
    return text


class RedactLogValues(logging.Filter):
    """Rewrites each record in place (so every handler after it sees the safe text) and
    never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as usual
            return True
        safe = redact(message)
        if safe != message:
            record.msg, record.args = safe, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, MAX_TRACEBACK_CHARS)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, MAX_TRACEBACK_CHARS)
        return True
