"""Faults with real processes: a private Redis the test stops, a real gunicorn, a real
Celery worker (with beat) the test kills with SIGKILL (docs/operations.md).

(a) Redis stopped: both portals (signing, home location) and the staff pages still answer,
    and the portals' rate limit still limits, per process, saying so in the log.
(b) Redis stopped: starting a checklist job answers with a clear message, no 500, and the
    row stays queued; Redis back (empty), the beat sweep sends it and it completes.
(c) The worker killed with -9 while it renders: after its restart the job's lost lease is
    found and the job retried, and the page says so.

Each test starts its own `redis-server` on a free port (so stopping it touches nobody's
Redis), gunicorn with one worker, and for (b) and (c) `celery worker -B`, all with the
test settings plus overrides written to a temporary module: short leases and a sweep every
2 s, a small portal limit. The database is the pytest test database, shared through
`django_db(transaction=True)` like tests/test_celery_worker.py."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bench.processes import free_port, stop, tail
from cutover.models import ChecklistJob
from e911.remote.services import send_location_link

from .services import require_services, start_private_redis, unavailable, wait_for
from .signing import link_request

pytestmark = [pytest.mark.services, pytest.mark.slow]

READY_TIMEOUT = 60
SWEEP_SECONDS = 2
LEASE_SECONDS = 3
PORTAL_LIMIT = 5
QUEUE_DOWN = "Queued; the worker will pick it up when the queue is back."
Status = ChecklistJob.Status

# Loaded by the worker (CELERY_IMPORTS): each render's forked child first sleeps
# FAULT_RENDER_SECONDS, so that the test can kill the worker while a render is under way.
HOOKS = """
import os
import time

from documents import render

_run_in_child = render._run_in_child


def _slow_child(job, timeout):
    def slow_job():
        time.sleep(float(os.environ.get("FAULT_RENDER_SECONDS") or 0))
        return job()

    return _run_in_child(slow_job, timeout)


render._run_in_child = _slow_child
"""


_wait = wait_for


class Stack:
    """A private redis-server, gunicorn and a Celery worker with beat, each stoppable."""

    def __init__(self, tmp: Path, database_url: str):
        if not shutil.which("redis-server"):
            unavailable("redis-server is not installed")
        self.tmp = tmp
        self.redis_port, self.web_port = free_port(), free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.base = f"http://127.0.0.1:{self.web_port}"
        suffix = uuid.uuid4().hex[:8]
        hooks = f"fault_hooks_{suffix}"
        (tmp / f"{hooks}.py").write_text(HOOKS)
        self.module = f"fault_settings_{suffix}"
        (tmp / f"{self.module}.py").write_text(
            "from config.settings.test import *  # noqa\n"
            f"PORTAL_RATE_LIMIT_PER_MINUTE = {PORTAL_LIMIT}\n"
            "CHECKLIST_JOB_HEARTBEAT_SECONDS = 0.5\n"
            f"CHECKLIST_JOB_LEASE_SECONDS = {LEASE_SECONDS}\n"
            "CHECKLIST_JOB_RESEND_AFTER_SECONDS = 30\n"
            "CHECKLIST_JOB_MAX_ATTEMPTS = 3\n"
            "CELERY_BEAT_SCHEDULE = {'cutover-sweep-checklist-jobs': {\n"
            "    **CELERY_BEAT_SCHEDULE['cutover-sweep-checklist-jobs'],  # noqa: F405\n"
            f"    'schedule': {float(SWEEP_SECONDS)}}}}}\n"
            f"CELERY_IMPORTS = [{hooks!r}]\n"
        )
        (tmp / "media").mkdir()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.module,
            "PYTHONPATH": os.pathsep.join([str(tmp), str(settings.BASE_DIR)]),
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp / "celerybeat-schedule"),
            "MEDIA_ROOT": str(tmp / "media"),
            "PYTHONUNBUFFERED": "1",
        }
        self.redis = self.web = self.worker = None
        self.web_log, self.worker_log = tmp / "web.log", tmp / "worker.log"
        self.worker_starts = 0

    def _start(self, argv, log: Path, env=None):
        return subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env=env or self.env, stdout=log.open("ab"),
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def start_redis(self):
        self.redis = start_private_redis(self.redis_port, self.tmp)

    def stop_redis(self):
        stop(self.redis)

    def start_web(self):
        self.web = self._start(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{self.web_port}", "--workers", "1", "--timeout", "60",
             "--log-level", "warning", "--graceful-timeout", "3"],
            self.web_log,
        )  # fmt: skip

        def ready():
            if self.web.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{tail(self.web_log)}", pytrace=False)
            return self.status("/healthz") == 200

        _wait(ready, READY_TIMEOUT, "gunicorn to answer", self.web_log)

    def start_worker(self, render_seconds: float = 0):
        self.worker_starts += 1
        marker = f"=== worker start {self.worker_starts} ===\n"
        with self.worker_log.open("a") as out:
            out.write(marker)
        self.worker = self._start(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
             "--pool=solo", "--loglevel=INFO", "--hostname", f"fault-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--schedule", str(self.tmp / "celerybeat-schedule")],
            self.worker_log, env={**self.env, "FAULT_RENDER_SECONDS": str(render_seconds)},
        )  # fmt: skip

        def ready():
            if self.worker.poll() is not None:
                pytest.fail(f"The worker exited:\n{tail(self.worker_log)}", pytrace=False)
            return " ready." in tail(self.worker_log, 1_000_000).split(marker)[-1]

        _wait(ready, READY_TIMEOUT, "the worker to be ready", self.worker_log)

    def kill_worker(self):
        """SIGKILL to the worker's whole process group: the worker, its embedded beat and
        the forked render child, with no chance to clean up or hand the message back."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def close(self):
        for process in (self.worker, self.web):
            stop(process)
        self.stop_redis()

    # --- HTTP, as a browser ---------------------------------------------------------

    def browser(self, user=None):
        jar = http.cookiejar.CookieJar()
        if user is not None:
            client = Client()
            client.force_login(user)  # a session row in the shared database
            jar.set_cookie(_cookie(settings.SESSION_COOKIE_NAME,
                                   client.cookies[settings.SESSION_COOKIE_NAME].value))  # fmt: skip

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(self, path, *, browser=None, data=None, headers=None):
        """(status, body, headers) of a GET, or a POST with `data`; redirects not followed."""
        opener = browser or self.browser()
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers

    def status(self, path, **kwargs):
        try:
            return self.request(path, **kwargs)[0]
        except OSError:
            return 0


def _cookie(name, value):
    return http.cookiejar.Cookie(
        version=0, name=name, value=value, port=None, port_specified=False,
        domain="127.0.0.1", domain_specified=False, domain_initial_dot=False, path="/",
        path_specified=True, secure=False, expires=None, discard=True, comment=None,
        comment_url=None, rest={}, rfc2109=False,
    )  # fmt: skip


def _csrf(body):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


@pytest.fixture
def stack(tmp_path, world_a):
    services = require_services()
    # The standing job of world_a would be swept and rendered too: keep the worker free.
    ChecklistJob.objects.filter(pk=world_a["checklist_job"].pk).update(status=Status.DONE)
    stack = Stack(tmp_path, services.database_url)
    try:
        stack.start_redis()
        stack.start_web()
        yield stack
    finally:
        stack.close()


def _start_job(stack, browser, org, migration, site):
    preflight = reverse("migration-preflight", args=[org.slug, migration.uuid])
    status, body, _ = stack.request(preflight, browser=browser)
    assert status == 200, body[-2000:]
    return stack.request(
        preflight, browser=browser, data={"csrfmiddlewaretoken": _csrf(body), "site": site.pk}
    )


def _job_page(stack, browser, org, job):
    status, body, _ = stack.request(
        reverse("checklist-job-status", args=[org.slug, job.pk]), browser=browser
    )
    assert status == 200, body[-2000:]
    return body


@pytest.mark.django_db(transaction=True)
def test_redis_down_portals_and_pages_answer_and_the_limit_holds(stack, world_a, pm_a, org_a):
    signing = reverse("esign:portal", args=[link_request(world_a["loa"], by=pm_a)[1]])
    worker = world_a["remote_worker"]
    worker.endpoints.add(world_a["endpoint"])
    from django.core import mail

    send_location_link(worker, by=pm_a, base_url=stack.base + "/", meta={})
    home = re.search(r"/home-location/[A-Za-z0-9_-]{43}/", mail.outbox[-1].body).group(0)
    staff = stack.browser(pm_a)
    migration_page = world_a["migration"].get_absolute_url()

    stack.stop_redis()
    assert stack.status(signing) == 200
    assert stack.status(home) == 200
    assert stack.status(migration_page, browser=staff) == 200
    assert stack.status(f"{migration_page}?panel=cutover", browser=staff,
                        headers={"HX-Request": "true"}) == 200  # fmt: skip
    status, body, _ = stack.request("/healthz")
    assert status == 200 and json.loads(body)["cache"] == "error"  # said, not a failure
    # The limit still holds, counted in the process: a guesser is refused within the
    # limit (two windows at most, should the minute turn meanwhile), never a 500.
    unknown = reverse("esign:portal", args=["x" * 43])
    codes = []
    for _ in range(2 * PORTAL_LIMIT + 2):
        codes.append(stack.status(unknown))
        if codes[-1] == 429:
            break
    assert codes[-1] == 429 and set(codes[:-1]) <= {404}, codes
    assert "portal rate limit: the cache does not answer" in tail(stack.web_log, 100_000)
    assert "limiting per process" in tail(stack.web_log, 100_000)

    stack.start_redis()  # back, empty: the shared count again
    assert stack.status(home) == 200


@pytest.mark.django_db(transaction=True)
def test_broker_down_a_job_is_kept_and_sent_when_it_is_back(stack, world_a, pm_a, org_a):
    stack.start_worker()
    migration, site = world_a["migration"], world_a["site"]
    browser = stack.browser(pm_a)

    stack.stop_redis()
    started = time.monotonic()
    status, body, headers = _start_job(stack, browser, org_a, migration, site)
    assert status == 302, body[-3000:]  # to the job's page, not a 500
    assert time.monotonic() - started < 10  # the broker's refusal does not hang the page
    job = ChecklistJob.objects.exclude(status=Status.DONE).get()
    assert headers["Location"] == reverse("checklist-job", args=[org_a.slug, job.pk])
    status, page, _ = stack.request(headers["Location"], browser=browser)
    assert status == 200 and page.count(QUEUE_DOWN) == 2  # the notice and the job's own
    assert job.status == Status.QUEUED and job.sent_at is None
    assert stack.status(migration.get_absolute_url(), browser=browser) == 200
    time.sleep(SWEEP_SECONDS * 2)  # sweeps cannot run: the job waits, nothing lost
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.attempts == 0

    stack.start_redis()  # same port, empty: the message was never there
    _wait(lambda: ChecklistJob.objects.get(pk=job.pk).status == Status.DONE, 90,
          "the swept job to be rendered", stack.worker_log)  # fmt: skip
    job.refresh_from_db()
    assert job.attempts == 1 and job.sent_at is not None and job.pdf
    assert "Download the PDF" in _job_page(stack, browser, org_a, job)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_rendering_is_noticed_and_the_job_retried(
    stack, world_a, pm_a, org_a
):
    stack.start_worker(render_seconds=60)
    migration, site = world_a["migration"], world_a["site"]
    browser = stack.browser(pm_a)
    status, body, _ = _start_job(stack, browser, org_a, migration, site)
    assert status == 302, body[-3000:]
    job = ChecklistJob.objects.exclude(status=Status.DONE).get()

    def rendering():
        job.refresh_from_db()
        return job.status == Status.RUNNING and "Rendering the PDF" in job.message

    _wait(rendering, 60, "the worker to be rendering", stack.worker_log)
    claimed_beat = job.heartbeat_at
    _wait(lambda: ChecklistJob.objects.get(pk=job.pk).heartbeat_at > claimed_beat, 10,
          "the heartbeat during the render", stack.worker_log)  # fmt: skip
    stack.kill_worker()
    killed = time.monotonic()
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.attempts == 1  # nobody has noticed yet

    stack.start_worker()  # renders at full speed
    seen = []

    def retried():
        seen.append(_job_page(stack, browser, org_a, job))
        return ChecklistJob.objects.get(pk=job.pk).attempts == 2

    # The lease runs out LEASE_SECONDS after the last beat; the next sweep retries it.
    _wait(retried, LEASE_SECONDS + 3 * SWEEP_SECONDS + 30, "the job to be retried",
          stack.worker_log)  # fmt: skip
    assert time.monotonic() - killed < 60
    _wait(lambda: ChecklistJob.objects.get(pk=job.pk).status == Status.DONE, 60,
          "the retried job to finish", stack.worker_log)  # fmt: skip
    page = _job_page(stack, browser, org_a, job)
    assert "The worker stopped during an earlier attempt; made on attempt 2 of 3." in page
    assert any("attempt 2 of 3" in p.lower() for p in [*seen, page])
    assert "its worker stopped (attempt 1); retrying" in tail(stack.worker_log, 1_000_000)
