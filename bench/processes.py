"""Other processes the cases start (gunicorn, a Celery worker), on free loopback ports,
each in its own session so that it can be stopped with everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from .core import database_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**extra) -> dict:
    """This process's settings for a child: the same (test or bench) database and Redis."""
    return {
        **os.environ,
        # The test settings, with mail where EMAIL_* say (also under pytest's smoke run).
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(settings.BASE_DIR),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start(argv, *, log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        argv, cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def tail(path: Path, limit: int = 4000) -> str:
    """The end of a process's log, for an error message."""
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no output)"


def wait_for(predicate, timeout: float, what: str, process=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited\n{tail(log) if log else ''}")
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}\n"
                       f"{tail(log) if log else ''}")  # fmt: skip


def http_status(url: str, headers: dict | None = None) -> int:
    """The status of a GET, redirects not followed (a login redirect is not a success)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only loopback URLs: {url}")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (checked above)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def gunicorn(port: int, *, workers: int, log: Path) -> subprocess.Popen:
    return start(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
         "--timeout", "60", "--log-level", "warning"],
        # Persistent database connections, as docker/compose.yaml runs the web service.
        log=log, env=environment(CONN_MAX_AGE="60"),
    )  # fmt: skip
