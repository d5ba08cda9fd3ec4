"""What every case shares: the result row, the two scales, timing and the table."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass
class Result:
    """One line of the table. `ratio` compares the figure with its baseline in the
    direction the target reads ("≥ 6×" is a speed-up, "≤ 3" a slow-down)."""

    case: str
    figure: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool | None  # None: reported, no target
    details: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)  # raw figures for --json

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "info"}[self.passed]


@dataclass(frozen=True)
class Scale:
    """Sizes for one run: `FULL` is the issue's, `SMOKE` proves each case still runs."""

    name: str
    checklist_endpoints: int
    checklist_baseline_endpoints: int  # rendered one document each
    checklist_peer_sizes: tuple  # endpoints printed by both the project and Chromium
    checklist_peer_rounds: int  # interleaved rounds of each side; the best of each counts
    checklist_floor_pages: int  # one-line pages: WeasyPrint's own floor a page
    import_endpoints: int
    import_numbers: int
    import_baseline_rows: int  # rows saved one by one (half endpoints, half numbers)
    import_rounds: int  # interleaved rounds of the service and the floor; the best counts
    pages_small: int
    pages_large: int
    page_repeats: int
    load_seconds: float
    load_connections: int
    scheduler_steps: int
    scheduler_baseline_steps: int
    scheduler_peer_steps: int  # one Celery ETA task each (scaled to scheduler_steps)
    seal_loas: int


FULL = Scale(
    name="full",
    checklist_endpoints=500,
    checklist_baseline_endpoints=100,
    checklist_peer_sizes=(200, 500),
    checklist_peer_rounds=2,
    checklist_floor_pages=200,
    import_endpoints=10_000,
    import_numbers=10_000,
    import_baseline_rows=2_000,
    import_rounds=5,
    pages_small=50,
    pages_large=5_000,
    page_repeats=7,
    load_seconds=10,
    load_connections=8,
    scheduler_steps=10_000,
    scheduler_baseline_steps=1_000,
    scheduler_peer_steps=500,
    seal_loas=5,
)

SMOKE = Scale(
    name="smoke",
    checklist_endpoints=3,
    checklist_baseline_endpoints=3,
    checklist_peer_sizes=(3,),
    checklist_peer_rounds=1,
    checklist_floor_pages=3,
    import_endpoints=20,
    import_numbers=20,
    import_baseline_rows=10,
    import_rounds=1,
    pages_small=3,
    pages_large=12,
    page_repeats=1,
    load_seconds=1,
    load_connections=2,
    scheduler_steps=25,
    scheduler_baseline_steps=10,
    scheduler_peer_steps=10,
    seal_loas=1,
)


@contextmanager
def stopwatch():
    """`with stopwatch() as elapsed: ...` then `elapsed()` gives the seconds taken."""
    gc.collect()
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end if end is not None else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls (after one warm-up call)."""
    run()
    times = []
    for _ in range(max(1, repeats)):
        with stopwatch() as elapsed:
            run()
        times.append(elapsed())
    return statistics.median(times)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL that lets another process (gunicorn, a Celery worker) reach the
    database this process uses, test databases included."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), for the record: the figures of a
    run on a busy machine are slower, the ratios less so."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def table(results: list[Result]) -> str:
    header = ("case", "figure", "baseline", "ratio", "target", "result")
    rows = [
        (r.case, r.figure, r.baseline, "—" if r.ratio is None else f"{r.ratio:.2f}", r.target,
         r.verdict)
        for r in results
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in rows]
    details = [f"- {r.case}: {d}" for r in results for d in r.details]
    if details:
        out += ["", *details]
    return "\n".join(out)
