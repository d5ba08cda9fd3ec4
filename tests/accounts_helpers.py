"""Helpers for the sign-in tests (docs/accounts.md)."""

import secrets
import time
from contextlib import contextmanager

import time_machine
from django.test import Client
from django.urls import reverse

PASSWORD = "pw-for-tests-123"


def fresh_address() -> str:
    """A client address no earlier run used: allauth's rate limits live in the cache
    (Redis in CI), which outlives the test database."""
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def sign_in(client, login, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"login": login, "password": password, **extra})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def address_client(address=None, **kwargs) -> Client:
    return Client(REMOTE_ADDR=address or fresh_address(), **kwargs)


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` now (or at `at`)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int((time.time() if at is None else at) // app_settings.TOTP_PERIOD)
    return format_hotp_value(hotp_value(secret, counter))


def forget_code_attempts(user) -> None:
    """Clear allauth's count of this user's second-factor codes. It lives in the cache,
    keyed by the user's id, which a test database reuses across tests and runs."""
    from allauth.core.internal.ratelimit import get_cache_key, get_rates
    from django.core.cache import cache

    for rate in get_rates(app="allauth.account", action="login_failed"):
        if rate.per == "key":
            key = f"mfa-auth-user-{user.pk}"
            cache.delete(get_cache_key(None, app="allauth.account", action="login_failed",
                                       rate=rate, key=key))  # fmt: skip


@contextmanager
def inside_one_code_period(later: float = 0):
    """Hold the clock still in the middle of a code's 30 seconds (`later` seconds from
    now, rounded to a period): a code computed here is still the server's when it is
    checked, however slow the machine."""
    at = time.time() + later
    with time_machine.travel(at - at % 30 + 15, tick=False):
        yield
