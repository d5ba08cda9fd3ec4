"""Where a webhook may be sent, and the request itself.

No server-side request forgery through a webhook: the host is resolved, every address it
resolves to must be public (not private, loopback, link-local, reserved, multicast or
unspecified), and the request connects to the address that was checked, so a DNS answer
that changes between the check and the request (rebinding) cannot redirect it. Redirects
are not followed. https is required unless `WEBHOOK_ALLOW_HTTP` is set (development);
`WEBHOOK_ALLOW_PRIVATE_TARGETS` lets tests and a lab reach a local receiver."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

TIMEOUT_SECONDS = 10  # per connect and per read
TOTAL_SECONDS = 30  # the whole request, however slowly a receiver answers
MAX_RESPONSE_BYTES = 64 * 1024
# 6to4 addresses carry an IPv4 address that may be private.
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def _refused(address) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6 and ip in _SIX_TO_FOUR:
        return f"{address} is a 6to4 address"
    for kind in ("loopback", "private", "link_local", "reserved", "multicast", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # the checked addresses, IPv4 first; the request uses these


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The target of `url`, or ValidationError naming the rule it breaks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ValidationError("A webhook URL starts with https://.")
    if scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise ValidationError("Webhooks are sent over https only: use an https:// URL.")
    if not parts.hostname:
        raise ValidationError("The webhook URL has no host.")
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the webhook URL: its secret signs it.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError("The webhook URL's port is not a valid port.") from exc
    # Non-ASCII in the path is sent percent-encoded (http.client sends ASCII only).
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~") + (
        f"?{quote(parts.query, safe='=&%+/:@!$()*,;-._~')}" if parts.query else ""
    )
    if not resolve:
        return Target(scheme, parts.hostname, port, path, ())
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"The webhook host {parts.hostname} does not resolve.") from exc
    # IPv4 first: a worker without an IPv6 route still reaches a dual-stack receiver.
    addresses = tuple(sorted({info[4][0] for info in infos}, key=lambda a: (":" in a, a)))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if _refused(address):
                # The rule only: which internal address a name resolves to is not told.
                raise ValidationError(
                    "Webhooks go to public addresses only: this host resolves to a private, "
                    "loopback, link-local or reserved address."
                )
    return Target(scheme, parts.hostname, port, path, addresses)


def _connect_checked(addresses, port, timeout):
    """A socket to the first of the checked addresses that answers."""
    error = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, **kwargs):
        super().__init__(target.host, target.port, **kwargs)
        self._addresses = target.addresses

    def connect(self):
        self.sock = _connect_checked(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, **kwargs):
        super().__init__(target.host, target.port, context=ssl.create_default_context(), **kwargs)
        self._addresses = target.addresses

    def connect(self):
        sock = _connect_checked(self._addresses, self.port, self.timeout)
        # The certificate is checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status_code: int | None
    latency_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `url` after checking it again; never raises for the network."""
    started = time.monotonic()

    def elapsed():
        return int((time.monotonic() - started) * 1000)

    try:
        target = check_url(url)
    except ValidationError as exc:
        return Response(None, elapsed(), f"refused: {exc.messages[0]}"[:300])
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=TIMEOUT_SECONDS)
    # A receiver that trickles its answer byte by byte is cut off at TOTAL_SECONDS.
    deadline = threading.Timer(TOTAL_SECONDS, _abort, args=[connection])
    deadline.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)  # the body is not kept: only the code counts
        return Response(response.status, elapsed())
    except Exception as exc:  # any failure is an answer to log and retry, never a crash
        return Response(None, elapsed(), f"{type(exc).__name__}: {exc}"[:300])
    finally:
        deadline.cancel()
        connection.close()


def _abort(connection):
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
