"""The step clock's peer for `make bench` (case 5): one Celery task per step, sent when
the step is scheduled with an ETA of its due time, as a team might build the clock with
Celery alone. The worker of case 5's peer runs this app (`celery -A bench.celery_peer`):
the project's own tasks are not registered in it. Benchmark-only."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

app = Celery("bench-peer", broker=settings.REDIS_URL, set_as_current=False)
app.conf.update(task_acks_late=False, worker_prefetch_multiplier=4, broker_connection_retry=True)

TASK = "bench.peer.step_due"


@app.task(name=TASK)
def step_due(step_id: int) -> bool:
    """What one ETA task does when its time comes: lock the step, mark it due if nobody
    has, save it with its history row, and email its owner once the claim committed, over
    a connection of its own. Exactly once, as the project's clock (SELECT … FOR UPDATE)."""
    from cutover.models import Step
    from cutover.steps.clock import _message
    from cutover.steps.selectors import display_zones
    from tenancy import clock
    from tenancy.history import save_with_history

    with transaction.atomic():
        step = (
            Step.objects.select_for_update(of=("self",))
            .select_related("owner", "organization", "plan__migration__owner")
            .filter(pk=step_id, status=Step.Status.PENDING, notified_due_at__isnull=True)
            .first()
        )
        if step is None:
            return False
        step.status, step.notified_due_at = Step.Status.DUE, clock.now()
        save_with_history(step, reason="due: owner notified")
        message = _message(step, "due", display_zones([step], step.plan.migration)[step.pk])
        if message is not None:
            transaction.on_commit(message.send)
    return True
