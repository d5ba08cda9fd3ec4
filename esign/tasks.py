"""E-signature background work (Celery beat: see CELERY_BEAT_SCHEDULE in
config/settings/base.py). Each task re-reads what it needs and is safe to run twice."""

from celery import shared_task

import rowsecurity

from .services import remind_unsigned as remind_unsigned_links


@shared_task(name="esign.tasks.remind_unsigned")
@rowsecurity.spans_organizations("signing reminders, every organization")
def remind_unsigned() -> dict:
    """Hourly: a reminder, with a fresh link, for LOA signing links still unused on the
    configured cadence (esign.services.remind_unsigned)."""
    return {"reminded": len(remind_unsigned_links())}
