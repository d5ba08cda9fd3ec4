"""After the signature and before it: the signer downloads the sealed copy from the
portal, the PM who sent the link is emailed, and unsigned links are reminded on the
organization's cadence (the one reminder machinery) until signing, a correction,
revoking, expiry or an unsubscribe stops them."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from esign import services
from esign.models import SigningEvent, SigningRequest
from esign.tasks import remind_unsigned

from .clock import clock_frozen_at
from .signing import link_request, portal_form, shown_sha256, token_from_outbox

pytestmark = pytest.mark.django_db

START = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)
frozen_clock = clock_frozen_at(START, tick=False)


def portal(token):
    return reverse("esign:portal", args=[token])


def signed_copy(token):
    return reverse("esign:signed-copy", args=[token])


def sign_through_portal(client, token, loa):
    page = client.get(portal(token))
    return client.post(portal(token), portal_form(shown_sha256(page), name=loa.authorized_person))


# --- the signed copy and the PM's notice ----------------------------------------------


def test_signed_page_offers_the_sealed_copy_and_the_pm_is_emailed(
    world_a, pm_a, django_capture_on_commit_callbacks
):
    loa = world_a["loa"]
    _request, token = link_request(loa, by=pm_a)
    signer = Client(REMOTE_ADDR="198.51.100.20")
    # Before signing, the link has no copy to give.
    assert signer.get(signed_copy(token)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_through_portal(signer, token, loa)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The letter is signed" in body and signed_copy(token) in body
    assert "What happens next" in body

    download = signer.get(signed_copy(token))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    data = b"".join(download.streaming_content) if download.streaming else download.content
    assert hashlib.sha256(data).hexdigest() == loa.signature.sealed_sha256
    assert "attachment" in download["Content-Disposition"]

    notice = next(m for m in mail.outbox if m.to == [pm_a.email])
    assert notice.subject.startswith("Signed: the LOA for")
    assert loa.authorized_person in notice.body and f"#{loa.port_order.pk}" in notice.body
    assert token not in notice.body


def test_no_copy_for_a_correction_a_revoked_or_an_expired_link(world_a, pm_a, frozen_clock):
    loa = world_a["loa"]
    signer = Client(REMOTE_ADDR="198.51.100.21")
    # A correction is not a signature.
    request, token = link_request(loa)
    sha = shown_sha256(signer.get(portal(token)))
    signer.post(portal(token), portal_form(sha, wrong={"account_number": "999"}))
    assert SigningRequest.objects.get(pk=request.pk).outcome == "correction_requested"
    assert signer.get(signed_copy(token)).status_code == 404
    # Unknown and malformed tokens alike.
    assert signer.get(signed_copy("x" * 43)).status_code == 404


def test_a_signed_links_copy_ends_with_the_link(world_a, pm_a, frozen_clock):
    loa = world_a["loa"]
    request, token = link_request(loa, days=2)
    signer = Client(REMOTE_ADDR="198.51.100.22")
    assert sign_through_portal(signer, token, loa).status_code == 200
    assert signer.get(signed_copy(token)).status_code == 200
    frozen_clock.shift(timedelta(days=2, seconds=1))
    assert signer.get(signed_copy(token)).status_code == 404
    frozen_clock.shift(-timedelta(days=2, seconds=1))
    SigningRequest.objects.filter(pk=request.pk).update(revoked_at=START)
    assert signer.get(signed_copy(token)).status_code == 404


# --- reminders ------------------------------------------------------------------------


TTL = 20  # days the signing link works
SIGN_BY = START + timedelta(days=10)  # the customer's porting tasks are due then


@pytest.fixture
def sent(world_a, pm_a, settings):
    """A link sent by the PM at START, through the real send path, and no other; the
    migration's window opens 21 days after SIGN_BY, so the letter is due on SIGN_BY."""
    settings.ESIGN_LINK_TTL_DAYS = TTL
    world_a["signing_request"].delete()
    migration = world_a["migration"]
    migration.target_start = SIGN_BY.date() + timedelta(days=21)
    migration.save()
    loa = world_a["loa"]
    request = services.send_signing_request(
        loa, email="pat@example.com", by=pm_a, base_url="https://voip.example"
    )
    return request, token_from_outbox()


def test_reminders_follow_the_organizations_cadence_with_a_fresh_link_and_the_same_expiry(
    sent, frozen_clock, org_a
):
    first, first_token = sent
    outbox = len(mail.outbox)
    # The signing email was the "available" notice: nothing until a day before it is due.
    frozen_clock.move_to(SIGN_BY - timedelta(days=2))
    assert services.remind_unsigned() == []
    frozen_clock.move_to(SIGN_BY - timedelta(days=1, hours=14))  # that day's first hour
    [reminder_id] = services.remind_unsigned()
    assert services.remind_unsigned() == []  # twice in a row sends nothing twice
    assert len(mail.outbox) == outbox + 1
    message = mail.outbox[-1]
    assert message.subject.startswith("Reminder: Please review and sign")
    assert "still waiting for your signature" in message.body
    # In the organization's name, plain text and HTML, with an unsubscribe.
    assert message.alternatives[0][1] == "text/html"
    assert org_a.name in message.alternatives[0][0]
    assert "/reminders/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    token = token_from_outbox()
    assert token != first_token
    reminder = SigningRequest.objects.get(pk=reminder_id)
    first.refresh_from_db()
    assert first.revoked_at is not None and "reminder 1" in first.revoked_reason
    assert (reminder.reminders_sent, reminder.expires_at) == (1, first.expires_at)
    assert reminder.sent_by == first.sent_by
    assert reminder.events.filter(kind=SigningEvent.Kind.REMINDED).count() == 1
    # The old link is dead, the new one opens the letter.
    signer = Client(REMOTE_ADDR="198.51.100.23")
    assert signer.get(portal(first_token)).status_code == 410
    assert signer.get(portal(token)).status_code == 200

    frozen_clock.move_to(SIGN_BY)
    assert services.remind_unsigned() == []  # due today: no point comes due
    frozen_clock.move_to(SIGN_BY + timedelta(days=1))
    assert len(services.remind_unsigned()) == 1  # a day overdue
    for day in range(2, TTL - 10):
        frozen_clock.move_to(SIGN_BY + timedelta(days=day))
        assert services.remind_unsigned() == []  # every point spent
    assert len(mail.outbox) == outbox + 2


def test_without_a_window_the_letter_is_due_the_day_before_its_link_expires(
    sent, frozen_clock, world_a
):
    world_a["migration"].target_start = None
    world_a["migration"].save()
    frozen_clock.move_to(START + timedelta(days=TTL - 3))
    assert services.remind_unsigned() == []
    frozen_clock.move_to(START + timedelta(days=TTL - 2))
    assert len(services.remind_unsigned()) == 1


def test_signing_stops_the_reminders(sent, frozen_clock, world_a):
    _first, token = sent
    signer = Client(REMOTE_ADDR="198.51.100.24")
    assert sign_through_portal(signer, token, world_a["loa"]).status_code == 200
    frozen_clock.move_to(SIGN_BY + timedelta(days=1))
    assert services.remind_unsigned() == []


def test_revoking_stops_the_reminders(sent, frozen_clock, pm_a):
    first, _token = sent
    services.revoke_signing_request(first, by=pm_a)
    frozen_clock.move_to(SIGN_BY + timedelta(days=1))
    assert services.remind_unsigned() == []


def test_expiry_stops_the_reminders(sent, frozen_clock):
    frozen_clock.move_to(START + timedelta(days=TTL + 1))
    assert services.remind_unsigned() == []


def test_a_newer_loa_version_stops_the_reminders(sent, frozen_clock, world_a, pm_a):
    from porting.services import prepare_loa

    prepare_loa(world_a["port_order"], by=pm_a, authorized_person="Someone Else")
    frozen_clock.move_to(SIGN_BY + timedelta(days=1))
    assert services.remind_unsigned() == []


def test_the_organization_can_turn_the_reminders_off(sent, frozen_clock, org_a):
    org_a.reminder_days_before_due = org_a.reminder_days_after_due = 0
    org_a.save()
    for day in range(1, TTL):
        frozen_clock.move_to(START + timedelta(days=day))
        assert services.remind_unsigned() == []


def test_the_unsubscribe_in_the_signing_email_stops_the_reminders(sent, frozen_clock):
    import re

    unsubscribe = re.search(r"No more reminders: (\S+)", mail.outbox[-1].body).group(1)
    assert Client().post(unsubscribe.replace("https://voip.example", "")).status_code == 200
    frozen_clock.move_to(SIGN_BY + timedelta(days=1))
    assert services.remind_unsigned() == []


def test_a_refusing_mail_server_records_nothing_and_is_retried(sent, frozen_clock, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    first, _token = sent
    frozen_clock.move_to(SIGN_BY - timedelta(days=1))

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert services.remind_unsigned() == []
    first.refresh_from_db()
    assert first.revoked_at is None and SigningRequest.objects.count() == 1
    monkeypatch.undo()
    assert len(services.remind_unsigned()) == 1


def test_beat_runs_the_reminders_hourly_through_the_task(sent, frozen_clock, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["esign-remind-unsigned"]
    assert entry["task"] == "esign.tasks.remind_unsigned"
    assert entry["schedule"].hour == set(range(24))
    frozen_clock.move_to(SIGN_BY - timedelta(days=1))
    assert remind_unsigned() == {"reminded": 1}
    assert remind_unsigned() == {"reminded": 0}


def test_every_beat_entry_names_a_task_the_worker_knows(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
