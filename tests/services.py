"""Real PostgreSQL and Redis for the tests marked `services`.

Without them such a test is skipped with the reason, unless REQUIRE_SERVICES=1 (CI sets
it): then it fails, so that a CI whose services went missing cannot pass by skipping.
"""

import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection

from bench.core import database_url


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Skip, or fail when REQUIRE_SERVICES=1. Never returns."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set DATABASE_URL to PostgreSQL and REDIS_URL to run it)")


@dataclass(frozen=True)
class Services:
    database_url: str  # points at the test database pytest-django created
    redis_url: str


def redis_url_or_unavailable() -> str:
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        unavailable("REDIS_URL is not set, so there is no Redis to talk to")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
    except Exception as exc:
        unavailable(f"Redis at REDIS_URL does not answer ({exc.__class__.__name__})")
    return url


def shared_database_url_or_unavailable() -> str:
    """DATABASE_URL for another process to reach the same test database as this one."""
    if connection.vendor != "postgresql":
        unavailable(f"the test database is {connection.vendor}, not PostgreSQL")
    return database_url(connection.settings_dict)


def require_services() -> Services:
    """Both services, or skip / fail with the reason. Call inside a django_db test."""
    return Services(
        database_url=shared_database_url_or_unavailable(),
        redis_url=redis_url_or_unavailable(),
    )


def wait_for(predicate, timeout: float, what: str, log=None, *, poll: float = 0.2):
    """Poll `predicate` until it is true, or fail naming `what` with the log's tail."""
    import time

    from bench.processes import tail

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}:\n{tail(log) if log else ''}",
                pytrace=False)  # fmt: skip


def start_private_redis(port: int, directory):
    """A redis-server of the test's own on 127.0.0.1:`port` (nothing saved, its log in
    `directory`), returned once it answers; stop it with bench.processes.stop."""
    import subprocess

    import redis

    log = directory / "redis.log"
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)

    def answers():
        try:
            return client.ping()
        except Exception:
            return False

    wait_for(answers, 15, "the private redis-server", log)
    return server
