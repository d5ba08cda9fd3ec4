"""Remote workers' home locations (E911): the link rules (same as the LOA portal, but not
used up by confirming), show-back then confirm, failed validation, the confirmation log,
updates that supersede, reminders and escalation with a fake clock, the PM's page, and
the typical failure "22 remote workers left on the office's 911 address"."""

import hashlib
import random
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from e911.locations.services import create_location
from e911.models import (
    DispatchableLocation,
    EndpointE911,
    LocationConfirmation,
    RemoteWorker,
    RemoteWorkerLink,
    ValidationStatus,
)
from e911.remote.selectors import live_links
from e911.remote.services import (
    confirm_home_location,
    remind_unconfirmed,
    revoke_location_link,
    send_location_link,
)
from e911.tasks import remind_remote_workers
from tenancy.portal import TOKEN_PATTERN
from tenancy.rules import TransitionRefused

from . import factories as f
from .conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

LINK_RE = re.compile(rf"https?://\S+/home-location/({TOKEN_PATTERN})/")
META = {"ip": "198.51.100.23", "user_agent": "pytest-worker/1.0"}
HOME = {
    "address_line1": "1437 bannock street", "address_line2": "apt 4b", "city": "denver",
    "state": "co", "postal_code": "80202", "floor": "2", "suite": "", "room": "",
}  # fmt: skip
NEW_HOME = {**HOME, "address_line1": "2200 larimer st", "address_line2": "", "floor": "",
            "postal_code": "80205"}  # fmt: skip
PO_BOX = {**HOME, "address_line1": "PO Box 55", "address_line2": "", "floor": ""}


def worker_client(ip=None):
    """An anonymous browser with its own address, so rate limits never cross tests."""
    ip = ip or f"2001:db8::{random.randrange(1, 0xFFFF):x}:{random.randrange(1, 0xFFFF):x}"
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-phone/2.0")


def portal(token):
    return reverse("e911portal:home-location", args=[token])


def token_from_outbox(index=-1):
    match = LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(1)


def send(worker, by):
    link = send_location_link(worker, by=by, base_url="http://testserver/", meta=META)
    return link, token_from_outbox()


@pytest.fixture
def worker(world_a):
    endpoint = world_a["endpoint"]
    w = world_a["remote_worker"]
    w.endpoints.add(endpoint)
    return w


@pytest.fixture
def sent(worker, pm_a):
    return send(worker, pm_a)


def post(client, token, step, fields, shown=None):
    data = {**fields, "step": step}
    if shown is not None:
        data["shown"] = shown
    return client.post(portal(token), data)


# --- link rules -----------------------------------------------------------------------


def test_link_is_256_bits_hashed_and_only_in_the_email(worker, pm_a, settings):
    settings.E911_LINK_TTL_DAYS = 9
    link, token = send(worker, pm_a)
    assert len(token) == 43  # 32 random bytes, url-safe base64
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert abs(link.expires_at - (link.created_at + timedelta(days=9))) < timedelta(seconds=1)
    message = mail.outbox[-1]
    assert message.to == [worker.email] and message.reply_to == [pm_a.email]
    assert "within 24 hours of moving" in message.body
    # The token is stored nowhere: not in the row, not in history.
    for row in RemoteWorkerLink.history.all():
        assert token not in str(row.__dict__)
    assert not RemoteWorkerLink.objects.filter(token_hash=token).exists()


def test_malformed_and_unknown_tokens_are_404(sent):
    client = worker_client()
    assert client.get(portal("short")).status_code == 404
    assert client.get(portal("A" * 43)).status_code == 404  # well formed, unknown
    assert client.post(portal("A" * 43), {**HOME, "step": "check"}).status_code == 404


def test_expired_and_revoked_links_are_a_plain_410(sent, worker, pm_a):
    link, token = sent
    client = worker_client()
    response = client.get(portal(token))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    RemoteWorkerLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    response = client.get(portal(token))
    assert response.status_code == 410 and b"expired" in response.content
    assert post(client, token, "check", HOME).status_code == 410
    RemoteWorkerLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    revoke_location_link(worker, by=pm_a, reason="wrong person")
    response = client.get(portal(token))
    assert response.status_code == 410 and b"withdrawn" in response.content
    with pytest.raises(Exception, match="no live link"):
        revoke_location_link(worker, by=pm_a)


def test_resend_kills_the_old_link(sent, worker, pm_a):
    _old, old_token = sent
    _new, new_token = send(worker, pm_a)
    client = worker_client()
    assert client.get(portal(old_token)).status_code == 410
    assert client.get(portal(new_token)).status_code == 200
    assert live_links(worker).count() == 1


def test_portal_is_rate_limited(sent, settings):
    settings.PORTAL_RATE_LIMIT_PER_MINUTE = 3
    _link, token = sent
    client = worker_client()
    codes = [client.get(portal(token)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(portal("B" * 43)).status_code == 429  # guesses count too


def test_only_owner_and_pm_send_links(worker, tech_a, viewer_a):
    for user in (tech_a, viewer_a):
        with pytest.raises(TransitionRefused):
            send_location_link(worker, by=user, base_url="http://testserver/")
    assert not mail.outbox and not RemoteWorkerLink.objects.exists()


# --- show back, confirm, fail ---------------------------------------------------------


def test_show_back_then_confirm_logs_time_ip_and_keeps_the_link(sent, worker):
    _link, token = sent
    client = worker_client(ip="203.0.113.44")
    response = post(client, token, "check", HOME)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Is this right?" in page
    assert "1437 BANNOCK ST" in page and "APT 4B FL 2" in page and "DENVER CO 80202" in page
    # Shown back only: nothing saved yet.
    assert not DispatchableLocation.objects.filter(remote_worker=worker).exists()
    worker.refresh_from_db()
    assert worker.confirmed_at is None
    shown = re.search(r'name="shown" value="([^"]*)"', page).group(1)

    before = timezone.now()
    response = post(client, token, "confirm", HOME, shown=shown)
    assert response.status_code == 200, response.content
    assert b"Thank you" in response.content and b"within 24 hours" in response.content
    home = DispatchableLocation.objects.get(remote_worker=worker)
    assert home.is_current and home.dispatchable
    assert home.validation_status == ValidationStatus.NORMALIZED
    assert home.normalized_line1 == "1437 BANNOCK ST" and home.normalized_line2 == "APT 4B FL 2"
    assert home.address_line1 == "1437 bannock street"  # as entered, kept
    assert home.site_id is None and home.migration_id == worker.migration_id
    worker.refresh_from_db()
    assert worker.confirmed_at >= before
    confirmation = LocationConfirmation.objects.get(worker=worker)
    assert confirmation.location == home and confirmation.at >= before
    assert confirmation.ip == "203.0.113.44" and confirmation.user_agent == "pytest-phone/2.0"
    assert "remote worker Robin Remote" in home.history.first().history_change_reason
    # Not used up: the worker can come back to update.
    assert client.get(portal(token)).status_code == 200


def test_failed_validation_is_shown_and_not_confirmed(sent, worker):
    _link, token = sent
    client = worker_client()
    response = post(client, token, "check", PO_BOX)
    assert response.status_code == 400
    assert b"A PO box is not a place" in response.content
    assert b"Is this right?" not in response.content
    # A forged confirm of the same input is refused too.
    response = post(client, token, "confirm", PO_BOX)
    assert response.status_code == 400
    assert not DispatchableLocation.objects.filter(remote_worker=worker).exists()
    assert not LocationConfirmation.objects.exists()
    worker.refresh_from_db()
    assert worker.confirmed_at is None


def test_missing_fields_are_asked_for(sent):
    _link, token = sent
    response = post(worker_client(), token, "check", {**HOME, "city": "", "postal_code": ""})
    assert response.status_code == 400
    assert response.content.count(b"This field is required.") == 2


def test_result_changed_between_show_and_confirm_is_shown_again(sent, worker):
    _link, token = sent
    response = post(worker_client(), token, "confirm", HOME, shown="1 OTHER ST, DENVER CO 80202")
    assert response.status_code == 409
    assert b"Is this right?" in response.content and b"1437 BANNOCK ST" in response.content
    assert not LocationConfirmation.objects.exists()


def test_no_change_goes_back_to_the_form_with_the_values(sent):
    _link, token = sent
    response = post(worker_client(), token, "edit", HOME)
    assert response.status_code == 200
    assert b'value="1437 bannock street"' in response.content
    assert b"Check my address" in response.content


def test_update_later_supersedes_and_moves_assignments(sent, worker, pm_a, world_a):
    link, _token = sent
    first = confirm_home_location(link, fields=HOME, meta=META)
    assert first.created and first.superseded is None
    home = first.location
    endpoint = world_a["endpoint"]
    EndpointE911.objects.create(endpoint=endpoint, location=home)

    # Same place confirmed again (typed differently): no new location, one more log entry.
    again = confirm_home_location(
        link, fields={**HOME, "address_line1": "1437 Bannock St"}, meta=META
    )
    assert not again.created and again.location == home
    assert LocationConfirmation.objects.filter(worker=worker).count() == 2

    # Moved: a new location; the old one stays in history, superseded, not current.
    moved = confirm_home_location(link, fields=NEW_HOME, meta={"ip": "192.0.2.9"})
    new = moved.location
    home.refresh_from_db()
    assert moved.created and moved.superseded == home
    assert not home.is_current and home.superseded_by == new
    assert new.is_current and new.normalized_line1 == "2200 LARIMER ST"
    assert list(DispatchableLocation.objects.filter(remote_worker=worker, is_current=True)) == [new]
    assert EndpointE911.objects.get(endpoint=endpoint).location == new
    latest = LocationConfirmation.objects.filter(worker=worker).first()
    assert latest.location == new and latest.ip == "192.0.2.9"


def test_home_location_history_names_the_worker_and_no_user(sent, worker):
    link, _token = sent
    home = confirm_home_location(link, fields=HOME, meta=META).location
    record = home.history.first()
    assert record.history_user is None
    assert worker.email in record.history_change_reason


# --- reminders and escalation ---------------------------------------------------------


def test_reminder_then_escalation_once_each_with_a_fake_clock(sent, worker, pm_a, settings):
    settings.E911_REMOTE_CONFIRM_DAYS = 3
    settings.E911_REMOTE_ESCALATE_DAYS = 5
    link, old_token = sent
    t0 = link.created_at
    mail.outbox.clear()

    assert remind_unconfirmed(now=t0 + timedelta(days=2, hours=23)).reminded == []
    assert not mail.outbox

    run = remind_unconfirmed(now=t0 + timedelta(days=3, minutes=1))
    assert run.reminded == [worker.pk] and run.escalated == []
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [worker.email]
    assert mail.outbox[0].subject.startswith("Reminder")
    new_token = token_from_outbox()
    assert new_token != old_token
    client = worker_client()
    assert client.get(portal(old_token)).status_code == 410  # the reminder's link replaces it
    assert client.get(portal(new_token)).status_code == 200
    worker.refresh_from_db()
    assert worker.reminder_sent_at == t0 + timedelta(days=3, minutes=1)

    # Idempotent: the next hourly runs send nothing more until escalation is due.
    assert remind_unconfirmed(now=t0 + timedelta(days=4)).reminded == []
    assert len(mail.outbox) == 1

    run = remind_unconfirmed(now=t0 + timedelta(days=5, minutes=1))
    assert run.escalated == [worker.pk] and run.reminded == []
    assert len(mail.outbox) == 2
    escalation = mail.outbox[-1]
    assert escalation.to == [pm_a.email]  # the PM who sent it (also the migration's owner)
    assert worker.email in escalation.body and "office address does not count" in escalation.body

    run = remind_unconfirmed(now=t0 + timedelta(days=9))
    assert run.reminded == [] and run.escalated == []
    assert len(mail.outbox) == 2


def test_escalation_goes_to_sender_and_owner(world_a, worker, owner_a, pm_a):
    migration = world_a["migration"]
    migration.owner = owner_a
    migration.save()
    link, _token = send(worker, pm_a)
    remind_unconfirmed(now=link.created_at + timedelta(days=6))
    escalation = mail.outbox[-1]
    assert escalation.to == [pm_a.email, owner_a.email]


def test_confirmed_and_never_sent_workers_get_no_reminder(sent, worker, world_a):
    link, _token = sent
    confirm_home_location(link, fields=HOME, meta=META)
    RemoteWorker.objects.create(migration=world_a["migration"], name="Never Sent",
                                email="never@example.com")  # fmt: skip
    mail.outbox.clear()
    run = remind_unconfirmed(now=timezone.now() + timedelta(days=30))
    assert run.reminded == [] and run.escalated == [] and not mail.outbox


def test_celery_task_runs_the_service_without_arguments(sent, worker, monkeypatch):
    assert remind_remote_workers() == {"reminded": 0, "escalated": 0}
    RemoteWorkerLink.objects.filter(worker=worker).update(
        created_at=timezone.now() - timedelta(days=6)
    )
    assert remind_remote_workers() == {"reminded": 1, "escalated": 1}
    assert remind_remote_workers() == {"reminded": 0, "escalated": 0}


def test_beat_runs_the_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["e911-remind-remote-workers"]
    assert entry["task"] == "e911.tasks.remind_remote_workers"
    assert entry["schedule"].hour == set(range(24))


# --- the PM's page --------------------------------------------------------------------


def list_url(org, migration):
    return reverse("remote-worker-list", args=[org.slug, migration.uuid])


def test_pm_adds_sends_and_revokes_from_the_page(client, pm_a, org_a, world_a):
    login(client, pm_a)
    migration = world_a["migration"]
    url = list_url(org_a, migration)
    response = client.post(url, {"name": "Kim Home", "email": "Kim@Example.com",
                                 "endpoints": [world_a["endpoint"].pk]}, follow=True)  # fmt: skip
    assert response.status_code == 200 and b"Added Kim Home" in response.content
    kim = RemoteWorker.objects.get(email="kim@example.com")
    assert list(kim.endpoints.all()) == [world_a["endpoint"]]
    # Same email twice in a migration: refused on the form.
    response = client.post(url, {"name": "Kim again", "email": "kim@example.com"})
    assert response.status_code == 400 and b"already a remote worker" in response.content

    send_url = reverse("remote-worker-send", args=[org_a.slug, kim.pk])
    response = client.post(send_url, follow=True)
    assert b"Link sent to kim@example.com" in response.content
    token = token_from_outbox()
    assert token not in response.content.decode()
    assert worker_client().get(portal(token)).status_code == 200
    page = client.get(url).content.decode()
    assert "Re-send link" in page and "Revoke" in page and token not in page

    response = client.post(reverse("remote-worker-revoke", args=[org_a.slug, kim.pk]), follow=True)
    assert b"no longer works" in response.content
    assert worker_client().get(portal(token)).status_code == 410


def test_technician_cannot_send_and_viewer_cannot_post(client, tech_a, viewer_a, org_a, worker):
    login(client, tech_a)
    response = client.post(reverse("remote-worker-send", args=[org_a.slug, worker.pk]))
    assert response.status_code == 403  # read-only role on this page
    login(client, viewer_a)
    assert client.get(list_url(org_a, worker.migration)).status_code == 200
    response = client.post(reverse("remote-worker-send", args=[org_a.slug, worker.pk]))
    assert response.status_code == 403
    assert not mail.outbox


def test_page_shows_confirmation_time_ip_and_home(client, pm_a, org_a, sent, worker):
    link, _token = sent
    confirm_home_location(link, fields=HOME, meta=META)
    login(client, pm_a)
    page = client.get(list_url(org_a, worker.migration)).content.decode()
    assert "confirmed" in page and META["ip"] in page
    assert "1437 BANNOCK ST, APT 4B FL 2, DENVER CO 80202" in page
    assert "unconfirmed-count" not in page


def _workers(migration, site, count, start=0):
    """`count` remote workers, each with a softphone at the office site and a live link."""
    for i in range(start, start + count):
        endpoint = f.EndpointFactory(site=site, extension=str(3000 + i), is_remote_worker=True,
                                     kind="softphone", mac_address="")  # fmt: skip
        w = RemoteWorker.objects.create(
            migration=migration, name=f"Worker {i:02d}", email=f"worker{i}@example.com"
        )
        w.endpoints.add(endpoint)
        RemoteWorkerLink.objects.create(
            worker=w, token_hash=f"{i:064x}", expires_at=timezone.now() + timedelta(days=14)
        )


def test_list_page_runs_a_constant_number_of_queries(client, pm_a, org_a, world_a):
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    _workers(migration, site, 2)
    url = list_url(org_a, migration)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _workers(migration, site, 12, start=2)
    for w in RemoteWorker.objects.filter(migration=migration)[:5]:
        link = w.links.first()
        if link is not None:
            confirm_home_location(link, fields=HOME, meta=META)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.count(b"data-worker=") == 15
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_22_remote_workers_are_unconfirmed_not_covered_by_the_office(client, pm_a, org_a, world_a):
    """Typical failure: 22 remote workers left on the office's 911 address for three weeks.
    The office has a good default location; none of it counts for them until each has
    confirmed a home."""
    migration, site = world_a["migration"], world_a["site"]
    office = create_location(
        migration=migration, by=pm_a, site=site, is_site_default=True, label="Office",
        address_line1="1600 Broadway", city="Denver", state="CO", postal_code="80202",
    )  # fmt: skip
    assert office.dispatchable
    world_a["remote_worker"].delete()
    _workers(migration, site, 22)
    login(client, pm_a)
    page = client.get(list_url(org_a, migration)).content.decode()
    rows = re.findall(r'<tr data-worker="[^"]+">.*?</tr>', page, re.S)
    assert len(rows) == 22
    assert all("unconfirmed" in row and "Office" not in row for row in rows)
    assert all("1600 BROADWAY" not in row for row in rows)
    assert "22 of 22" in page

    from e911.locations.selectors import coverage

    report = coverage(migration)
    remote_rows = [r for r in report.rows if r.endpoint.is_remote_worker]
    assert len(remote_rows) == 22
    assert not any(r.covered for r in remote_rows)
    assert all(r.location is None or r.location.pk != office.pk for r in remote_rows)


def _many_workers(migration, count):
    return [
        RemoteWorker.objects.create(
            migration=migration, name=f"Worker {i:02d}", email=f"worker{i:02d}@example.com"
        )
        for i in range(count)
    ]


def test_one_action_sends_every_waiting_worker_a_link(client, pm_a, org_a, world_a, worker):
    migration = world_a["migration"]
    others = _many_workers(migration, 21)  # 22 workers waiting, as on a real office
    login(client, pm_a)
    page = client.get(list_url(org_a, migration)).content.decode()
    assert "Send to the 22 still waiting" in page and 'data-select-all="pk"' in page
    url = reverse("remote-worker-bulk-send", args=[org_a.slug, migration.uuid])
    response = client.post(url, {"which": "waiting"}, follow=True)
    assert b"Link sent to 22 remote workers." in response.content
    assert sorted(m.to[0] for m in mail.outbox) == sorted(w.email for w in [worker, *others])
    # Nobody is waiting any more: the button is gone and a second click sends nothing.
    page = client.get(list_url(org_a, migration)).content.decode()
    assert "still waiting" not in page
    response = client.post(url, {"which": "waiting"}, follow=True)
    assert b"Nothing changed" in response.content and len(mail.outbox) == 22


def test_re_send_to_the_ticked_workers_only(client, pm_a, org_a, world_a, sent, worker):
    migration = world_a["migration"]
    _first, second = _many_workers(migration, 2)
    old_token = sent[1]
    mail.outbox.clear()
    login(client, pm_a)
    url = reverse("remote-worker-bulk-send", args=[org_a.slug, migration.uuid])
    client.post(url, {"which": "selected", "pk": [worker.pk, second.pk]})
    assert sorted(m.to[0] for m in mail.outbox) == sorted([worker.email, second.email])
    assert worker_client().get(portal(old_token)).status_code == 410  # re-sent: old is dead


def test_a_mail_failure_part_way_keeps_what_was_sent_and_names_the_rest(
    client, pm_a, org_a, world_a, worker, monkeypatch
):
    migration = world_a["migration"]
    _many_workers(migration, 3)
    from e911.remote import services

    real, calls = services._link_email, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionRefusedError("mail server down")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_link_email", flaky)
    login(client, pm_a)
    url = reverse("remote-worker-bulk-send", args=[org_a.slug, migration.uuid])
    html = client.post(url, {"which": "waiting"}, follow=True).content.decode()
    assert "Link sent to 2 remote workers." in html
    assert "mail server down" in html and "Worker 01, Worker 02" in html
    assert RemoteWorkerLink.objects.filter(worker__migration=migration).count() == 2
    monkeypatch.setattr(services, "_link_email", real)
    html = client.post(url, {"which": "waiting"}, follow=True).content.decode()
    assert "Link sent to 2 remote workers." in html  # the two left, and no one twice


def test_bulk_send_is_for_owners_and_pms_and_stays_in_the_migration(
    client, tech_a, pm_a, org_a, world_a, world_b, worker
):
    url = reverse("remote-worker-bulk-send", args=[org_a.slug, world_a["migration"].uuid])
    login(client, tech_a)
    assert client.post(url, {"which": "waiting"}).status_code == 403
    login(client, pm_a)
    client.post(url, {"which": "selected", "pk": [world_b["remote_worker"].pk]})
    assert not mail.outbox
    other = reverse("remote-worker-bulk-send", args=[org_a.slug, world_b["migration"].uuid])
    assert client.post(other, {"which": "waiting"}).status_code == 404
