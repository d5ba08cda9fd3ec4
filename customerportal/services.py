"""Writes of the customer portal: the PM sends and revokes links; the customer uploads a
bill and flags a task as stuck; the PM clears the flag. Roles are checked here."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from porting.bills import attach_bill
from porting.models import CarrierAccount
from sites.models import Site
from sites.services import confirm_site_contacts
from tenancy import clock, reminders
from tenancy.history import save_with_history
from tenancy.notify import email_after_commit
from tenancy.portal import LinkDead, LinkState, new_token
from tenancy.roles import OWNER_PM, require_role
from webhooks.events import EventType
from webhooks.services import emit

from .models import CustomerPortalLink, StuckFlag
from .selectors import task_keys


def link_ttl() -> timedelta:
    return timedelta(days=settings.CUSTOMER_PORTAL_TTL_DAYS)


@transaction.atomic
def send_portal_link(migration, *, name, email, by, base_url) -> CustomerPortalLink:
    """Email a contact their link to the migration's portal. An earlier live link of the
    same contact dies (a re-send replaces it). The token exists only in the email."""
    require_role(migration.organization_id, by, OWNER_PM, "Sending a customer portal link")
    email = email.strip().lower()
    now = clock.now()
    for old in CustomerPortalLink.objects.select_for_update().filter(
        migration=migration, email=email, revoked_at=None
    ):
        old.revoked_at, old.revoked_reason = now, "replaced by a new link"
        save_with_history(old, by=by, reason="portal link replaced by a new one")
    token, token_hash = new_token()
    link = CustomerPortalLink(
        migration=migration, name=name.strip(), email=email, sent_by=by,
        token_hash=token_hash, created_at=now, expires_at=now + link_ttl(),
    )  # fmt: skip
    link.full_clean(exclude=["token_hash"])
    save_with_history(link, by=by, reason=f"customer portal link sent to {email}")
    url = base_url.rstrip("/") + reverse("customerportal:portal", args=[token])
    # Sent inside the transaction: if the mail server refuses, nothing is recorded.
    reminders.branded_email(
        migration.organization,
        to=email,
        subject=f"{migration.organization.name}: your phone migration, {migration.name}",
        template="customerportal/email_link",
        context={"link": link, "url": url, "migration": migration, "sender": by},
        reply_to=by.email or "",
    ).send()
    return link


@transaction.atomic
def revoke_portal_link(link, *, by, reason=""):
    require_role(link.organization_id, by, OWNER_PM, "Revoking a customer portal link")
    link = CustomerPortalLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at:
        raise ValidationError("This link is already revoked.")
    link.revoked_at = clock.now()
    link.revoked_reason = (reason or "revoked by the project manager")[:300]
    return save_with_history(link, by=by, reason=f"portal link revoked: {link.revoked_reason}")


def live(link) -> CustomerPortalLink:
    """The link, locked, or LinkDead."""
    locked = CustomerPortalLink.objects.select_for_update().get(pk=link.pk)
    state = locked.link_state()
    if state != LinkState.ACTIVE:
        raise LinkDead(state)
    return locked


def seen(link):
    CustomerPortalLink.objects.filter(pk=link.pk).update(last_seen_at=clock.now())


@transaction.atomic
def upload_bill(link, *, account_id, data: bytes, name: str):
    link = live(link)
    account = CarrierAccount.objects.filter(pk=account_id, migration=link.migration_id).first()
    if account is None:
        raise ValidationError("Choose one of the accounts listed.")
    return attach_bill(account, data=data, name=name, uploaded_by_name=link.name,
                       source="portal")  # fmt: skip


@transaction.atomic
def confirm_contacts(link, *, site_id, **fields):
    link = live(link)
    site = Site.objects.filter(pk=site_id, migration=link.migration_id).first()
    if site is None:
        raise ValidationError("Choose one of the sites listed.")
    return confirm_site_contacts(site, confirmed_by=link.name, **fields)


@transaction.atomic
def raise_stuck(link, *, task_key, note) -> StuckFlag:
    """The customer is stuck on a task: the flag shows on the migration's page until the
    PM clears it, and the migration's owner and the link's sender are emailed."""
    link = live(link)
    tasks = task_keys(link)
    if task_key not in tasks:
        raise ValidationError("That task is not on your list any more.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Tell us what is in the way, so we can help."})
    flag = StuckFlag.objects.filter(migration=link.migration, task_key=task_key,
                                    cleared_at=None).select_for_update().first()  # fmt: skip
    if flag is not None:
        flag.note = f"{flag.note}\n\n{link.name}: {note}"[:2000]
    else:
        flag = StuckFlag(migration=link.migration, link=link, task_key=task_key,
                         task_title=tasks[task_key], note=note[:2000],
                         raised_by_name=link.name)  # fmt: skip
    save_with_history(flag, reason=f"{link.name} is stuck: {tasks[task_key]}")
    emit(link.organization_id, EventType.TASK_STUCK, lambda: {
        "migration": str(link.migration.uuid), "task": task_key, "title": tasks[task_key],
        "note": note, "raised_by": link.name, "raised_at": flag.raised_at.isoformat(),
    })  # fmt: skip
    migration = link.migration
    recipients = []
    for user in (migration.owner, link.sent_by):
        if user is not None and user.email and user.email not in recipients:
            recipients.append(user.email)
    if recipients:
        subject = f"Stuck: {link.name} on “{tasks[task_key]}” ({migration.name})"
        body = (
            f"{link.name} <{link.email}> flagged a task as stuck in the customer portal of "
            f"{migration.name}.\n\nTask: {tasks[task_key]}\nWhat they wrote: {note}\n\n"
            "The flag shows on the migration's page until you clear it."
        )
        email_after_commit(subject, body, recipients, reply_to=link.email)
    return flag


@transaction.atomic
def clear_stuck(flag, *, by, reason=""):
    require_role(flag.organization_id, by, OWNER_PM, "Clearing a stuck flag")
    flag = StuckFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.cleared_at:
        raise ValidationError("This flag is already cleared.")
    flag.cleared_at, flag.cleared_by = clock.now(), by
    return save_with_history(flag, by=by, reason=reason or "stuck flag cleared")
