"""Handing a Celery task to the broker after the transaction commits, without ever
answering a 500 because the broker (Redis) is down (docs/operations.md).

Work that must not be lost keeps its own row as the outbox and a beat sweep re-sends it
(checklist jobs, webhook deliveries). This is for the small one-off tasks whose effect is
claimed once in the database by the task itself (the port-failure escalation, the 933
mismatch alert): when the broker refuses, the task runs right here instead, after the
commit, its errors logged and never raised (what triggered it is already recorded)."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def send(task, *args) -> bool:
    """`task.delay(*args)`; False (logged) when the broker does not answer."""
    try:
        task.delay(*args)
    except Exception:
        logger.warning("%s not queued: the broker does not answer", task.name, exc_info=True)
        return False
    return True


def send_after_commit(task, *args, run_here_if_down: bool = True) -> None:
    """Once the transaction commits, send `task(*args)` to the broker; if the broker does
    not answer, run it in this process (`run_here_if_down`) so that its email still goes
    out. The task must be safe to run twice (a message that did reach the broker before
    the error would run it again)."""

    def go():
        if send(task, *args) or not run_here_if_down:
            return
        try:
            task(*args)
            logger.warning("%s ran in the web process instead", task.name)
        except Exception:  # recorded already; the notice is what is lost
            logger.exception("%s failed in the web process", task.name)

    transaction.on_commit(go)
