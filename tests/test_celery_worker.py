"""A real Celery worker process, over Redis, writing into the test database.

Eager mode proves nothing about serialization, routing, the broker or the worker's own
Django setup; this test starts `celery -A config worker` as a separate process on a queue
of its own and waits for the row the task writes."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from bench.processes import tail
from config.celery import app
from tenancy.models import SchedulerHeartbeat

from .services import require_services

pytestmark = [pytest.mark.services, pytest.mark.slow]

READY_TIMEOUT = 60
TASK_TIMEOUT = 60


def _wait_until(predicate, timeout: float, proc, log: Path, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(
                f"The worker exited with {proc.returncode} before {what}:\n{tail(log)}",
                pytrace=False,
            )
        time.sleep(0.25)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}:\n{tail(log)}", pytrace=False)


@pytest.mark.django_db(transaction=True)
def test_real_worker_consumes_heartbeat_task_from_redis(tmp_path):
    services = require_services()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    heartbeat_name = f"worker-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "CELERY_BROKER_URL": services.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=solo", "--loglevel=INFO",
        "--queues", queue, "--hostname", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_until(lambda: " ready." in tail(log, 100_000), READY_TIMEOUT, proc, log,
                    "the worker to be ready")  # fmt: skip
        # send_task is never eager, whatever the test settings say.
        app.send_task("tenancy.tasks.record_heartbeat", args=[heartbeat_name], queue=queue)
        _wait_until(
            lambda: SchedulerHeartbeat.objects.filter(name=heartbeat_name).exists(),
            TASK_TIMEOUT, proc, log, "the worker to run tenancy.tasks.record_heartbeat",
        )  # fmt: skip
        # The row is written before the worker logs the result: wait for that line too.
        _wait_until(
            lambda: "tenancy.tasks.record_heartbeat" in (out := tail(log, 100_000))
            and "succeeded" in out,
            10, proc, log, "the worker to log the task as succeeded",
        )  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
