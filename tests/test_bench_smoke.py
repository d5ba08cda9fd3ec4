"""Every benchmark case at a tiny size (`make bench` runs them at full size; see
docs/performance.md): each still runs end to end on PostgreSQL and Redis (gunicorn, wrk,
a Celery worker and a mail server included), its peers too (headless Chromium, plain
`bulk_create` with history, one Celery ETA task per step), and the checks that hold at
any size hold:
one page per endpoint, a history row per imported row, equal query counts, no failed
request, no step emailed twice or missed, every sealed LOA verified. The speed targets
are for the full size only."""

import shutil

import pytest

from bench.cases import CASES
from bench.core import SMOKE, Result, table
from bench.data import Fixtures

from .services import require_services, unavailable

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", list(CASES))
def test_each_case_runs_and_its_checks_hold(name):
    require_services()
    if name == "throughput" and not shutil.which("wrk"):
        unavailable("wrk is not installed (Debian's wrk; .ci/run and make bench install it)")
    results = CASES[name](SMOKE, Fixtures())
    assert results and all(isinstance(r, Result) for r in results)
    for r in results:
        assert r.figure and r.baseline and r.target
        assert r.ratio is None or r.ratio > 0
    numbers = [r.numbers for r in results]
    if name == "checklists":
        assert numbers[0]["pages"] == numbers[0]["on_form"] == SMOKE.checklist_endpoints
        assert numbers[0]["peak_rss_kib"] > numbers[0]["start_rss_kib"] > 0
        # The peers, each a ratio measured in the same run: Chromium at each size, the
        # one-line page, and the memory of every rendering process together.
        peers = [r for r in results if "headless Chromium" in r.case]
        assert [n["size"] for n in numbers[1 : 1 + len(peers)]] == list(SMOKE.checklist_peer_sizes)
        assert all(n["chromium_seconds"] > 0 and n["ours_seconds"] > 0 for n in numbers[1:-2])
        assert "one-line page" in results[-2].case and results[-2].ratio > 0
        assert numbers[-1]["processes_peak_rss_kib"] > 0 and numbers[-1]["held_kib"] > 0
    elif name == "import":
        rows = SMOKE.import_endpoints + SMOKE.import_numbers
        assert numbers[0]["created"] == numbers[0]["history"] == rows
        assert "bulk_create with history" in results[1].case and results[1].ratio > 0
    elif name == "pages":
        assert len(results) == 3
        for n in numbers:
            assert n["queries_small"] == n["queries_large"], results
    elif name == "throughput":
        assert numbers[0]["dashboard"]["errors"] == numbers[0]["health"]["errors"] == 0
        assert numbers[0]["dashboard"]["requests"] > 0
    elif name == "scheduler":
        assert numbers[0]["steps"] == SMOKE.scheduler_steps
        assert numbers[0]["twice"] == numbers[0]["missing"] == 0
        # The peer, one Celery ETA task per step: each step once there too.
        assert numbers[1]["steps"] == SMOKE.scheduler_peer_steps
        assert numbers[1]["twice"] == numbers[1]["missing"] == 0
    elif name == "seal":
        assert numbers[0]["valid"] == numbers[0]["loas"] == SMOKE.seal_loas
    printed = table(results)
    assert all(r.case in printed for r in results)


def test_the_table_shows_each_verdict():
    rows = [
        Result("fast", "1 s", "9 s", 9.0, "≥ 6× faster", True),
        Result("slow", "9 s", "1 s", 0.11, "≥ 6× faster", False, details=["why it is slow"]),
        Result("seal", "900 ms", "300 ms", None, "reported", None),
    ]
    printed = table(rows)
    lines = printed.splitlines()
    assert lines[0].split("|")[1].strip() == "case"
    assert "| pass" in lines[2] and "| FAIL" in lines[3] and "| info" in lines[4]
    assert "9.00" in lines[2] and "—" in lines[4]
    assert "- slow: why it is slow" in printed
