"""A checklist job's row is its outbox and its lease (docs/operations.md).

- **Sending** (`send`, `send_after_commit`): the row is committed first, then handed to
  the broker. With the broker down nothing is raised: the row stays queued with no
  `sent_at`, its message says so, and the beat sweep sends it once the broker is back.
- **Claiming** (`claim`): a worker takes the row under a row lock: it counts an attempt,
  marks it running and stamps `heartbeat_at`. A second message for the same job (the
  sweep re-sent it, the broker re-delivered it) finds it running with a fresh heartbeat,
  or finished, and does nothing: sending twice is harmless.
- **Heartbeat** (`heartbeat`): while the task runs, a thread of the worker process (the
  parent of the forked render, documents/render.py) refreshes `heartbeat_at` every
  `CHECKLIST_JOB_HEARTBEAT_SECONDS`. Every write of the task is conditional on its own
  attempt, so a worker that lost its lease cannot overwrite the attempt that replaced it.
- **Sweeping** (`sweep`, every minute from beat): a running job whose heartbeat is older
  than `CHECKLIST_JOB_LEASE_SECONDS` lost its worker (killed, out of memory, the host
  gone): it is queued again for another attempt, or failed after
  `CHECKLIST_JOB_MAX_ATTEMPTS`, and its message says which. A queued job not sent, or
  sent more than `CHECKLIST_JOB_RESEND_AFTER_SECONDS` ago and still not taken (the broker
  restarted empty), is sent again.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, F, Q, Value, When

from cutover.models import ChecklistJob
from tenancy import clock

logger = logging.getLogger(__name__)

Status = ChecklistJob.Status
SWEEP_BATCH = 200

QUEUED = "Queued."
QUEUE_DOWN = "Queued; the worker will pick it up when the queue is back."
RETRYING = "The worker stopped while rendering; retrying (attempt {attempt} of {most})."
RETRIED = "The worker stopped during an earlier attempt; made on attempt {attempt} of {most}."
GAVE_UP = "The worker stopped while rendering; failed after {attempts} attempts: start again."


def lease() -> timedelta:
    return timedelta(seconds=settings.CHECKLIST_JOB_LEASE_SECONDS)


def max_attempts() -> int:
    return max(1, settings.CHECKLIST_JOB_MAX_ATTEMPTS)


# --- sending ------------------------------------------------------------------------


def send(job_id: int) -> bool:
    """Hand the job to the broker; True when it took it. Never raises: with the broker
    down the job stays queued (unsent) for the sweep."""
    from .tasks import render_checklists

    try:
        render_checklists.delay(job_id)
    except Exception:  # the broker does not answer: the row is the outbox
        logger.warning(
            "checklist job #%s not sent: the broker does not answer; the sweep sends it "
            "when it is back", job_id, exc_info=True,
        )  # fmt: skip
        ChecklistJob.objects.filter(
            pk=job_id, status=Status.QUEUED, sent_at=None, attempts=0
        ).update(message=QUEUE_DOWN)
        return False
    ChecklistJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        sent_at=clock.now(),
        message=Case(When(message=QUEUE_DOWN, then=Value(QUEUED)), default=F("message")),
    )
    return True


def send_after_commit(job: ChecklistJob) -> None:
    """Send the job once the transaction that created it commits (the worker never looks
    for a row it cannot see). `job.queue_down` tells the caller, after the commit, that
    the broker did not take it."""
    job.queue_down = False

    def go():
        if not send(job.pk):
            job.queue_down = True
            job.message = QUEUE_DOWN

    transaction.on_commit(go)


# --- claiming and the heartbeat -----------------------------------------------------


def claim(job_id: int) -> tuple[ChecklistJob | None, str]:
    """Take the job for one attempt: `(job, "claimed")`, or `(None, why not)`."""
    now = clock.now()
    with transaction.atomic():
        job = ChecklistJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None, "missing"
        if job.status in (Status.DONE, Status.FAILED):
            return None, job.status  # a re-delivered or re-sent message: nothing to do
        if job.status == Status.RUNNING and job.heartbeat_at and job.heartbeat_at > now - lease():
            return None, "running"  # another worker holds it and is alive
        # Queued, or running with a worker that stopped (this is a re-delivery).
        if job.attempts >= max_attempts():
            _give_up(job, now)
            return None, "failed"
        attempt = job.attempts + 1
        fields = {
            "status": Status.RUNNING, "attempts": attempt, "heartbeat_at": now,
            "total": 0, "done": 0, "message": attempt_prefix(attempt) + "Starting…",
        }  # fmt: skip
        ChecklistJob.objects.filter(pk=job.pk).update(**fields)
    job = (
        ChecklistJob.objects.select_related("migration__customer", "site", "organization")
        .filter(pk=job_id)
        .first()
    )
    return job, "claimed"


def attempt_prefix(attempt: int) -> str:
    """What the progress messages of a retried job start with, so that the page says so."""
    return f"Attempt {attempt} of {max_attempts()}: " if attempt > 1 else ""


def update(job: ChecklistJob, **fields) -> bool:
    """Write progress (or the outcome) to the row, only while this attempt still holds
    it; False when the lease was lost (the sweep gave the job to another attempt)."""
    for name, value in fields.items():
        setattr(job, name, value)
    mine = ChecklistJob.objects.filter(pk=job.pk, attempts=job.attempts, status=Status.RUNNING)
    return bool(mine.update(**fields))


@contextlib.contextmanager
def heartbeat(job: ChecklistJob, every: float | None = None):
    """Refresh the job's `heartbeat_at` from a thread of this process while the block
    runs. The render is a forked child that never touches the database; this process,
    its parent, beats for it. The thread uses (and closes) its own connection, in a copy
    of the caller's context."""
    every = settings.CHECKLIST_JOB_HEARTBEAT_SECONDS if every is None else every
    stopped = threading.Event()

    def beat():
        try:
            while not stopped.wait(every):
                try:
                    ChecklistJob.objects.filter(
                        pk=job.pk, attempts=job.attempts, status=Status.RUNNING
                    ).update(heartbeat_at=clock.now())
                except Exception:  # the database blinked: the next beat tries again
                    logger.warning("checklist job #%s: heartbeat not written", job.pk,
                                   exc_info=True)  # fmt: skip
        finally:
            connections.close_all()  # this thread's connections only

    # In a copy of this context: whatever the task entered (the job's organization, for
    # the database's row-level security) holds in the thread too.
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(beat,), name=f"checklist-job-{job.pk}-heartbeat", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=10)


# --- the sweep ----------------------------------------------------------------------


def _give_up(job: ChecklistJob, now) -> None:
    ChecklistJob.objects.filter(pk=job.pk).update(
        status=Status.FAILED, finished_at=now, heartbeat_at=None,
        message=GAVE_UP.format(attempts=job.attempts),
    )  # fmt: skip
    logger.error("checklist job #%s failed: its worker stopped %s times", job.pk, job.attempts)


def _recover(job_id: int, now) -> str | None:
    """A running job whose heartbeat stopped: queue it for another attempt, or fail it."""
    cutoff = now - lease()
    with transaction.atomic():
        job = (
            ChecklistJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, status=Status.RUNNING)
            .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, created_at__lt=cutoff))
            .first()
        )
        if job is None:
            return None  # finished, or beat meanwhile
        if job.attempts >= max_attempts():
            _give_up(job, now)
            return "failed"
        ChecklistJob.objects.filter(pk=job.pk).update(
            status=Status.QUEUED, sent_at=None, heartbeat_at=None,
            message=RETRYING.format(attempt=job.attempts + 1, most=max_attempts()),
        )  # fmt: skip
        logger.warning("checklist job #%s: its worker stopped (attempt %s); retrying",
                       job.pk, job.attempts)  # fmt: skip
        return "retried"


def sweep(now=None) -> dict:
    """Every minute (beat): recover jobs whose worker stopped, then send the queued jobs
    the broker never took or lost. Returns counts by outcome."""
    now = now or clock.now()
    cutoff = now - lease()
    counts = {"retried": 0, "failed": 0, "sent": 0, "not_sent": 0}
    stale = (
        ChecklistJob.objects.filter(status=Status.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, created_at__lt=cutoff))
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in list(stale):
        outcome = _recover(pk, now)
        if outcome:
            counts[outcome] += 1
    resend_before = now - timedelta(seconds=settings.CHECKLIST_JOB_RESEND_AFTER_SECONDS)
    waiting = (
        ChecklistJob.objects.filter(status=Status.QUEUED)
        .filter(Q(sent_at=None) | Q(sent_at__lt=resend_before))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in list(waiting):
        if send(pk):
            counts["sent"] += 1
        else:
            counts["not_sent"] += 1
            break  # the broker is down: the next sweep tries again
    return counts
