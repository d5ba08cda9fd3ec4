"""The Celery job that renders pre-flight checklists (a site or a whole migration) as ONE
PDF: the fixed form laid out once, every endpoint's values over it
(`cutover.preflight.checklists.checklist_pdf`, docs/cutover-preflight.md).

Progress on the ChecklistJob row: `total` endpoints; `done` counts the endpoint pages
prepared; then the message says the PDF is being rendered (one render, no per-page
progress is possible); then `done`/`failed`. The job is claimed with a lease and beats a
heartbeat while it runs (cutover/preflight/jobs.py, docs/operations.md).

Celery's autodiscovery imports `cutover.tasks` only: that module imports this one for
workers to know the task (the web process imports it when it enqueues)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.core.files.base import ContentFile

import rowsecurity
from cutover.models import ChecklistJob
from cutover.preflight.checklists import (
    checklist_endpoints,
    checklist_pages,
    checklist_pdf,
    checklist_scope,
)
from tenancy import clock
from tenancy.portal import portal_base_url

from . import jobs

logger = logging.getLogger(__name__)


# Write progress to the row at most this often (and after the last page).
PROGRESS_EVERY_SECONDS = 0.5


@shared_task(name="cutover.tasks_preflight.render_checklists")
@rowsecurity.for_row(ChecklistJob, "job_id")
def render_checklists(job_id: int, base_url: str | None = None) -> str:
    """Prepare each endpoint's page, then render them all as one PDF and store it in the
    job. The QR codes point at the job's `base_url` (the requesting host; `base_url` here
    is for messages sent before the job kept it).

    Safe to run twice: the job is claimed first (cutover/preflight/jobs.py), so a second
    message for it finds it running or finished and does nothing, and the worker beats
    a heartbeat while it works."""
    job, outcome = jobs.claim(job_id)
    if job is None:
        return outcome
    base_url = job.base_url or base_url or portal_base_url(None)
    with jobs.heartbeat(job):
        return _render(job, base_url)


def _render(job, base_url: str) -> str:
    prefix = jobs.attempt_prefix(job.attempts)
    try:
        endpoints = checklist_endpoints(job.migration, job.site)
        jobs.update(
            job, total=len(endpoints), done=0,
            message=f"{prefix}Building {len(endpoints)} page(s)…",
        )  # fmt: skip
        last_write = time.monotonic()

        def progress(index):
            nonlocal last_write
            if time.monotonic() - last_write >= PROGRESS_EVERY_SECONDS:
                jobs.update(job, done=index)
                last_write = time.monotonic()

        pages = checklist_pages(job.migration, endpoints, base_url, on_page=progress)
        jobs.update(
            job, done=len(endpoints),
            message=f"{prefix}Rendering the PDF ({len(endpoints)} checklist(s), one document)…",
        )  # fmt: skip
        rendered = checklist_pdf(job.migration, job.site, pages, job=job)
        scope = checklist_scope(job.migration, job.site)
        name = f"preflight-{job.pk}.pdf"
        job.pdf.save(name, ContentFile(rendered.pdf), save=False)
        flowing = len(rendered.info.get("flowing", []))
        longer = f" {flowing} of them on the longer layout (values too long for the form)." \
            if flowing else ""  # fmt: skip
        retried = f" {jobs.RETRIED.format(attempt=job.attempts, most=jobs.max_attempts())}" \
            if job.attempts > 1 else ""  # fmt: skip
        kept = jobs.update(
            job, pdf=job.pdf.name, status=ChecklistJob.Status.DONE, finished_at=clock.now(),
            heartbeat_at=None,
            message=f"{len(endpoints)} checklist(s) for {scope}.{longer}{retried}"[:500],
        )  # fmt: skip
        if not kept:
            logger.warning("Checklist job %s: the lease was lost; this PDF is not kept", job.pk)
            job.pdf.delete(save=False)
            return "superseded"
        return "done"
    except Exception as exc:
        logger.exception("Checklist job %s failed", job.pk)
        jobs.update(
            job, status=ChecklistJob.Status.FAILED, finished_at=clock.now(), heartbeat_at=None,
            message=f"{prefix}Failed: {type(exc).__name__}: {exc}"[:500],
        )  # fmt: skip
        return "failed"
