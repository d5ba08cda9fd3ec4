"""The cutover app's Celery tasks (docs/cutover-steps.md, docs/cutover-preflight.md).

Celery autodiscovers `cutover.tasks` only: the checklist PDF task lives with pre-flight
and is imported here so that workers know it. Each task takes ids, loads through the
database and calls a service; each is safe to run twice."""

from celery import shared_task

import rowsecurity
from tenancy import clock

from .preflight import jobs
from .preflight.tasks import render_checklists  # noqa: F401  (registers the task)
from .steps.clock import escalate_overdue, mark_due


@shared_task(name="cutover.tasks.run_due_steps")
@rowsecurity.spans_organizations("the step clock, every organization")
def run_due_steps() -> dict:
    """Beat, every minute: mark due steps and notify their owners; escalate late ones.
    Safe to run twice, concurrently, or after a re-delivery: each step once."""
    at = clock.now()
    return {"due": mark_due(at), "escalated": escalate_overdue(at)}


@shared_task(name="cutover.tasks.sweep_checklist_jobs")
@rowsecurity.spans_organizations("checklist jobs of every organization")
def sweep_checklist_jobs() -> dict:
    """Beat, every minute: checklist jobs whose worker stopped are retried or failed, and
    queued jobs the broker never took (or lost) are sent again. Safe to run twice: each
    job is taken under a row lock (cutover/preflight/jobs.py)."""
    return jobs.sweep()
