"""Case 5: the step clock. Steps falling due in the same minute, claimed and emailed by
`cutover.tasks.run_due_steps` in a real Celery worker (2 processes) over Redis, two ticks
sent at once, to a mail server on loopback; against the naive way (one transaction and
one mail connection per step), timed on a sample in the same run; and against its peer,
one Celery task per step sent ahead with the step's due time as its ETA
(bench/celery_peer.py), in a worker of the same size, timed on a sample and scaled."""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from celery import Celery
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from .. import data, processes
from ..core import Result, seconds, stopwatch
from ..mailsink import MailSink

TARGET_SECONDS = 15.0
STEPS_PER_PLAN = 500
TICKS = 2  # sent at once: both workers claim concurrently; none may email a step twice


def due_steps(count: int, label: str, due_at):
    """`count` pending steps due at `due_at`, over migrations of 500 steps each."""
    from cutover.models import Step
    from cutover.steps.services import ensure_plan

    org, owner = data.organization(label)
    ids = []
    for start in range(0, count, STEPS_PER_PLAN):
        migration = data.empty_migration(org, owner, f"Clock {label} {start}")
        plan = ensure_plan(migration, by=owner)
        steps = Step.objects.bulk_create(
            Step(organization=org, plan=plan, code=f"bench-{start + i}",
                 title=f"Bench step {start + i}", offset_minutes=0, due_at=due_at, owner=owner)
            for i in range(min(STEPS_PER_PLAN, count - start))
        )  # fmt: skip
        ids += [s.pk for s in steps]
    return ids


def naive_tick(ids, now):
    """One transaction, one history row and one mail connection per step."""
    from cutover.models import Step
    from cutover.steps.clock import _message
    from cutover.steps.selectors import display_zones
    from tenancy.history import save_with_history

    for pk in ids:
        with transaction.atomic():
            step = (
                Step.objects.select_for_update(of=("self",))
                .select_related("owner", "plan__migration__owner")
                .get(pk=pk)
            )
            step.status, step.notified_due_at = Step.Status.DUE, now
            save_with_history(step, reason="due: owner notified")
            _message(step, "due", display_zones([step], step.plan.migration)[step.pk]).send()


def _worker(queue: str, sink: MailSink, log: Path):
    env = processes.environment(
        CELERY_BROKER_URL=settings.REDIS_URL, CELERY_TASK_ALWAYS_EAGER="0", CONN_MAX_AGE="60",
        **{name: str(value) for name, value in sink.settings().items()},
    )  # fmt: skip
    worker = processes.start(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
         "--concurrency=2", "-Q", queue, "--hostname", f"{queue}@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        log=log, env=env,
    )  # fmt: skip
    processes.wait_for(lambda: " ready." in processes.tail(log, 200_000), 90,
                       "the Celery worker", worker, log)  # fmt: skip
    return worker


def _peer_worker(queue: str, sink: MailSink, log: Path):
    env = processes.environment(
        CONN_MAX_AGE="60", **{name: str(value) for name, value in sink.settings().items()}
    )  # fmt: skip
    worker = processes.start(
        [sys.executable, "-m", "celery", "-A", "bench.celery_peer", "worker", "--pool=prefork",
         "--concurrency=2", "-Q", queue, "--hostname", f"{queue}@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        log=log, env=env,
    )  # fmt: skip
    processes.wait_for(lambda: " ready." in processes.tail(log, 200_000), 90,
                       "the peer's Celery worker", worker, log)  # fmt: skip
    return worker


def eta_peer(count: int, sink: MailSink, tmp: str) -> dict:
    """`count` steps, each with one Celery task sent ahead with its due time as the ETA;
    the time from that moment until every step is marked and emailed."""
    from bench.celery_peer import TASK, app
    from cutover.models import Step

    queue = f"bench-eta-{uuid.uuid4().hex[:8]}"
    log = Path(tmp) / "peer-worker.log"
    worker = _peer_worker(queue, sink, log)
    sink.reset()
    try:
        # Enough lead to send every task before the due time (measured, and reported).
        due_at = timezone.now() + timedelta(seconds=3 + count * 0.004)
        ids = due_steps(count, "clock-eta", due_at)
        with stopwatch() as sending:
            for pk in ids:
                app.send_task(TASK, args=[pk], queue=queue, eta=due_at)
        wait = (due_at - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        with stopwatch() as elapsed:
            processes.wait_for(
                lambda: sum(sink.due_counts().values()) >= count
                and Step.objects.filter(pk__in=ids, notified_due_at__isnull=False).count() == count,
                max(120, count * 0.5), f"{count} ETA tasks done and emailed", worker, log,
            )  # fmt: skip
        seconds_taken = elapsed() + max(0.0, -wait)  # a late start counts from the due time
        counts = sink.due_counts()
    finally:
        processes.stop(worker)
    return {"seconds": seconds_taken, "steps": count, "sending": sending(),
            "twice": sum(1 for pk in ids if counts.get(pk, 0) > 1),
            "missing": sum(1 for pk in ids if not counts.get(pk))}  # fmt: skip


def run(scale, fixtures) -> list[Result]:
    from cutover.models import Step

    n = scale.scheduler_steps
    now = timezone.now()
    ids = due_steps(n, "clock", now - timedelta(seconds=30))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    # Not the current app: that would re-point every shared task of this process (and
    # a test run) at this broker-only app.
    broker = Celery("bench", broker=settings.REDIS_URL, set_as_current=False)
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp, MailSink() as sink:
        log = Path(tmp) / "worker.log"
        worker = _worker(queue, sink, log)
        try:
            with stopwatch() as elapsed:
                for _ in range(TICKS):
                    broker.send_task("cutover.tasks.run_due_steps", queue=queue)
                processes.wait_for(
                    lambda: sum(sink.due_counts().values()) >= n
                    and Step.objects.filter(pk__in=ids, notified_due_at__isnull=False).count() == n,
                    max(120, TARGET_SECONDS * 4), f"{n} steps claimed and emailed", worker, log,
                )  # fmt: skip
            tick_seconds = elapsed()
            # Another tick, and time for any straggler: still one email per step.
            broker.send_task("cutover.tasks.run_due_steps", queue=queue)
            time.sleep(3)
            counts = sink.due_counts()
            connections = sink.connections()
        finally:
            processes.stop(worker)
            broker.close()

        sample = min(n, scale.scheduler_baseline_steps)
        naive_ids = due_steps(sample, "clock-naive", now - timedelta(seconds=30))
        sink.reset()
        with override_settings(**sink.settings()), stopwatch() as naive_elapsed:
            naive_tick(naive_ids, now)
        naive_seconds = naive_elapsed() * n / sample
        naive_connections = sink.connections()

        peer = eta_peer(min(n, scale.scheduler_peer_steps), sink, tmp)
    peer_seconds = peer["seconds"] * n / peer["steps"]

    twice = sorted(pk for pk, c in counts.items() if c > 1)
    missing = len(set(ids) - set(counts))
    ratio = naive_seconds / tick_seconds
    measured = "" if sample == n else f" (timed on {sample:,}, scaled)"
    return [
        Result(
            case=f"step clock, {n:,} steps due in the same minute, {TICKS} ticks at once",
            figure=f"claimed and emailed in {seconds(tick_seconds)} "
            f"({n / tick_seconds:,.0f} steps/s) over {connections} SMTP connections",
            baseline=f"one transaction and connection per step: {seconds(naive_seconds)}{measured}",
            ratio=ratio,
            target=f"< {TARGET_SECONDS:g} s, none twice",
            passed=tick_seconds < TARGET_SECONDS and not twice and not missing,
            details=[
                f"{sum(counts.values()):,} emails for {len(counts):,} steps: "
                f"{len(twice)} step(s) emailed twice, {missing} not emailed; the naive loop "
                f"used {naive_connections:,} connections for {sample:,} steps"
            ],
            numbers={
                "tick_seconds": tick_seconds,
                "naive_seconds": naive_seconds,
                "steps": n,
                "twice": len(twice),
                "missing": missing,
                "connections": connections,
            },
        ),
        Result(
            case=f"step clock against one Celery ETA task per step, {n:,} steps",
            figure=f"the clock: {seconds(tick_seconds)}",
            baseline=f"an ETA task per step: {seconds(peer_seconds)}"
            + ("" if peer["steps"] == n else f" (timed on {peer['steps']:,}, scaled)"),
            ratio=peer_seconds / tick_seconds,
            target="faster than the peer",
            passed=peer_seconds > tick_seconds and not peer["twice"] and not peer["missing"],
            details=[
                f"the peer: {peer['steps']:,} tasks sent ahead in {seconds(peer['sending'])} "
                f"with the steps' due time as ETA, a worker of 2 processes (prefork) on the "
                f"same Redis; from the due time to the last email {seconds(peer['seconds'])}; "
                f"{peer['twice']} emailed twice, {peer['missing']} not emailed"
            ],
            numbers={"peer_seconds_scaled": peer_seconds, **peer},
        ),
    ]
