"""The Celery job that renders pre-flight checklists (a site or a whole migration) as ONE
PDF: the fixed form laid out once, every endpoint's values over it
(`cutover.preflight.checklists.checklist_pdf`, docs/cutover-preflight.md).

Progress on the ChecklistJob row: `total` endpoints; `done` counts the endpoint pages
prepared; then the message says the PDF is being rendered (one render, no per-page
progress is possible); then `done`/`failed`.

Celery's autodiscovery imports `cutover.tasks` only: that module imports this one for
workers to know the task (the web process imports it when it enqueues)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.core.files.base import ContentFile

from cutover.models import ChecklistJob
from cutover.preflight.checklists import (
    checklist_endpoints,
    checklist_pages,
    checklist_pdf,
    checklist_scope,
)
from tenancy import clock
from tenancy.portal import portal_base_url

logger = logging.getLogger(__name__)


# Write progress to the row at most this often (and after the last page).
PROGRESS_EVERY_SECONDS = 0.5


def _update(job, **fields):
    for name, value in fields.items():
        setattr(job, name, value)
    type(job).objects.filter(pk=job.pk).update(**fields)


@shared_task(name="cutover.tasks_preflight.render_checklists")
def render_checklists(job_id: int, base_url: str | None = None) -> str:
    """Prepare each endpoint's page, then render them all as one PDF and store it in the
    job. `base_url` is where the QR codes point (the requesting host)."""

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

        pages = checklist_pages(job.migration, endpoints, base_url, on_page=progress)
        _update(
            job, done=len(endpoints),
            message=f"Rendering the PDF ({len(endpoints)} checklist(s), one document)…",
        )  # fmt: skip
        rendered = checklist_pdf(job.migration, job.site, pages, job=job)
        scope = checklist_scope(job.migration, job.site)
        name = f"preflight-{job.pk}.pdf"
        job.pdf.save(name, ContentFile(rendered.pdf), save=False)
        flowing = len(rendered.info.get("flowing", []))
        longer = f" {flowing} of them on the longer layout (values too long for the form)." \
            if flowing else ""  # fmt: skip
        _update(
            job, pdf=job.pdf.name, status=ChecklistJob.Status.DONE, finished_at=clock.now(),
            message=f"{len(endpoints)} checklist(s) for {scope}.{longer}"[:500],
        )  # fmt: skip
        return "done"
    except Exception as exc:
        logger.exception("Checklist job %s failed", job_id)
        _update(
            job, status=ChecklistJob.Status.FAILED, finished_at=clock.now(),
            message=f"Failed: {type(exc).__name__}: {exc}"[:500],
        )  # fmt: skip
        return "failed"
