"""Links sent to people without an account (LOA signers; later, remote workers).

The rules every such link follows, in one place:
- the token is 256 random bits (`secrets.token_urlsafe(32)`), sent once and never stored;
  the database keeps only its SHA-256;
- a link expires, can be revoked, and is used up by the action it was sent for;
- a malformed or unknown token is a 404, a dead link a plain page that says why;
- the portal is rate-limited per client address.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.shortcuts import render

import rowsecurity
from tenancy import clock

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
# token_urlsafe(32) is always 43 characters.
TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"  # noqa: S105 (a pattern, not a secret)
_TOKEN_RE = re.compile(rf"\A{TOKEN_PATTERN}\Z")


def new_token() -> tuple[str, str]:
    """A fresh (token, hash). Put the token in the link, store only the hash."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN_RE.match(token or ""))


def enter_link_organization(model, token: str) -> None:
    """A portal request's organization is its link's: looked up by the token's hash alone
    (the only row such a session can see, rowsecurity's portal-token policy), then
    entered, so that the portal reads only that organization's rows. Each portal's
    `find_*()` calls this first."""
    if not well_formed(token):
        return
    token_hash = hash_token(token)
    with rowsecurity.portal_token(token_hash):
        organization_id = (
            model._base_manager.filter(token_hash=token_hash)
            .values_list("organization_id", flat=True)
            .first()
        )
    if organization_id is not None:
        rowsecurity.enter_organizations([organization_id])


class LinkDead(Exception):
    """The link is no longer usable; `state` says why (a LinkState value)."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def portal_base_url(request=None) -> str:
    """Where links sent by email point: `PUBLIC_BASE_URL` when set (so an API call made on
    an internal hostname still emails the public address), else the host the PM's request
    came in on (checked against ALLOWED_HOSTS), else the local demo address."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is not None:
        return request.build_absolute_uri("/")
    return "http://127.0.0.1:8000/"


class LinkState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    USED = "used", "Used"
    SUPERSEDED = "superseded", "Superseded"


# What a dead link's page tells its holder, by state.
DEAD_LINK_TEXT = {
    LinkState.EXPIRED: "This link has expired.",
    LinkState.REVOKED: "This link was withdrawn or replaced by a newer one.",
    LinkState.USED: "This link has already been used.",
    LinkState.SUPERSEDED: "This link has been replaced.",
}


class PortalLink(models.Model):
    """Abstract: a link's hash and lifetime. Subclasses add what the link is for and may
    override `superseded()` (e.g. the document it was sent for changed)."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def superseded(self) -> bool:
        return False

    def link_state(self, now=None, *, superseded: bool | None = None) -> str:
        """`superseded` may be passed in when the caller already knows it (a page listing
        many links computes it once instead of once per link)."""
        now = now or clock.now()
        if self.revoked_at:
            return LinkState.REVOKED
        if self.used_at:
            return LinkState.USED
        if self.superseded() if superseded is None else superseded:
            return LinkState.SUPERSEDED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.ACTIVE

    def get_link_state_display(self) -> str:
        return LinkState(self.link_state()).label


def client_ip(request) -> str:
    """The client's address. Behind `TRUSTED_PROXY_COUNT` reverse proxies, the address the
    outermost trusted proxy saw (the n-th from the right in X-Forwarded-For); the rest of
    that header is written by the client and proves nothing."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", None) or 0  # None: not set, as 0
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def request_meta(request) -> dict:
    """What an event records about the client: address and user agent."""
    return {
        "ip": client_ip(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
    }


class _LocalWindows:
    """Per-process fixed-window counters: the rate limit's fallback while the shared cache
    does not answer. Each process counts on its own, so a client may get `limit` per
    process (gunicorn workers) instead of `limit` in all: bounded, never unlimited. Old
    windows are dropped as the window moves on."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._windows: dict[str, int] = {}
        self._newest = 0
        self._warned_window: dict[int, int] = {}

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if window > self._newest:  # a window has passed: forget the ones before it
                self._newest = window
                for old in [k for k, w in self._windows.items() if w < window]:
                    del self._windows[old], self._counts[old]
            self._windows[key] = window
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def first_warning(self, window_seconds: int, window: int) -> bool:
        """True once per window length and window: one log line a minute, not one per
        request, while the cache stays down."""
        with self._lock:
            if self._warned_window.get(window_seconds) == window:
                return False
            self._warned_window[window_seconds] = window
            return True


_local_windows = _LocalWindows()


def rate_limited(request, scope: str, limit: int, window_seconds: int = 60) -> bool:
    """Fixed-window counter per client address in the shared cache (Redis in production).
    True once the address has made more than `limit` requests in the current window.

    With the cache down the portals keep answering and keep limiting: the count moves to
    this process (`_LocalWindows`), and a warning says so once a window."""
    if limit <= 0:
        return False
    window = int(clock.now().timestamp() // window_seconds)
    key = f"portal-rl:{scope}:{client_ip(request)}:{window}"
    try:
        if cache.add(key, 1, timeout=window_seconds + 5):
            return False
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 5)
            return False
    except Exception as exc:  # the cache (Redis) is down: limit in this process meanwhile
        if _local_windows.first_warning(window_seconds, window):
            logger.warning(
                "portal rate limit: the cache does not answer (%s: %s); limiting per "
                "process until it is back", type(exc).__name__, str(exc)[:200],
            )  # fmt: skip
        count = _local_windows.hit(key, window)
    return count > limit


def portal_response(request, template, context=None, status=200):
    """A portal page: never cached, not indexed, and the token in its URL not passed on.
    ("no-referrer" would make browsers send "Origin: null" on the form POST, which
    Django's CSRF check refuses; "strict-origin" sends only the origin.)"""
    response = render(request, template, context or {}, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
