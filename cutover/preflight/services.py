"""Writes of pre-flight: a technician's record of one endpoint's checks and test calls,
and a checklist PDF job started for a site or a migration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from cutover.models import ChecklistJob, Preflight
from cutover.preflight.selectors import (
    CALLS,
    CHECK_CODES,
    rollup,
    sign_refusal,
)
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import ON_SITE, require_role

from . import jobs


def start_checklist_job(migration, *, site=None, by, base_url=None) -> ChecklistJob:
    """Create the job row (with its history: who asked, for what) and send it to the
    broker once the row is committed. Those who record pre-flight may print it.

    The row is the outbox: with the broker down this still returns the job, queued, with
    `job.queue_down` set and a message saying the worker will pick it up when the queue
    is back; the beat sweep sends it then (cutover/preflight/jobs.py)."""
    require_role(migration.organization_id, by, ON_SITE, "Printing pre-flight checklists")
    with transaction.atomic():
        job = ChecklistJob(
            migration=migration, site=site, requested_by=by, message=jobs.QUEUED,
            base_url=(base_url or "")[:500],
        )  # fmt: skip
        scope = f"site {site}" if site else "the whole migration"
        save_with_history(job, by=by, reason=f"checklist PDF requested for {scope}")
        jobs.send_after_commit(job)
    return job


@transaction.atomic
def record_preflight(endpoint, *, by, checks: dict, test_calls: list, sign: bool) -> Preflight:
    """Save what the technician recorded. A change to any result after the sign-off
    withdraws the signature (it attested to other results); `sign` signs again."""
    require_role(endpoint.organization_id, by, ON_SITE, "Recording pre-flight")
    preflight = Preflight.objects.select_for_update().filter(endpoint=endpoint).first()
    if preflight is None:
        preflight = Preflight(endpoint=endpoint)
    checks = {code: checks[code] for code in CHECK_CODES if code in checks}
    test_calls = list(test_calls)[:CALLS]
    changed = checks != preflight.checks or test_calls != preflight.test_calls
    if sign:
        refusal = sign_refusal(checks, test_calls)
        if refusal:
            raise ValidationError(refusal)
    preflight.checks = checks
    preflight.test_calls = test_calls
    if sign:
        preflight.signed_by = by
        preflight.signed_at = clock.now()
    elif changed:
        preflight.signed_by = None
        preflight.signed_at = None
    preflight.status = rollup(checks, test_calls, preflight.signed_at is not None)
    reason = "pre-flight signed" if sign else "pre-flight recorded"
    return save_with_history(preflight, by=by, reason=reason)
