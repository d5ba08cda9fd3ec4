"""Test settings. DATABASE_URL / REDIS_URL select PostgreSQL and Redis (CI sets both)."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["*"]
FIELD_ENCRYPTION_KEYS = ["b0hTmG8y5gqF2bcvZJ7k3Xq1Wc9vYV2pQm1r0o8sAaE="]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
PORTAL_RATE_LIMIT_PER_MINUTE = 100_000  # tests that need the limit set their own
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # passkeys on the live server (http)

# Parallel test processes (pytest-xdist) share one Redis: each keeps its own cache keys.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("PYTEST_XDIST_WORKER", "")  # noqa: F405


def _follow_the_tests_clock() -> None:
    """A process a test starts (a Celery worker, gunicorn) runs on the test's clock: when
    the test moved it forward (tests/clock.py), the same shift applies here."""
    shift = os.environ.get("VOIPMIGRATE_TEST_CLOCK_SHIFT_SECONDS")
    if not shift:
        return
    import time_machine

    if not time_machine.escape_hatch.is_travelling():
        from datetime import timedelta

        time_machine.travel(timedelta(seconds=int(shift)), tick=True).start()


_follow_the_tests_clock()

# The carrier tests' local double listens on 127.0.0.1 over http (tests/doubles/telnyx.py).
CARRIER_ALLOW_BASE_URL_OVERRIDE = True
CARRIER_RETRY_DELAYS = (0.0, 0.0)
# The tests' OpenID Connect provider (tests/doubles/oidc.py) answers over http.
SSO_ALLOW_HTTP_ISSUER = True
