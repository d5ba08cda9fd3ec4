"""Tests on any date: the date-sensitive tests run again with the clock moved forward.

Every test marked `dates` runs three times, once at the real time and once at each shift
of `--clock-shifts` (default `+400d,+3y`), the clock ticking from there. `time-machine`
moves the clock of this process, and the environment variable `CLOCK_SHIFT_ENV` carries
the shift to the Django processes a test starts (a real Celery worker, gunicorn): the
test settings read it at import (config/settings/test.py).

`--clock-shift=+400d` moves the whole run instead, every test included (to look for date
bombs outside the marked tests). docs/testing.md says how this works and where it ends.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

CLOCK_SHIFT_ENV = "VOIPMIGRATE_TEST_CLOCK_SHIFT_SECONDS"
DEFAULT_SHIFTS = "+400d,+3y"
_UNITS = {"d": 1, "y": 365}


def parse_shift(text: str) -> timedelta:
    """'+400d' or '+3y' (a year is 365 days; +3y crosses a leap day too)."""
    match = re.fullmatch(r"\+?(\d+)([dy])", text.strip())
    if not match:
        raise pytest.UsageError(f"A clock shift is like +400d or +3y, not {text!r}")
    return timedelta(days=int(match.group(1)) * _UNITS[match.group(2)])


def pytest_addoption(parser):
    group = parser.getgroup("clock", "running the tests with the clock moved forward")
    group.addoption(
        "--clock-shifts", default=DEFAULT_SHIFTS,
        help="shifts at which each `dates` test runs again (comma-separated; empty: none)",
    )  # fmt: skip
    group.addoption(
        "--clock-shift", default="",
        help="move the clock of the whole run (every test) by this much, e.g. +400d",
    )  # fmt: skip


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "dates: date-sensitive; runs again with the clock moved forward (--clock-shifts)",
    )
    whole_run = config.getoption("--clock-shift")
    if whole_run:
        import time_machine

        os.environ[CLOCK_SHIFT_ENV] = str(int(parse_shift(whole_run).total_seconds()))
        # An xdist worker may have moved already: the test settings read the variable.
        if not time_machine.escape_hatch.is_travelling():
            config._clock_whole_run = start(parse_shift(whole_run))


def pytest_unconfigure(config):
    traveller = getattr(config, "_clock_whole_run", None)
    if traveller is not None:
        stop(traveller)


def start(shift: timedelta):
    """Move this process's clock (ticking) and tell the processes it starts."""
    import time_machine

    traveller = time_machine.travel(shift, tick=True)
    traveller.start()
    os.environ[CLOCK_SHIFT_ENV] = str(int(shift.total_seconds()))
    return traveller


def stop(traveller) -> None:
    traveller.stop()
    os.environ.pop(CLOCK_SHIFT_ENV, None)


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("dates") is None:
        return
    shifts = [s for s in metafunc.config.getoption("--clock-shifts").split(",") if s.strip()]
    if not shifts or "clock_shift" not in metafunc.fixturenames:
        return
    values = [None, *(parse_shift(s) for s in shifts)]
    ids = ["now", *(f"clock{s.strip() if s.strip().startswith('+') else '+' + s.strip()}"
                    for s in shifts)]  # fmt: skip
    metafunc.parametrize("clock_shift", values, ids=ids, indirect=True)


@pytest.fixture(autouse=True)
def clock_shift(request):
    """The shift this run of a `dates` test is at (None: the real time)."""
    shift = getattr(request, "param", None)
    if shift is None:
        yield None
        return
    traveller = start(shift)
    try:
        yield shift
    finally:
        stop(traveller)


def clock_frozen_at(moment, *, tick: bool = True):
    """An autouse fixture for a module whose tests need a fixed moment: every test starts
    with the clock at `moment` (ticking, unless tick=False), whatever the real date, and
    can move it on with `frozen_clock.move_to(...)` or `.shift(...)`.

        frozen_clock = clock_frozen_at(datetime(2026, 11, 27, 5, tzinfo=UTC))
    """

    @pytest.fixture(autouse=True, name="frozen_clock")
    def fixture():
        import time_machine

        with time_machine.travel(moment, tick=tick) as traveller:
            yield traveller

    return fixture
