"""The cutover clock: what falls due, claimed once (docs/cutover-steps.md).

Celery beat calls `cutover.tasks.run_due_steps` every minute, which runs
`mark_due` and `escalate_overdue`. The database holds every step with its
`due_at`; nothing is scheduled days ahead in the broker (a Redis broker re-delivers a
task whose ETA is past its visibility timeout). A broker or worker restart therefore
loses nothing: the next run finds whatever fell due meanwhile.

Exactly once. Steps are claimed with `SELECT … FOR UPDATE SKIP LOCKED` inside a
transaction that also records `notified_due_at` (or `escalated_at`); two workers, or a
re-delivered task, never claim the same step, and a claimed step is never claimed again.
The emails are sent with `transaction.on_commit`, i.e. only after the claim committed:
a crash before the commit sends nothing and the next run claims the step again; a crash
between the commit and the send loses that one email (at most once), never doubles it.
A lost "due" email is covered by the escalation, and the step shows as due on the page.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from tenancy import clock, freshness
from webhooks.events import EventType
from webhooks.services import emit_many

from ..models import Step
from .selectors import display_zones, local_due

logger = logging.getLogger(__name__)

BATCH = 200
EVENT_TYPES = {"due": EventType.STEP_DUE, "overdue": EventType.STEP_OVERDUE}


def _claim(filters, update, now, reason, event_type=None):
    """Lock a batch of matching steps (skipping rows another worker holds), apply
    `update`, and return their ids. Runs inside the caller's transaction.

    One UPDATE and one history INSERT per batch, not a save() per step: every claimed
    step takes the same values, and its history row says why (docs/performance.md)."""
    steps = list(
        Step.objects.select_for_update(skip_locked=True)
        .filter(**filters)
        .order_by("due_at", "pk")[:BATCH]
    )
    if not steps:
        return []
    ids = [s.pk for s in steps]
    Step.objects.filter(pk__in=ids).update(**update)
    for step in steps:
        for name, value in update.items():
            setattr(step, name, value)
    Step.history.bulk_history_create(steps, update=True, default_change_reason=reason,
                                     default_date=now)  # fmt: skip
    for organization_id in {s.organization_id for s in steps}:  # update() sends no signal
        freshness.bump_after_change(organization_id)
        if event_type:
            mine = [s for s in steps if s.organization_id == organization_id]
            emit_many(organization_id, event_type, lambda mine=mine: _step_payloads(mine))
    return ids


def _step_payloads(steps) -> list[dict]:
    """The steps as webhook payloads (one query for their migrations)."""
    migrations = dict(
        Step.objects.filter(pk__in=[s.pk for s in steps]).values_list("pk", "plan__migration__uuid")
    )
    return [
        {"step": {"id": s.pk, "code": s.code, "title": s.title, "status": s.status,
                  "due_at": s.due_at.isoformat(), "port_order": s.port_order_id,
                  "site": s.site_id, "migration": str(migrations[s.pk])}}
        for s in steps
    ]  # fmt: skip


def _steps_url(step) -> str:
    migration = step.plan.migration
    path = reverse("cutover-steps", args=[step.organization.slug, migration.uuid])
    return (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/") + path


def _message(step, kind, zone, url=None) -> EmailMessage | None:
    migration = step.plan.migration
    if kind == "due":
        person = step.owner or migration.owner
        subject = f"[Cutover step due] {migration.name}: {step.title}"
    else:
        person = migration.owner
        subject = f"[Cutover step overdue] {migration.name}: {step.title}"
    if person is None or not person.email:
        logger.warning("cutover step %s: nobody to email (%s)", step.pk, kind)
        return None
    lines = [
        f"Step #{step.pk}: {step.title}",
        f"Due {local_due(step, zone)} ({step.due_at:%Y-%m-%d %H:%M} UTC).",
    ]
    if step.port_order_id:
        lines.append(f"Port order #{step.port_order_id}.")
    if kind == "overdue":
        minutes = settings.STEP_ESCALATE_AFTER_MINUTES
        owner = step.owner.get_full_name() or step.owner.username if step.owner else "nobody"
        lines.append(
            f"Still not done {minutes} minutes after it was due (owner: {owner}). "
            "Check it is in hand, or skip it with the reason."
        )
    lines.append(f"Mark it done or skipped: {url or _steps_url(step)}")
    return EmailMessage(subject=subject, body="\n".join(lines) + "\n",
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email])  # fmt: skip


# A batch's emails go over this many mail-server connections at once, from as many
# threads: sending is mostly waiting for the server's answer to each command (four per
# email), so a second connection sends while the first waits (docs/performance.md).
SEND_CONNECTIONS = 2


def _send(ids, kind):
    """Email each claimed step (after the claim committed), over `SEND_CONNECTIONS`
    mail-server connections per batch rather than one per email (docs/performance.md).
    One failed email is logged and does not stop the others; it is not retried (at most
    once)."""
    steps = list(
        Step.objects.filter(pk__in=ids).select_related(
            "organization", "owner", "site", "port_order", "plan__migration__owner"
        )
    )
    by_migration = {}
    for step in steps:
        by_migration.setdefault(step.plan.migration_id, []).append(step)
    zones, urls = {}, {}
    for migration_id, mine in by_migration.items():  # 2 queries per migration
        zones.update(display_zones(mine, mine[0].plan.migration))
        urls[migration_id] = _steps_url(mine[0])  # the same page for all of them
    messages = [
        (step.pk, _message(step, kind, zones[step.pk], urls[step.plan.migration_id]))
        for step in steps
    ]
    messages = [(pk, message) for pk, message in messages if message is not None]
    shares = [messages[i::SEND_CONNECTIONS] for i in range(SEND_CONNECTIONS)]
    shares = [share for share in shares if share]
    if len(shares) <= 1:
        for share in shares:
            _send_over_one_connection(share, kind)
        return
    with ThreadPoolExecutor(max_workers=len(shares), thread_name_prefix="step-mail") as pool:
        for done in [pool.submit(_send_over_one_connection, share, kind) for share in shares]:
            done.result()


def _send_over_one_connection(messages, kind):
    """Send `messages` ([(step id, message)]) in turn over one connection (no database
    access: safe in a thread of its own)."""
    connection = get_connection()
    _open(connection)  # opened here, the backend keeps it open between messages
    try:
        for pk, message in messages:
            message.connection = connection
            try:
                message.send()
            except Exception:  # the claim stands: never sent twice, logged for a person
                logger.exception("cutover step %s: the %s email could not be sent", pk, kind)
                connection.close()
                _open(connection)  # a fresh connection for the rest
    finally:
        connection.close()


def _open(connection):
    try:
        connection.open()
    except Exception:  # each message then tries (and logs) on its own
        logger.exception("cutover steps: the mail server does not answer")


def _claim_all(where, changes, now, reason, kind) -> int:
    """Claim every matching step, a batch per transaction, and email each batch once its
    claim has committed."""
    total = 0
    while True:
        with transaction.atomic():
            ids = _claim(where, changes, now, reason, EVENT_TYPES[kind])
            if ids:
                transaction.on_commit(lambda ids=ids: _send(ids, kind))
        total += len(ids)
        if len(ids) < BATCH:
            return total


def mark_due(now=None) -> int:
    """Claim pending steps whose time has come: status due, `notified_due_at`, and one
    email to the step's owner (else the migration's owner)."""
    now = now or clock.now()
    return _claim_all(
        {"status": Step.Status.PENDING, "due_at__lte": now, "notified_due_at__isnull": True},
        {"status": Step.Status.DUE, "notified_due_at": now},
        now, "due: owner notified", "due",
    )  # fmt: skip


def escalate_overdue(now=None) -> int:
    """Steps still due `STEP_ESCALATE_AFTER_MINUTES` after their time: overdue, and one
    email to the migration's owner."""
    now = now or clock.now()
    late = now - timedelta(minutes=settings.STEP_ESCALATE_AFTER_MINUTES)
    return _claim_all(
        {"status": Step.Status.DUE, "due_at__lte": late, "escalated_at__isnull": True},
        {"status": Step.Status.OVERDUE, "escalated_at": now},
        now, "overdue: escalated to the migration owner", "overdue",
    )  # fmt: skip
