"""Case 4: gunicorn (2 sync workers, as docker/ runs it) serving the cutover dashboard of
the 5,000-seat migration under wrk on loopback, against the same server's health view;
requests per second, p99 latency and errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from .. import processes
from ..core import Result

TARGET = 0.3
WORKERS = 2
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, *, seconds: float, connections: int, headers: dict) -> dict:
    """Run wrk; requests/s, p99 (s), requests and errors (socket errors, non-2xx/3xx)."""
    argv = ["wrk", "-t", str(min(2, connections)), "-c", str(connections),
            "-d", f"{max(1, round(seconds))}s", "--timeout", "30s", "--latency"]  # fmt: skip
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99": _seconds(re.search(r"99%\s+([\d.]+(?:us|ms|s|m))", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": errors,
        "output": out,
    }


def run(scale, fixtures) -> list[Result]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (make bench installs Debian's wrk)")
    migration, owner = fixtures.migration(scale.pages_large)
    client = Client()
    client.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    detail = reverse("migration-detail", args=[migration.organization.slug, migration.uuid])
    dashboard_url = f"{base}{detail}?panel=cutover"
    dashboard_headers = {"Cookie": cookie, "HX-Request": "true"}
    health_url = f"{base}{reverse('health')}"
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = processes.gunicorn(port, workers=WORKERS, log=log)
        try:
            processes.wait_for(lambda: processes.http_status(health_url) == 200, 60,
                               "gunicorn to answer", server, log)  # fmt: skip
            status = processes.http_status(dashboard_url, dashboard_headers)
            if status != 200:  # wrk counts a redirect to the login page as a success
                raise RuntimeError(f"the dashboard answered {status}\n{processes.tail(log)}")
            common = {"seconds": scale.load_seconds, "connections": scale.load_connections}
            warm = {"seconds": 1, "connections": scale.load_connections}
            # A second of each first, not counted: both workers' database connections
            # (CONN_MAX_AGE), imports and the panel's cache entry are made there.
            wrk(health_url, headers={}, **warm)
            health = wrk(health_url, headers={}, **common)
            wrk(dashboard_url, headers=dashboard_headers, **warm)
            dashboard = wrk(dashboard_url, headers=dashboard_headers, **common)
        finally:
            processes.stop(server)
    ratio = dashboard["rps"] / health["rps"]
    errors = health["errors"] + dashboard["errors"]
    return [
        Result(
            case=f"gunicorn ({WORKERS} workers), cutover dashboard at {scale.pages_large:,} "
            f"endpoints, wrk {scale.load_connections} connections",
            figure=f"dashboard: {dashboard['rps']:,.0f} req/s, p99 "
            f"{dashboard['p99'] * 1000:.0f} ms, {dashboard['errors']} errors",
            baseline=f"health view: {health['rps']:,.0f} req/s, p99 "
            f"{health['p99'] * 1000:.0f} ms, {health['errors']} errors",
            ratio=ratio,
            target=f"≥ {TARGET:g} of health, 0 errors",
            passed=ratio >= TARGET and errors == 0,
            details=[
                f"{dashboard['requests']:,} dashboard and {health['requests']:,} health "
                f"requests in {scale.load_seconds:g} s each; the panel is served from its "
                f"cache (DASHBOARD_CACHE_SECONDS={settings.DASHBOARD_CACHE_SECONDS}) after "
                "the first request: the computation itself is the pages case"
            ],
            numbers={
                "dashboard": {k: v for k, v in dashboard.items() if k != "output"},
                "health": {k: v for k, v in health.items() if k != "output"},
            },
        )
    ]
