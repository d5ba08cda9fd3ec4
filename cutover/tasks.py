"""The cutover app's Celery tasks (docs/cutover-steps.md, docs/cutover-preflight.md).

Celery autodiscovers `cutover.tasks` only: the checklist PDF task lives with pre-flight
and is imported here so that workers know it. Each task takes ids, loads through the
database and calls a service; each is safe to run twice."""

from celery import shared_task

from tenancy import clock

from .preflight.tasks import render_checklists  # noqa: F401  (registers the task)
from .steps.clock import escalate_overdue, mark_due


@shared_task(name="cutover.tasks.run_due_steps")
def run_due_steps() -> dict:
    """Beat, every minute: mark due steps and notify their owners; escalate late ones.
    Safe to run twice, concurrently, or after a re-delivery: each step once."""
    at = clock.now()
    return {"due": mark_due(at), "escalated": escalate_overdue(at)}
