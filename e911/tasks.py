"""E911 background work (Celery beat: see CELERY_BEAT_SCHEDULE in config/settings/base.py)."""

from celery import shared_task


@shared_task(name="e911.tasks.remind_remote_workers")
def remind_remote_workers() -> dict:
    """Hourly: remind remote workers who have not confirmed their home, then escalate to
    the PM. Idempotent: it re-reads the workers every run and each reminder and each
    escalation happens once per worker (e911.remote.remind_unconfirmed)."""
    from .remote import remind_unconfirmed

    run = remind_unconfirmed()
    return {"reminded": len(run.reminded), "escalated": len(run.escalated)}


# Celery autodiscovers only `tasks` modules: register the Kari's Law/933 tasks too.
from .tasks_karis import alert_933_mismatch  # noqa: E402, F401
