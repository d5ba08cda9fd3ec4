"""E911 background work (Celery beat: see CELERY_BEAT_SCHEDULE in config/settings/base.py).

Celery autodiscovers `e911.tasks` only: the Kari's Law/933 task is imported here so that
workers know it. Each task re-reads what it needs and is safe to run twice."""

from celery import shared_task

import rowsecurity

from .karis.tasks import alert_933_mismatch  # noqa: F401  (registers the task)
from .readiness.watch import watch_readiness
from .remote.services import remind_unconfirmed


@shared_task(name="e911.tasks.remind_remote_workers")
@rowsecurity.spans_organizations("remote worker reminders, every organization")
def remind_remote_workers() -> dict:
    """Hourly: remind remote workers who have not confirmed their home, then escalate to
    the PM. Idempotent: it re-reads the workers every run and each reminder and each
    escalation happens once per worker (e911.remote.services.remind_unconfirmed)."""
    run = remind_unconfirmed()
    return {"reminded": len(run.reminded), "escalated": len(run.escalated)}


@shared_task(name="e911.tasks.watch_readiness")
@rowsecurity.spans_organizations("readiness of every open migration")
def watch_readiness_changes() -> dict:
    """Every 15 minutes: `readiness.changed` webhooks for migrations whose readiness
    changed since the last look (e911.readiness.watch)."""
    return {"events": watch_readiness()}
