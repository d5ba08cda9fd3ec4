"""Reminders to customers on the organization's cadence: one machinery for every sender
(the customer portal's tasks, the LOA signing links).

A task is reminded at three points: when it becomes available, the organization's
`reminder_days_before_due` days before it is due, and `reminder_days_after_due` days
after it is overdue (0 turns a point off). Each point is sent once per task and contact
(`ReminderSent`), at most one reminder email a day goes to one address whichever sender
has it, never for a task that is done, and never to an address that unsubscribed. The
contact's row is locked while a sender decides and sends, so two senders (or the same
task run twice) cannot both email the same person on the same day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse

import rowsecurity

from . import clock
from .models import Organization
from .portal import portal_base_url
from .reminder_models import ReminderContact, ReminderSent

Point = ReminderSent.Point
_SALT = "reminders-unsubscribe"


def due_points(due: date | None, organization: Organization, today: date) -> list[str]:
    """The points of a task still to do that have come by `today`."""
    points = [Point.AVAILABLE]
    before, after = organization.reminder_days_before_due, organization.reminder_days_after_due
    if due is not None:
        if before and today >= due - timedelta(days=before):
            points.append(Point.BEFORE_DUE)
        if after and today >= due + timedelta(days=after):
            points.append(Point.OVERDUE)
    return points


@dataclass
class Round:
    """What one sender may send one contact now: call inside a transaction."""

    contact: ReminderContact
    organization: Organization
    now: object
    sent: set  # the (task key, point) pairs this contact had already
    due: list = field(default_factory=list)  # [(task key, [points])]

    def add(self, key: str, due: date | None, *, skip: tuple = ()) -> list[str]:
        """Offer a task still to do; returns its points not sent yet (also kept)."""
        fresh = [
            p
            for p in due_points(due, self.organization, self.now.date())
            if p not in skip and (key, p) not in self.sent
        ]
        if fresh:
            self.due.append((key, fresh))
        return fresh

    def record(self) -> None:
        """The email went out: its points are spent and the contact is done for today."""
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(
                    organization_id=self.contact.organization_id,
                    contact=self.contact,
                    task_key=key,
                    point=point,
                    sent_at=self.now,
                )
                for key, points in self.due
                for point in points
            ],
            ignore_conflicts=True,
        )
        self.contact.last_sent_at = self.now
        self.contact.save(update_fields=["last_sent_at"])


def open_round(organization: Organization, email: str, *, now=None) -> Round | None:
    """Lock the contact and return a round, or None when this address gets nothing
    today: it unsubscribed, or another reminder already went to it today."""
    now = now or clock.now()
    contact = _locked_contact(organization, email)
    if contact.opted_out_at is not None:
        return None
    if contact.last_sent_at is not None and contact.last_sent_at.date() == now.date():
        return None  # at most one a day
    sent = set(contact.sent.values_list("task_key", "point"))
    return Round(contact=contact, organization=organization, now=now, sent=sent)


def _locked_contact(organization, email) -> ReminderContact:
    email = email.strip().lower()
    ReminderContact.objects.get_or_create(organization=organization, email=email)
    return ReminderContact.objects.select_for_update().get(organization=organization, email=email)


def opted_out(organization, emails: Iterable[str]) -> set[str]:
    """Which of these addresses unsubscribed from the organization's reminders."""
    wanted = {e.strip().lower() for e in emails}
    return set(
        ReminderContact.objects.filter(
            organization=organization, email__in=wanted, opted_out_at__isnull=False
        ).values_list("email", flat=True)
    )


def opted_out_exists(email_field: str = "email"):
    """An annotation: whether the row's address unsubscribed (for lists, one query)."""
    return Exists(
        ReminderContact.objects.filter(
            organization=OuterRef("organization"),
            email=Lower(OuterRef(email_field)),
            opted_out_at__isnull=False,
        )
    )


# --- unsubscribing ----------------------------------------------------------------------


def unsubscribe_url(organization, email: str) -> str:
    token = signing.dumps({"o": organization.pk, "e": email.strip().lower()}, salt=_SALT)
    return portal_base_url().rstrip("/") + reverse("reminders-unsubscribe", args=[token])


def contact_for(token: str) -> tuple[Organization, str] | None:
    """The organization and address an unsubscribe link names (signed, so no one can
    switch off someone else's reminders), or None."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        return None
    organization = Organization.objects.filter(pk=data.get("o")).first()
    if organization is None or not data.get("e"):
        return None
    # The signed link names its organization: the request reads only its rows (rowsecurity).
    rowsecurity.enter_organizations([organization.pk])
    return organization, data["e"]


def unsubscribe(organization, email: str) -> ReminderContact:
    contact = _locked_contact(organization, email)
    if contact.opted_out_at is None:
        contact.opted_out_at = clock.now()
        contact.save(update_fields=["opted_out_at"])
    return contact


# --- the email --------------------------------------------------------------------------


def branded_email(
    organization, *, to: str, subject: str, template: str, context: dict, reply_to: str = ""
) -> EmailMultiAlternatives:
    """A reminder (or invitation) in the organization's name and colour: a plain-text
    part from `<template>.txt`, an HTML part from `<template>.html`, and an unsubscribe
    link in both and in the List-Unsubscribe headers (one click, RFC 8058)."""
    unsubscribe = unsubscribe_url(organization, to)
    context = {**context, "organization": organization, "unsubscribe": unsubscribe}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
