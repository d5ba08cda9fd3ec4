"""Reminders of the customer's portal tasks, through the organization's one reminder
machinery (tenancy/reminders.py: the cadence, one email a day per address, each point
once, unsubscribe). The LOA signing task is left to the signing link's own reminder,
which carries a fresh link to sign (esign.services.remind_unsigned). Celery beat runs it
hourly; it is safe to run twice (each contact is handled in one locked transaction, the
email inside it)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse

import rowsecurity
from tenancy import clock, reminders
from tenancy.portal import LinkState, new_token, portal_base_url

from .models import CustomerPortalLink
from .selectors import customer_tasks

logger = logging.getLogger(__name__)
# Tasks whose reminders another sender owns (it carries the link the task needs).
SENT_ELSEWHERE = ("loa:",)


def remind_all(now=None) -> int:
    """Send what is due to every live contact; returns how many emails went out."""
    now = now or clock.now()
    ids = CustomerPortalLink.objects.filter(revoked_at=None, expires_at__gt=now).values_list(
        "pk", flat=True
    )
    sent = 0
    for pk in list(ids):
        try:
            sent += _remind(pk, now=now)
        except OSError:  # the mail server refused: nothing recorded, tried again next hour
            logger.exception("portal reminder to link #%s not sent", pk)
    return sent


@transaction.atomic
def _remind(pk, *, now) -> int:
    link = (
        CustomerPortalLink.objects.select_for_update(of=("self",))
        .select_related("migration__organization", "migration__customer", "migration__owner")
        .get(pk=pk)
    )
    if link.link_state(now) != LinkState.ACTIVE or link.created_at.date() == now.date():
        return 0  # dead, or the invitation itself went out today
    organization = link.migration.organization
    round_ = reminders.open_round(organization, link.email, now=now)
    if round_ is None:
        return 0
    due = []
    for task in customer_tasks(link.migration, now=now):
        ours = task.status == "todo" and not task.key.startswith(SENT_ELSEWHERE)
        if ours and round_.add(task.key, task.due):
            due.append(task)
    if not due:
        return 0
    # Only the token's hash is stored, so the reminder carries a fresh token for the same
    # link (same expiry); the one in earlier emails stops working.
    token, link.token_hash = new_token()
    link.save(update_fields=["token_hash"])
    url = portal_base_url().rstrip("/") + reverse("customerportal:portal", args=[token])
    reminders.branded_email(
        organization,
        to=link.email,
        subject=f"{organization.name}: {len(due)} thing{'s' if len(due) > 1 else ''} to do "
        f"for {link.migration.name}",
        template="customerportal/email_reminder",
        context={"link": link, "tasks": due, "migration": link.migration, "url": url},
    ).send()
    round_.record()
    return 1


def unsubscribe_legacy(token: str) -> CustomerPortalLink | None:
    """Honour an unsubscribe link from an email sent before reminders were shared (it
    names the portal link; signed, so no one can switch off someone else's)."""
    from django.core import signing

    try:
        data = signing.loads(token, salt="customer-portal-unsubscribe")
    except signing.BadSignature:
        return None
    # The signed link names its row: the request enters that row's organization (rowsecurity).
    rowsecurity.enter_organizations(
        [rowsecurity.organization_of(CustomerPortalLink, data.get("link"))]
    )
    link = (
        CustomerPortalLink.objects.select_related("migration__organization")
        .filter(pk=data.get("link"))
        .first()
    )
    if link is not None:
        reminders.unsubscribe(link.migration.organization, link.email)
    return link
