"""The product reads the time in one place, so a moved clock reaches all of it.

`tenancy.clock` is that place (ruff's banned-api rule refuses the other ways); tests move
it with time-machine (tests/clock.py), and the Django processes a test starts follow."""

import ast
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tenancy import clock

from .clock import CLOCK_SHIFT_ENV, parse_shift

REPO = Path(settings.BASE_DIR)
PRODUCT_APPS = ("config", "tenancy", "customers", "sites", "inventory", "porting", "e911",
                "esign", "cutover", "documents")  # fmt: skip


def test_clock_follows_a_frozen_clock():
    import time_machine

    moment = datetime(2031, 2, 28, 23, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        assert clock.now() == moment
        assert clock.today().isoformat() == "2031-02-28"
        assert clock.local_today("Pacific/Auckland").isoformat() == "2031-03-01"


@pytest.mark.dates
def test_a_dates_test_runs_at_the_real_time_and_moved_forward(clock_shift, request):
    import time_machine

    hatch = time_machine.escape_hatch
    real = hatch.datetime.datetime.now(UTC) if hatch.is_travelling() else datetime.now(UTC)
    if clock_shift is None:
        callspec = getattr(request.node, "callspec", None)  # absent with --clock-shifts=
        assert callspec is None or callspec.id == "now"
        assert abs(clock.now() - real) < timedelta(minutes=1)
        return
    assert clock_shift >= timedelta(days=400)
    assert abs(clock.now() - (real + clock_shift)) < timedelta(minutes=1)
    # The shift is passed on to the processes the test starts.
    assert os.environ[CLOCK_SHIFT_ENV] == str(int(clock_shift.total_seconds()))


@pytest.mark.dates
def test_a_process_the_test_starts_runs_on_the_same_clock(clock_shift):
    code = (
        "import django; django.setup(); from tenancy import clock; print(clock.now().isoformat())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    child = datetime.fromisoformat(out.strip())
    assert abs(child - clock.now()) < timedelta(minutes=2), (child, clock.now())


def test_the_shift_option_reads_days_and_years():
    assert parse_shift("+400d") == timedelta(days=400)
    assert parse_shift("3y") == timedelta(days=3 * 365)
    with pytest.raises(pytest.UsageError):
        parse_shift("next tuesday")


def _product_files():
    for app in PRODUCT_APPS:
        for path in (REPO / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_time_is_taken_from_the_database_server():
    """The database server's clock is not moved by the tests (docs/testing.md): the product
    must never decide on it. No Now(), CURRENT_TIMESTAMP, now() in SQL, or db_default."""
    forbidden = re.compile(r"\bNow\(\)|CURRENT_(TIMESTAMP|DATE|TIME)|\bnow\(\)\s*[,)<>=-]|"
                           r"db_default|TransactionNow|statement_timestamp|clock_timestamp",
                           re.IGNORECASE)  # fmt: skip
    offenders = []
    for path in _product_files():
        tree = ast.parse(path.read_text())
        docstrings = {
            id(body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and (body := node.body) and isinstance(body[0], ast.Expr)
        }  # fmt: skip
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if forbidden.search(node.value):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in {"Now", "TransactionNow"}:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
            elif isinstance(node, ast.keyword) and node.arg == "db_default":
                offenders.append(f"{path.relative_to(REPO)}:{node.value.lineno}")
    assert offenders == []


def test_ruff_refuses_other_ways_to_read_the_time():
    config = (REPO / "pyproject.toml").read_text()
    for banned in ("django.utils.timezone.now", "datetime.datetime.now", "datetime.date.today",
                   "time.time"):  # fmt: skip
        assert f'"{banned}".msg' in config, banned
    assert '"TID251"' in config
