"""The cutover clock with a REAL Celery worker and beat over a real Redis.

Steps live in the database with their `due_at`; beat sends `cutover.tasks.run_due_steps`
and the worker claims what fell due. Stopping the worker, or the broker, while steps fall
due loses nothing and sends nothing twice.

Each test starts its own `redis-server` on a free port (so the broker can be stopped and
flushed without touching anyone's Redis) and `celery -A config worker -B` with the test
settings plus two overrides written to a temporary module: e-mail to files (the worker
is another process: locmem mail would be invisible here) and the beat entry of
`run_due_steps` every few seconds instead of every 60 s (the production entry is 60 s,
checked in test_cutover_steps.py; so a step due at T is claimed by T + 60 s plus the
worker's latency, well inside 90 s). The database is the pytest test database, shared
through `django_db(transaction=True)` like tests/test_celery_worker.py."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from bench.processes import free_port, stop, tail
from cutover.models import Step
from cutover.steps.services import ensure_plan

from . import factories as f
from .services import require_services, start_private_redis, unavailable, wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.dates]

BEAT_SECONDS = 3
READY_TIMEOUT = 60
PICKUP_LIMIT = 90  # a step due at T is claimed by T + 90 s


def _wait(predicate, timeout, what, log=None):
    wait_for(predicate, timeout, what, log, poll=0.25)


class Clock:
    """A private redis-server and a Celery worker with embedded beat, each stoppable."""

    def __init__(self, tmp_path: Path, database_url: str):
        if not shutil.which("redis-server"):
            unavailable("redis-server is not installed")
        self.tmp = tmp_path
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.mail = tmp_path / "mail"
        self.mail.mkdir()
        self.module = f"clock_settings_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{self.module}.py").write_text(
            "from config.settings.test import *  # noqa\n"
            'EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"\n'
            f"EMAIL_FILE_PATH = {str(self.mail)!r}\n"
            "CELERY_BEAT_SCHEDULE = {'cutover-run-due-steps': {\n"
            "    **CELERY_BEAT_SCHEDULE['cutover-run-due-steps'],  # noqa: F405\n"
            f"    'schedule': {float(BEAT_SECONDS)}}}}}\n"
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.module,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(settings.BASE_DIR)]),
            "DATABASE_URL": database_url,
            "REDIS_URL": self.url,
            "CELERY_BROKER_URL": self.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
            "PYTHONUNBUFFERED": "1",
        }
        self.redis = self.worker = None
        self.log = tmp_path / "worker.log"
        self.starts = 0

    def start_redis(self):
        self.redis = start_private_redis(self.port, self.tmp)

    def stop_redis(self):
        stop(self.redis)

    def start_worker(self):
        self.starts += 1
        marker = f"=== worker start {self.starts} ===\n"
        with self.log.open("a") as out:
            out.write(marker)
        out = self.log.open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
             "--pool=solo", "--loglevel=INFO", "--hostname", f"clock-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--schedule", str(self.tmp / "celerybeat-schedule")],
            cwd=self.tmp, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

        def ready():
            if self.worker.poll() is not None:
                pytest.fail(f"The worker exited:\n{tail(self.log)}", pytrace=False)
            return " ready." in tail(self.log, 1_000_000).split(marker)[-1]

        _wait(ready, READY_TIMEOUT, "the worker to be ready", self.log)

    def stop_worker(self):
        stop(self.worker)

    def close(self):
        self.stop_worker()
        self.stop_redis()

    def log_mentions(self, text: str) -> int:
        return tail(self.log, 10_000_000).count(text)

    def runs_done(self) -> int:
        """How many run_due_steps tasks the worker has finished (from its log)."""
        return len(re.findall(r"cutover\.tasks\.run_due_steps\[[^]]+\] succeeded",
                              tail(self.log, 10_000_000)))  # fmt: skip

    def send_run(self):
        """A run_due_steps message through the broker (as beat sends it)."""
        probe = Celery("probe", broker=self.url, set_as_current=False)
        try:
            probe.send_task("cutover.tasks.run_due_steps")
        finally:
            probe.close()

    def due_mails(self) -> Counter:
        """How many 'due' emails each step got, read from the worker's mail files."""
        counts = Counter()
        for path in self.mail.glob("*"):
            for message in path.read_text(errors="replace").split("-" * 79):
                if "[Cutover step due]" in message:
                    match = re.search(r"^Step #(\d+):", message, re.M)
                    if match:
                        counts[int(match.group(1))] += 1
        return counts


@pytest.fixture
def clock(tmp_path):
    services = require_services()
    clock = Clock(tmp_path, services.database_url)
    try:
        clock.start_redis()
        yield clock
    finally:
        clock.close()


@pytest.fixture
def plan():
    org = f.OrganizationFactory(slug=f"clock-{uuid.uuid4().hex[:6]}")
    owner = f.UserFactory(email="owner@example.com")
    f.MembershipFactory(user=owner, organization=org, role="owner")
    customer = f.CustomerFactory(organization=org)
    migration = f.MigrationFactory(customer=customer, owner=owner)
    f.SiteFactory(migration=migration, timezone="America/Chicago")
    return ensure_plan(migration, by=owner)


def _step(plan, code, due_at):
    return Step.objects.create(
        plan=plan, code=code, title=f"Step {code}", offset_minutes=0, due_at=due_at,
        owner=plan.migration.owner,
    )  # fmt: skip


def _notified(*steps):
    return lambda: all(
        Step.objects.filter(pk=s.pk, notified_due_at__isnull=False).exists() for s in steps
    )


def _assert_once(clock, steps):
    # Two more runs (the message sent here and a beat run after it) must send nothing again.
    done = clock.runs_done()
    clock.send_run()
    _wait(lambda: clock.runs_done() >= done + 2, BEAT_SECONDS * 10, "two more runs", clock.log)
    counts = clock.due_mails()
    assert {s.pk: counts[s.pk] for s in steps} == {s.pk: 1 for s in steps}, tail(clock.log)
    assert set(counts) == {s.pk for s in steps}


@pytest.mark.django_db(transaction=True)
def test_worker_stopped_while_steps_fall_due_then_each_notified_once(clock, plan):
    clock.start_worker()
    now = timezone.now()
    first = _step(plan, "first", now - timedelta(minutes=1))
    _wait(_notified(first), PICKUP_LIMIT, "the first step to be claimed", clock.log)

    clock.stop_worker()
    now = timezone.now()
    while_down = [
        _step(plan, "late", now - timedelta(minutes=10)),
        *(_step(plan, f"down-{i}", now + timedelta(seconds=i)) for i in range(1, 4)),
    ]
    clock.send_run()  # queued while nobody consumes: runs after the restart, harmlessly
    clock.send_run()
    due = max(s.due_at for s in while_down)
    _wait(lambda: timezone.now() > due, 10, "the steps to fall due while the worker is down")
    assert not Step.objects.filter(pk__in=[s.pk for s in while_down],
                                   notified_due_at__isnull=False).exists()  # fmt: skip

    clock.start_worker()
    _wait(_notified(*while_down), PICKUP_LIMIT, "the steps due while down", clock.log)
    upcoming = _step(plan, "upcoming", timezone.now() + timedelta(seconds=5))
    _wait(_notified(upcoming), PICKUP_LIMIT + 5, "a step due after the restart", clock.log)
    upcoming.refresh_from_db()
    assert upcoming.notified_due_at - upcoming.due_at <= timedelta(seconds=PICKUP_LIMIT)
    assert upcoming.status == "due"
    _assert_once(clock, [first, *while_down, upcoming])


@pytest.mark.django_db(transaction=True)
def test_broker_stopped_while_steps_fall_due_then_each_notified_once(clock, plan):
    """The broker dies (its queue with it: no persistence) and comes back empty."""
    clock.start_worker()
    first = _step(plan, "first", timezone.now())
    _wait(_notified(first), PICKUP_LIMIT, "the first step to be claimed", clock.log)

    clock.stop_redis()
    now = timezone.now()
    while_down = [_step(plan, f"down-{i}", now + timedelta(seconds=i)) for i in range(3)]
    # They fall due while the worker knows its broker is gone.
    due = max(s.due_at for s in while_down)
    _wait(lambda: clock.log_mentions("Connection to broker lost") and timezone.now() > due,
          BEAT_SECONDS * 10, "the worker to lose the broker", clock.log)  # fmt: skip
    assert not Step.objects.filter(pk__in=[s.pk for s in while_down],
                                   notified_due_at__isnull=False).exists()  # fmt: skip

    clock.start_redis()  # same port, empty
    _wait(_notified(*while_down), PICKUP_LIMIT, "the steps due while the broker was down",
          clock.log)  # fmt: skip
    _assert_once(clock, [first, *while_down])
