"""Remote workers: their home is a dispatchable location they enter and confirm
themselves, through a link emailed by the PM (docs/e911-remote-workers.md).

The link follows the portal rules of `tenancy/portal.py` (256-bit token, only its hash
stored, expiry, revocable, a re-send kills the old link), with one difference from the
LOA link: confirming does NOT use it up. A worker who moves updates their home through
the same link (policy: within 24 hours of moving) until it expires or is revoked.

The worker has no account, so the home location is built here (validated with the
configured validator, like `e911.locations.services.create_location`) without a role
check; its history names the worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Min
from django.template.loader import render_to_string

from e911.locations.services import E911_WRITERS, _apply, _input
from e911.models import (
    DispatchableLocation,
    EndpointE911,
    LocationConfirmation,
    Registration,
    RemoteWorker,
    RemoteWorkerLink,
    ValidationStatus,
)
from e911.remote.selectors import (
    HOME_FIELDS,
    _same_place,
    link_ttl,
    live_links,
    portal_url,
    worker_label,
)
from e911.validation import get_validator
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.portal import LinkDead, LinkState, new_token, portal_base_url
from tenancy.roles import OWNER_PM, require_role

logger = logging.getLogger(__name__)


class ResultChanged(Exception):
    """The normalized address is not the one shown to the worker (the validator's answer
    changed in between): show the new one and ask again."""

    def __init__(self, location):
        super().__init__("The checked address changed: please look at it again.")
        self.location = location


@transaction.atomic
def add_remote_worker(migration, *, name, email, endpoints=(), by, reason=""):
    """A person who calls from home, with the migration's endpoints they use there."""
    require_role(migration.organization_id, by, E911_WRITERS, "Adding a remote worker")
    endpoints = list(endpoints)
    foreign = [e for e in endpoints if e.migration_id != migration.pk]
    if foreign:
        raise ValidationError({"endpoints": "Choose endpoints of this migration only."})
    worker = RemoteWorker(
        migration=migration, name=(name or "").strip(), email=(email or "").strip().lower()
    )
    taken = RemoteWorker.objects.filter(migration=migration, email=worker.email)
    if worker.email and taken.exists():
        raise ValidationError({"email": "This person is already a remote worker here."})
    worker.full_clean()
    save_with_history(worker, by=by, reason=reason or "remote worker added")
    if endpoints:
        worker.endpoints.set(endpoints)
    return worker


def _revoke(link, *, by, reason, now=None):
    link.revoked_at = now or clock.now()
    link.revoked_reason = reason[:300]
    save_with_history(link, by=by, reason=f"link revoked: {reason}"[:300])


def _issue_link(worker, *, by, sent_by, reason, now=None):
    """Earlier live links of the worker die; a new one is stored by its hash. Returns
    (link, token); the token goes into one email and nowhere else."""
    now = now or clock.now()
    for old in live_links(worker, now):
        _revoke(old, by=by, reason="replaced by a new link", now=now)
    token, token_hash = new_token()
    link = RemoteWorkerLink(
        worker=worker, sent_by=sent_by, token_hash=token_hash, created_at=now,
        expires_at=now + link_ttl(),
    )  # fmt: skip
    link.full_clean(exclude=["token_hash"])
    save_with_history(link, by=by, reason=reason)
    return link, token


def _link_email(worker, link, url, *, sender, reminder=False):
    body = render_to_string(
        "e911/remote_email_link.txt",
        {"worker": worker, "link": url, "expires_at": link.expires_at, "sender": sender,
         "migration": worker.migration, "reminder": reminder},
    )  # fmt: skip
    customer = worker.migration.customer
    subject = (
        f"Reminder: confirm your home address for 911 calls ({customer})"
        if reminder
        else f"Please confirm your home address for 911 calls ({customer})"
    )
    reply_to = [sender.email] if sender is not None and sender.email else None
    EmailMessage(subject=subject, body=body, to=[worker.email], reply_to=reply_to).send()


@transaction.atomic
def send_location_link(worker, *, by, base_url, meta=None):
    """Email the worker a link to enter or confirm their home location. A re-send kills
    every earlier live link. The email is sent inside the transaction: if the mail server
    refuses, nothing is recorded (the token exists nowhere else)."""
    require_role(worker.organization_id, by, OWNER_PM, "Sending a remote worker's link")
    worker = (
        RemoteWorker.objects.select_for_update()
        .select_related("migration__customer")
        .get(pk=worker.pk)
    )
    link, token = _issue_link(
        worker, by=by, sent_by=by, reason=f"home-location link sent to {worker.email}"
    )
    _link_email(worker, link, portal_url(base_url, token), sender=by)
    return link


@dataclass
class BulkSend:
    sent: list = field(default_factory=list)
    not_sent: list = field(default_factory=list)  # left when the mail server failed
    error: str = ""


def send_location_links(migration, workers, *, by, base_url, meta=None) -> BulkSend:
    """Send (or re-send) the link to each worker, each in its own transaction, as
    send_location_link does for one. If the mail server fails part-way, the links already
    sent stand and the rest are named, with nothing recorded for them: sending to them
    again is safe."""
    require_role(migration.organization_id, by, OWNER_PM, "Sending remote workers' links")
    workers = list(workers)
    result = BulkSend()
    for index, worker in enumerate(workers):
        try:
            send_location_link(worker, by=by, base_url=base_url, meta=meta)
        except OSError as exc:
            result.not_sent, result.error = workers[index:], str(exc)
            break
        result.sent.append(worker)
    return result


@transaction.atomic
def revoke_location_link(worker, *, by, reason=""):
    """Kill the worker's live link(s). Returns how many were revoked."""
    require_role(worker.organization_id, by, OWNER_PM, "Revoking a remote worker's link")
    RemoteWorker.objects.select_for_update().filter(pk=worker.pk).first()
    links = list(live_links(worker))
    if not links:
        raise ValidationError("This worker has no live link to revoke.")
    for link in links:
        _revoke(link, by=by, reason=reason or "revoked by the project manager")
    return len(links)


def _live(link) -> RemoteWorkerLink:
    locked = (
        RemoteWorkerLink.objects.select_for_update()
        .select_related("worker__migration__customer")
        .get(pk=link.pk)
    )
    state = locked.link_state()
    if state != LinkState.ACTIVE:
        raise LinkDead(state)
    return locked


def _build(worker, fields) -> DispatchableLocation:
    """An unsaved home location from what the worker entered, validated and normalized."""
    unknown = set(fields) - set(HOME_FIELDS)
    if unknown:
        raise ValidationError(f"Not location fields: {', '.join(sorted(unknown))}.")
    values = {name: (fields.get(name) or "").strip() for name in HOME_FIELDS}
    values["state"] = values["state"].upper()
    location = DispatchableLocation(
        migration=worker.migration, remote_worker=worker, label="Home", **values
    )
    location.organization_id = worker.organization_id
    location.full_clean(exclude=["organization"])
    validator = get_validator()
    _apply(location, validator.validate(_input(location)), validator.name)
    return location


def propose_home_location(link, *, fields, meta=None) -> DispatchableLocation:
    """The normalized result for what the worker entered, NOT saved: shown back to ask
    "Is this right?". Its `validation_status` may be "failed" with the validator's
    `validation_message`; such a result cannot be confirmed."""
    state = link.link_state()
    if state != LinkState.ACTIVE:
        raise LinkDead(state)
    return _build(link.worker, fields)


@dataclass
class Confirmed:
    confirmation: LocationConfirmation
    location: DispatchableLocation
    created: bool  # False: the worker confirmed the home already on record
    superseded: DispatchableLocation | None


def _supersede(old, new, *, reason):
    """Like e911.services.change_location, without a user: `old` stays in history, not
    current; endpoints and registrations that used it move to `new` (registrations back
    to pending: the provider must see the new address)."""
    old.is_current = False
    old.superseded_by = new
    save_with_history(old, reason=f"superseded by location #{new.pk}: {reason}"[:300])
    for assignment in EndpointE911.objects.filter(location=old):
        assignment.location = new
        save_with_history(assignment, reason=f"location #{old.pk} changed: {reason}"[:300])
    for registration in Registration.objects.filter(location=old):
        registration.location = new
        registration.status = Registration.Status.PENDING
        registration.message = "The address changed: register the new one."
        save_with_history(registration, reason=f"location #{old.pk} changed: {reason}"[:300])


@transaction.atomic
def confirm_home_location(link, *, fields, meta=None, shown: str | None = None) -> Confirmed:
    """The worker confirmed the normalized result of `fields`. Records their home (a new
    location, superseding a different current one; the current one itself when it is
    the same place), sets `confirmed_at` and logs the confirmation with time, IP and user
    agent. The link stays alive (updates go through it). `shown` is the one-line address
    the worker saw; if the result differs now, ResultChanged is raised."""
    meta = meta or {}
    link = _live(link)
    worker = (
        RemoteWorker.objects.select_for_update().select_related("migration").get(pk=link.worker_id)
    )
    location = _build(worker, fields)
    if location.validation_status == ValidationStatus.FAILED:
        raise ValidationError(location.validation_message or "This address cannot be used.")
    if shown is not None and shown != location.one_line:
        raise ResultChanged(location)
    who = worker_label(worker)
    old = (
        DispatchableLocation.objects.select_for_update()
        .filter(remote_worker=worker, is_current=True)
        .order_by("-pk")
        .first()
    )
    created, superseded = True, None
    if old is not None and old.dispatchable and _same_place(old, location):
        location, created = old, False
    else:
        save_with_history(location, reason=f"home location entered by {who} through their link")
        if old is not None:
            _supersede(old, location, reason=f"{who} updated their home")
            superseded = old
    now = clock.now()
    worker.confirmed_at = now
    save_with_history(worker, reason=f"home location #{location.pk} confirmed by {who}")
    confirmation = LocationConfirmation(
        worker=worker, location=location, at=now, ip=meta.get("ip") or None,
        user_agent=(meta.get("user_agent") or "")[:500],
    )  # fmt: skip
    save_with_history(confirmation, reason=f"confirmed by {who} through their link")
    return Confirmed(confirmation, location, created, superseded)


@dataclass
class ReminderRun:
    reminded: list[int]
    escalated: list[int]


def _due(now, *, days):
    return now - timedelta(days=days)


def remind_unconfirmed(now=None) -> ReminderRun:
    """Workers sent a link who have not confirmed: after `E911_REMOTE_CONFIRM_DAYS` days
    (counted from the first link sent to them) one reminder with a fresh link (the old
    one dies); after `E911_REMOTE_ESCALATE_DAYS` days one email to the PM who sent the
    link and the migration's owner. Each happens once per worker (the timestamps on the
    worker say so, set in the same transaction as the email), so running it twice, or
    on two schedulers at once, sends nothing twice."""
    now = now or clock.now()
    candidates = RemoteWorker.objects.filter(confirmed_at=None).annotate(
        first_sent_at=Min("links__created_at")
    )
    remind_before = _due(now, days=settings.E911_REMOTE_CONFIRM_DAYS)
    escalate_before = _due(now, days=settings.E911_REMOTE_ESCALATE_DAYS)
    run = ReminderRun([], [])
    for worker_id in candidates.filter(
        reminder_sent_at=None, first_sent_at__lte=remind_before
    ).values_list("pk", flat=True):
        try:
            if _remind(worker_id, now=now):
                run.reminded.append(worker_id)
        except OSError:  # the mail server refused: nothing recorded, retried next run
            logger.exception("reminder to remote worker #%s not sent", worker_id)
    escalate_ids = list(
        candidates.filter(escalated_at=None, first_sent_at__lte=escalate_before).values_list(
            "pk", flat=True
        )
    )
    if escalate_ids:
        run.escalated = _escalate(escalate_ids, now=now)
    return run


@transaction.atomic
def _remind(worker_id, *, now) -> bool:
    worker = (
        RemoteWorker.objects.select_for_update()
        .select_related("migration__customer")
        .filter(pk=worker_id, confirmed_at=None, reminder_sent_at=None)
        .first()
    )
    if worker is None:
        return False  # confirmed or reminded meanwhile
    previous = live_links(worker, now).select_related("sent_by").order_by("-created_at").first()
    if previous is None:
        return False  # revoked or expired: the PM decides; escalation still tells them
    sender = previous.sent_by
    link, token = _issue_link(
        worker, by=None, sent_by=sender, now=now,
        reason=f"reminder: a fresh home-location link sent to {worker.email}",
    )  # fmt: skip
    _link_email(worker, link, portal_url(portal_base_url(), token), sender=sender, reminder=True)
    worker.reminder_sent_at = now
    save_with_history(worker, reason="reminder sent: home location not confirmed")
    return True


def _escalate(worker_ids, *, now) -> list[int]:
    """One email per migration and set of recipients, listing its unconfirmed workers."""
    groups: dict[tuple, list[RemoteWorker]] = {}
    workers = (
        RemoteWorker.objects.filter(pk__in=worker_ids)
        .select_related("migration__owner", "migration__customer")
        .prefetch_related("links__sent_by")
        .order_by("migration_id", "name", "pk")
    )
    for worker in workers:
        links = sorted(worker.links.all(), key=lambda link: link.created_at, reverse=True)
        recipients = []
        for user in (links[0].sent_by if links else None, worker.migration.owner):
            if user is not None and user.email and user.email not in recipients:
                recipients.append(user.email)
        groups.setdefault((worker.migration_id, tuple(recipients)), []).append(worker)
    escalated = []
    for (_migration_id, recipients), group in groups.items():
        try:
            escalated += _escalate_group(group, recipients, now=now)
        except OSError:
            logger.exception("escalation for remote workers %s not sent", [w.pk for w in group])
    return escalated


@transaction.atomic
def _escalate_group(group, recipients, *, now) -> list[int]:
    ids = list(
        RemoteWorker.objects.select_for_update()
        .filter(pk__in=[w.pk for w in group], confirmed_at=None, escalated_at=None)
        .values_list("pk", flat=True)
    )
    workers = [w for w in group if w.pk in ids]
    if not workers:
        return []
    migration = workers[0].migration
    for worker in workers:
        worker.escalated_at = now
        save_with_history(
            worker, reason="escalated to the project manager: home location not confirmed"
        )
    if recipients:
        body = render_to_string(
            "e911/remote_email_escalation.txt",
            {"migration": migration, "workers": workers,
             "days": settings.E911_REMOTE_ESCALATE_DAYS},
        )  # fmt: skip
        EmailMessage(
            subject=f"[E911] {len(workers)} remote worker(s) without a confirmed home: "
            f"{migration.name}",
            body=body,
            to=list(recipients),
        ).send()
    else:
        logger.warning("no PM or owner email for migration #%s escalation", migration.pk)
    return [w.pk for w in workers]
