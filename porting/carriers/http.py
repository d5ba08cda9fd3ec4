"""Outbound HTTP to a provider: JSON in and out, timeouts on connect, read and the whole
request, a request id on every call, and each exchange handed to a log callback with its
secrets redacted (docs/carriers.md, "Exchanges").

A provider's base URL is trusted configuration, unlike a webhook's: it is still held to
https on the provider's own host in production. `CARRIER_ALLOW_BASE_URL_OVERRIDE` (tests,
a lab with a provider's sandbox or a local double) lets a connection point elsewhere."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from .base import Transient

CONNECT_AND_READ_SECONDS = 15
TOTAL_SECONDS = 45
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
LOGGED_BODY_CHARS = 8000
SECRET_KEYS = frozenset(
    {
        "pin_passcode",
        "pin",
        "pinpasscode",
        "api_key",
        "authorization",
        "password",
        "token",
        "secret",
        "file",
    }
)


def check_base_url(url: str, *, provider_hosts: tuple[str, ...]) -> str:
    """`url` when a connection may call it, else ValidationError naming the rule."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError("The base URL must be an absolute https:// URL.")
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the base URL: the API key is separate.")
    if settings.CARRIER_ALLOW_BASE_URL_OVERRIDE:
        return url.rstrip("/")
    if parts.scheme != "https":
        raise ValidationError("The provider's API is reached over https only.")
    host = parts.hostname.lower()
    if not any(host == h or host.endswith("." + h) for h in provider_hosts):
        raise ValidationError(
            f"The base URL must be on the provider's own host ({', '.join(provider_hosts)})."
        )
    return url.rstrip("/")


def redact(value):
    """A copy of a JSON value with secrets replaced (documents by their size)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and item not in (None, ""):
                out[key] = f"[{len(item)} base64 characters]" if key == "file" else "[redacted]"
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def shown_body(raw) -> str:
    """A body as the exchange log keeps it: JSON redacted, cut to a sane length."""
    if raw in (None, b"", ""):
        return ""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = json.loads(raw)
        except ValueError:
            text = bytes(raw[:LOGGED_BODY_CHARS]).decode("utf-8", "replace")
            return text
    text = json.dumps(redact(raw), ensure_ascii=False, sort_keys=True)
    return text[:LOGGED_BODY_CHARS]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict
    body: bytes
    request_id: str
    ms: int

    def json(self):
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Client:
    """JSON over HTTP(S) to one base URL with one bearer key."""

    def __repr__(self):  # never the key
        return f"<carrier Client {self.scheme}://{self.host}:{self.port}{self.prefix}>"

    def __init__(self, base_url: str, api_key: str, *, log, user_agent="VoIPMigrate-Carriers/1"):
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.api_key = api_key
        self.log = log
        self.user_agent = user_agent

    # Django's error reports show a frame's locals: never the bearer key in `headers`.
    @sensitive_variables("headers", "api_key")
    def request(
        self, method: str, path: str, *, body=None, query=None, operation: str = ""
    ) -> Answer:
        """Send one request; log it; return the answer (any status). Network failures
        and timeouts raise Transient (after being logged)."""
        request_id = str(uuid.uuid4())
        full_path = self.prefix + path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            "X-Request-Id": request_id,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        if self.scheme == "https":
            connection = http.client.HTTPSConnection(
                self.host,
                self.port,
                timeout=CONNECT_AND_READ_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(
                self.host, self.port, timeout=CONNECT_AND_READ_SECONDS
            )
        deadline = threading.Timer(TOTAL_SECONDS, _abort, args=[connection])
        deadline.start()
        try:
            connection.request(method, full_path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE_BYTES)
            answer = Answer(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=data,
                request_id=response.getheader("x-request-id") or request_id,
                ms=int((time.monotonic() - started) * 1000),
            )
        except (OSError, http.client.HTTPException) as exc:
            ms = int((time.monotonic() - started) * 1000)
            kind = "timed out" if isinstance(exc, socket.timeout | TimeoutError) else "failed"
            message = (
                f"The provider could not be reached: the request {kind} ({type(exc).__name__})."
            )
            self.log(
                operation=operation,
                method=method,
                path=path,
                status_code=None,
                ms=ms,
                request_id=request_id,
                request_body=shown_body(body),
                response_body="",
                error=message,
            )
            # `from None`: the cause's frames (http.client's) hold the bearer header in
            # their locals, which an error report would show; the message names the cause.
            raise Transient(message, request_id=request_id) from None
        finally:
            deadline.cancel()
            connection.close()
        self.log(
            operation=operation,
            method=method,
            path=path,
            status_code=answer.status,
            ms=answer.ms,
            request_id=answer.request_id,
            request_body=shown_body(body),
            response_body=shown_body(answer.body),
            error="",
        )
        return answer


def _abort(connection):
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
