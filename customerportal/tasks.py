"""Customer portal background work (Celery beat). Safe to run twice."""

from celery import shared_task

import rowsecurity

from .reminders import remind_all


@shared_task(name="customerportal.tasks.remind_portal_tasks")
@rowsecurity.spans_organizations("customer portal reminders, every organization")
def remind_portal_tasks() -> dict:
    """Hourly: reminders of the customers' tasks on each organization's cadence."""
    return {"emails": remind_all()}
