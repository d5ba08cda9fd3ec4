"""A module whose tests need a fixed moment freezes the clock (tests/clock.py)."""

from datetime import UTC, datetime, timedelta

from tenancy import clock

from .clock import clock_frozen_at

frozen_clock = clock_frozen_at(datetime(2026, 2, 27, 12, tzinfo=UTC), tick=False)


def test_every_test_starts_at_the_moment_whatever_the_real_date(frozen_clock):
    assert clock.now() == datetime(2026, 2, 27, 12, tzinfo=UTC)
    frozen_clock.shift(timedelta(days=2))
    assert clock.today().isoformat() == "2026-03-01"


def test_the_next_test_starts_there_again():
    assert clock.now() == datetime(2026, 2, 27, 12, tzinfo=UTC)
