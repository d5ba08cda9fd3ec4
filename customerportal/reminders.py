"""Reminders of the customer's portal tasks, on the organization's cadence: when a task
becomes available, `reminder_days_before_due` days before it is due, and
`reminder_days_after_due` days after it is overdue. Each point is sent once per task and
contact, at most one email a day per contact, never for a task that is done, never to a
contact who unsubscribed or whose link is dead. Celery beat runs it hourly; it is safe to
run twice (each contact is handled in one locked transaction, the email inside it)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from tenancy import clock
from tenancy.portal import LinkState, new_token, portal_base_url

from .models import CustomerPortalLink, TaskReminder
from .selectors import customer_tasks

logger = logging.getLogger(__name__)
Point = TaskReminder.Point


def due_points(task, organization, today) -> list[str]:
    """The reminder points of a to-do task that have come by `today`."""
    if task.status != "todo":
        return []
    points = [Point.AVAILABLE]
    before, after = organization.reminder_days_before_due, organization.reminder_days_after_due
    if task.due is not None:
        if before and today >= task.due - timedelta(days=before):
            points.append(Point.BEFORE_DUE)
        if after and today >= task.due + timedelta(days=after):
            points.append(Point.OVERDUE)
    return points


def remind_all(now=None) -> int:
    """Send what is due to every live contact; returns how many emails went out."""
    now = now or clock.now()
    ids = CustomerPortalLink.objects.filter(
        revoked_at=None, reminders_off=False, expires_at__gt=now
    ).values_list("pk", flat=True)
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
    if link.reminders_off or link.link_state(now) != LinkState.ACTIVE:
        return 0
    today = now.date()
    if link.created_at.date() == today:
        return 0  # the invitation itself went out today
    if link.last_reminded_at and link.last_reminded_at.date() == today:
        return 0  # at most one a day
    organization = link.migration.organization
    done = set(link.reminders.values_list("task_key", "point"))
    due = []
    for task in customer_tasks(link.migration, now=now):
        fresh = [p for p in due_points(task, organization, today) if (task.key, p) not in done]
        if fresh:
            due.append((task, fresh))
    if not due:
        return 0
    TaskReminder.objects.bulk_create([
        TaskReminder(organization_id=link.organization_id, link=link, task_key=task.key,
                     point=point, sent_at=now)
        for task, points in due for point in points
    ])  # fmt: skip
    # Only the token's hash is stored, so the reminder carries a fresh token for the same
    # link (same expiry); the one in earlier emails stops working.
    token, link.token_hash = new_token()
    link.last_reminded_at = now
    link.save(update_fields=["last_reminded_at", "token_hash"])
    _email(link, token, due, organization)
    return 1


def _email(link, token, due, organization):
    """Plain text with an HTML alternative, in the organization's name and colour."""
    base = portal_base_url().rstrip("/")
    unsubscribe = base + reverse("customerportal:unsubscribe", args=[_unsubscribe_token(link)])
    context = {"link": link, "tasks": due, "organization": organization,
               "migration": link.migration, "unsubscribe": unsubscribe,
               "url": base + reverse("customerportal:portal", args=[token])}  # fmt: skip
    message = EmailMultiAlternatives(
        subject=f"{organization.name}: {len(due)} thing{'s' if len(due) > 1 else ''} to do "
        f"for {link.migration.name}",
        body=render_to_string("customerportal/email_reminder.txt", context),
        to=[link.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
    )
    message.attach_alternative(render_to_string("customerportal/email_reminder.html", context),
                               "text/html")  # fmt: skip
    message.send()


def _unsubscribe_token(link) -> str:
    from django.core import signing

    return signing.dumps({"link": link.pk}, salt="customer-portal-unsubscribe")


def unsubscribe(token: str) -> CustomerPortalLink | None:
    """Honour an unsubscribe link (signed, so no one can switch off someone else's)."""
    from django.core import signing

    try:
        data = signing.loads(token, salt="customer-portal-unsubscribe")
    except signing.BadSignature:
        return None
    link = CustomerPortalLink.objects.filter(pk=data.get("link")).first()
    if link is not None and not link.reminders_off:
        link.reminders_off = True
        link.save(update_fields=["reminders_off"])
    return link
