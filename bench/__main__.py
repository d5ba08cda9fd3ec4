"""`python -m bench` (what `make bench` runs): every case, or those named, on a fresh
PostgreSQL database next to DATABASE_URL's, then the table. See docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = f"{len(names)} × {names[0]}" if names else cpu
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0
    return f"{cpu}, {memory:.0f} GiB, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"  # fmt: skip


def main(argv=None) -> int:
    from bench.cases import CASES

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("cases", nargs="*", choices=[[], *CASES], metavar="case",
                        help=f"cases to run (default: all): {', '.join(CASES)}")  # fmt: skip
    parser.add_argument("--scale", choices=["full", "smoke"], default="full")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    # Static files are not collected for a benchmark (pytest ignores the same warning).
    warnings.filterwarnings("ignore", message="No directory at")
    media = tempfile.TemporaryDirectory(prefix="bench-media-")
    os.environ["MEDIA_ROOT"] = media.name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from bench.core import FULL, SMOKE, load, table
    from bench.data import Fixtures

    if connection.vendor != "postgresql":
        print("make bench needs PostgreSQL: set DATABASE_URL (docs/performance.md).")
        return 2
    if not getattr(settings, "REDIS_URL", ""):
        print("make bench needs Redis: set REDIS_URL (docs/performance.md).")
        return 2
    scale = FULL if args.scale == "full" else SMOKE
    names = args.cases or list(CASES)
    started = datetime.now(UTC)
    print(f"Benchmarks ({scale.name} scale): {', '.join(names)}", flush=True)
    print(f"Machine: {_machine()}", flush=True)
    print(f"Load average at the start: {load()}", flush=True)
    # A database of its own (test_<name>), dropped afterwards: never the app's data.
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    results = []
    try:
        fixtures = Fixtures()
        for name in names:
            clock = time.perf_counter()
            print(f"==> {name} …", flush=True)
            rows = CASES[name](scale, fixtures)
            results.extend(rows)
            for row in rows:
                print(f"    {row.case}: {row.figure} | baseline {row.baseline} | "
                      f"{row.verdict}", flush=True)  # fmt: skip
            print(f"    ({time.perf_counter() - clock:.0f} s; load average now {load()})",
                  flush=True)  # fmt: skip
    finally:
        teardown_databases(old, verbosity=0)
        media.cleanup()
    took = (datetime.now(UTC) - started).total_seconds()
    print()
    print(table(results))
    print(f"\n{started:%Y-%m-%d %H:%M} UTC, {took / 60:.1f} min in all; load average at the "
          f"end: {load()}.")  # fmt: skip
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"started": started.isoformat(), "machine": _machine(), "load": load(),
                       "scale": scale.name, "seconds": took,
                       "results": [r.__dict__ for r in results]}, out, indent=2,
                      default=str)  # fmt: skip
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
