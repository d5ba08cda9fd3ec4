"""With the shared cache (Redis) down, the portals' rate limit neither fails (a 500) nor
fails open (unlimited): it counts in the process instead and logs that it does. The same
with a real Redis stopped under a real gunicorn: tests/test_faults.py."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tenancy import portal as portal_module


class DownCache:
    def add(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    incr = add


@pytest.fixture
def cache_down(monkeypatch):
    monkeypatch.setattr(portal_module, "cache", DownCache())
    monkeypatch.setattr(portal_module, "_local_windows", portal_module._LocalWindows())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", ["esign:portal", "e911portal:home-location", "customerportal:portal"]
)
def test_the_limit_holds_in_the_process_while_the_cache_is_down(
    route, cache_down, settings, caplog
):
    settings.PORTAL_RATE_LIMIT_PER_MINUTE = 3
    url = reverse(route, args=["x" * 43])  # well formed, unknown: 404 until limited
    visitor = Client(REMOTE_ADDR="198.51.100.9")
    start_of_a_minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    with (
        time_machine.travel(start_of_a_minute, tick=False) as traveller,
        caplog.at_level(logging.WARNING, logger="tenancy.portal"),
    ):
        codes = [visitor.get(url).status_code for _ in range(5)]
        assert codes == [404, 404, 404, 429, 429]
        traveller.shift(timedelta(minutes=1))  # the next window
        assert visitor.get(url).status_code == 404
    warnings = [r for r in caplog.records if "the cache does not answer" in r.getMessage()]
    assert len(warnings) == 2  # once a window, not once a request
    assert "limiting per process" in warnings[0].getMessage()
    # Another address has its own count.
    assert Client(REMOTE_ADDR="198.51.100.10").get(url).status_code == 404


def test_local_windows_forget_past_windows():
    windows = portal_module._LocalWindows()
    assert [windows.hit("a:1", 1) for _ in range(3)] == [1, 2, 3]
    assert windows.hit("a:2", 2) == 1  # a new window starts at one
    assert "a:1" not in windows._counts  # and the old one is dropped
