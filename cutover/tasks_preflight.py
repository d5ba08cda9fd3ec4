"""The Celery job that renders pre-flight checklists (a site or a whole migration) as ONE
PDF in ONE WeasyPrint pass (docs/cutover-preflight.md).

Progress on the ChecklistJob row: `total` endpoints; `done` counts the endpoint pages
built as HTML; then the message says the PDF is being rendered (one pass, no per-page
progress is possible); then `done`/`failed`.

Celery's autodiscovery imports `cutover.tasks` only: that module must import this one
for workers to know the task (the web process imports it when it enqueues)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone

from documents import render as pdf_render

logger = logging.getLogger(__name__)

# Write progress to the row at most this often (and after the last page).
PROGRESS_EVERY_SECONDS = 0.5


def _update(job, **fields):
    for name, value in fields.items():
        setattr(job, name, value)
    type(job).objects.filter(pk=job.pk).update(**fields)


@shared_task(name="cutover.tasks_preflight.render_checklists")
def render_checklists(job_id: int, base_url: str | None = None) -> str:
    """Build one HTML page per endpoint, then render them all in one pass and store the
    PDF in the job. `base_url` is where the QR codes point (the requesting host)."""
    from esign.services import portal_base_url

    from .models import ChecklistJob
    from .preflight import (
        checklist_endpoints,
        checklist_html,
        checklist_sections,
        checklist_timeout,
    )

    job = (
        ChecklistJob.objects.select_related("migration__customer", "site", "organization")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        return "missing"
    if job.status == ChecklistJob.Status.DONE:
        return "done"  # a re-delivered task does not render again
    base_url = base_url or portal_base_url(None)
    try:
        endpoints = checklist_endpoints(job.migration, job.site)
        _update(
            job, status=ChecklistJob.Status.RUNNING, total=len(endpoints), done=0,
            message=f"Building {len(endpoints)} page(s)…",
        )  # fmt: skip
        last_write = time.monotonic()

        def progress(index):
            nonlocal last_write
            if time.monotonic() - last_write >= PROGRESS_EVERY_SECONDS:
                _update(job, done=index)
                last_write = time.monotonic()

        sections = checklist_sections(job.migration, endpoints, base_url, on_page=progress)
        _update(
            job, done=len(endpoints),
            message=f"Rendering the PDF ({len(endpoints)} page(s), one pass)…",
        )  # fmt: skip
        html = checklist_html(job.migration, job.site, sections, job=job)
        pdf = pdf_render.render_pdf(html, timeout_seconds=checklist_timeout(len(endpoints)))
        scope = job.site.name if job.site else job.migration.name
        name = f"preflight-{job.pk}.pdf"
        job.pdf.save(name, ContentFile(pdf), save=False)
        _update(
            job, pdf=job.pdf.name, status=ChecklistJob.Status.DONE, finished_at=timezone.now(),
            message=f"{len(endpoints)} checklist(s) for {scope}."[:500],
        )  # fmt: skip
        return "done"
    except Exception as exc:
        logger.exception("Checklist job %s failed", job_id)
        _update(
            job, status=ChecklistJob.Status.FAILED, finished_at=timezone.now(),
            message=f"Failed: {type(exc).__name__}: {exc}"[:500],
        )  # fmt: skip
        return "failed"
