"""Reminders of the customer's portal tasks, on the organization's cadence, with a frozen
clock: once when a task is available, N days before it is due, M days after it is
overdue; at most one email a day; never after the task is done; never after the contact
unsubscribed."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from customerportal.models import CustomerPortalLink, Questionnaire, StuckFlag
from customerportal.reminders import remind_all
from customerportal.services import send_portal_link
from customerportal.tasks import remind_portal_tasks
from esign.models import SigningRequest
from porting.models import CarrierBill
from tenancy.models import ReminderSent

from .clock import clock_frozen_at

pytestmark = pytest.mark.django_db

START = datetime(2031, 6, 2, 14, 0, tzinfo=UTC)  # a Monday
frozen_clock = clock_frozen_at(START, tick=False)
DUE = date(2031, 6, 20)  # the bill is due then: the window opens 21 days later


@pytest.fixture
def contact(world_a, pm_a, frozen_clock):
    StuckFlag.objects.all().delete()
    Questionnaire.objects.all().delete()
    CarrierBill.objects.all().delete()
    CustomerPortalLink.objects.all().delete()
    SigningRequest.objects.all().delete()  # the bill is the only task with a date
    world_a["migration"].sites.exclude(pk=world_a["site"].pk).delete()
    migration = world_a["migration"]
    migration.target_start = DUE + timedelta(days=21)
    migration.save()
    Questionnaire.objects.create(migration=migration, site=world_a["site"], status="accepted")
    type(world_a["site"]).objects.filter(pk=world_a["site"].pk).update(
        contacts_confirmed_at=START, contacts_confirmed_by="Dana Office"
    )
    link = send_portal_link(migration, name="Dana Office", email="dana@acme.example",
                            by=pm_a, base_url="https://voip.example")  # fmt: skip
    mail.outbox.clear()
    return link


def at(day, hour=15):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_each_cadence_point_once_and_at_most_one_a_day(contact, frozen_clock):
    assert remind_all() == 0  # the invitation went out today
    frozen_clock.move_to(START + timedelta(days=1))
    assert remind_all() == 1  # the task is available
    message = mail.outbox[-1]
    assert message.to == ["dana@acme.example"] and "Upload a recent bill" in message.body
    assert message.alternatives[0][1] == "text/html"  # plain text and HTML
    assert "List-Unsubscribe" in message.extra_headers
    assert remind_all() == 0  # twice in a row: nothing twice
    frozen_clock.move_to(START + timedelta(days=2))
    assert remind_all() == 0  # no new point
    frozen_clock.move_to(at(DUE - timedelta(days=1)))
    assert remind_all() == 1  # one day before it is due
    frozen_clock.move_to(at(DUE + timedelta(days=1)))
    assert remind_all() == 1  # one day after it is overdue
    assert "overdue" in mail.outbox[-1].body
    frozen_clock.move_to(at(DUE + timedelta(days=5)))
    assert remind_all() == 0
    points = sorted(ReminderSent.objects.values_list("point", flat=True))
    assert points == ["available", "before_due", "overdue"]


def test_the_link_in_a_reminder_works_and_replaces_the_old_one(contact, frozen_clock):
    frozen_clock.move_to(START + timedelta(days=1))
    remind_all()
    token = re.search(r"/portal/([A-Za-z0-9_-]{43})/", mail.outbox[-1].body).group(1)
    assert Client().get(f"/portal/{token}/").status_code == 200


def test_never_after_the_task_is_done(contact, frozen_clock, world_a):
    from porting.bills import attach_bill

    attach_bill(world_a["carrier_account"], data=b"%PDF-1.4\n%%EOF\n", name="bill.pdf")
    frozen_clock.move_to(at(DUE + timedelta(days=1)))
    assert remind_all() == 0 and not mail.outbox


def test_unsubscribe_is_honoured(contact, frozen_clock):
    frozen_clock.move_to(START + timedelta(days=1))
    remind_all()
    unsubscribe = re.search(r"No more reminders: (\S+)", mail.outbox[-1].body).group(1)
    path = unsubscribe.replace("https://voip.example", "")
    # Opening the link only asks (mail scanners open links); the button stops them.
    page = Client().get(path)
    assert page.status_code == 200
    assert "Stop reminders to dana@acme.example" in page.content.decode()
    frozen_clock.move_to(at(DUE - timedelta(days=1)))
    assert remind_all() == 1
    # A mail client's one-click unsubscribe (RFC 8058): a POST without a CSRF cookie.
    assert mail.outbox[-1].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    strict = Client(enforce_csrf_checks=True)
    page = strict.post(path, {"List-Unsubscribe": "One-Click"})
    assert page.status_code == 200 and "No more reminders" in page.content.decode()
    frozen_clock.move_to(at(DUE + timedelta(days=1)))
    assert remind_all() == 0
    assert Client().get(path).content.decode().count("sends no more reminders") == 1
    assert Client().get("/reminders/unsubscribe/forged/").status_code == 404
    assert Client().post("/reminders/unsubscribe/forged/").status_code == 404


def test_an_unsubscribe_link_from_before_still_works(contact, frozen_clock, org_a):
    from django.core import signing

    old = signing.dumps({"link": contact.pk}, salt="customer-portal-unsubscribe")
    assert Client().get(f"/portal-unsubscribe/{old}/").status_code == 200
    frozen_clock.move_to(START + timedelta(days=1))
    assert remind_all() == 0
    assert Client().get("/portal-unsubscribe/forged/").status_code == 404


def test_one_address_gets_one_reminder_a_day_whoever_sends_it(
    contact, frozen_clock, world_a, pm_a, settings
):
    """The contact also signs the LOA: the portal's reminder and the signing link's share
    one ledger, so the address gets one reminder email a day."""
    from esign.services import remind_unsigned, send_signing_request

    settings.ESIGN_LINK_TTL_DAYS = 30  # the link outlives the due date
    loa = world_a["loa"]
    send_signing_request(loa, email="Dana@acme.example", by=pm_a, base_url="https://voip.example")
    mail.outbox.clear()
    frozen_clock.move_to(at(DUE - timedelta(days=1)))  # both the bill and the letter are due
    assert remind_all() == 1
    assert remind_unsigned() == []  # the same address had its reminder today
    frozen_clock.move_to(at(DUE))
    assert len(remind_unsigned()) == 1
    assert [m.to for m in mail.outbox] == [["dana@acme.example"], ["Dana@acme.example"]]
    assert "Sign the Letter" not in mail.outbox[0].body  # the signing reminder carries the link


def test_the_organization_sets_the_cadence(contact, frozen_clock, org_a):
    org_a.reminder_days_before_due = 0  # off
    org_a.reminder_days_after_due = 3
    org_a.save()
    frozen_clock.move_to(START + timedelta(days=1))
    remind_all()
    frozen_clock.move_to(at(DUE - timedelta(days=1)))
    assert remind_all() == 0
    frozen_clock.move_to(at(DUE + timedelta(days=2)))
    assert remind_all() == 0
    frozen_clock.move_to(at(DUE + timedelta(days=3)))
    assert remind_all() == 1


def test_beat_runs_it_hourly(settings, contact):
    entry = settings.CELERY_BEAT_SCHEDULE["customer-portal-reminders"]
    assert entry["task"] == "customerportal.tasks.remind_portal_tasks"
    assert remind_portal_tasks() == {"emails": 0}
