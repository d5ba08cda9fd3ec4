"""Outbound webhooks: owners manage endpoints (secret shown once, encrypted, never in
history or the API), events from the domain services are signed following the Standard
Webhooks specification and delivered after commit, retried with backoff, logged,
replayed, and an endpoint that fails for a day is disabled with its owners told. No
target may be private, loopback or link-local."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from standardwebhooks.webhooks import Webhook

from cutover.go.services import decide
from porting.models import PortOrder
from porting.services import transition_order
from tenancy.rules import TransitionRefused
from webhooks import services, targets, tasks
from webhooks.events import EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

from .clock import clock_frozen_at
from .conftest import login

pytestmark = pytest.mark.django_db

START = datetime(2031, 2, 3, 15, 0, tzinfo=UTC)
frozen_clock = clock_frozen_at(START, tick=False)


class Receiver:
    """A real HTTP server on 127.0.0.1 that verifies each request with the published
    algorithm (the `standardwebhooks` library) and answers from a script of codes."""

    def __init__(self, codes=(204,)):
        self.codes = list(codes)
        self.requests = []
        self.secret = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception:  # recorded: the test asserts on it
                    payload, verified = None, False
                receiver.requests.append({"headers": headers, "payload": payload,
                                          "verified": verified})  # fmt: skip
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/voip"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(autouse=True)
def no_fixture_endpoints(request, db):
    """The worlds' own endpoints and deliveries (for the pages) are not these tests'."""
    for world in ("world_a", "world_b"):
        if world in request.fixturenames:
            request.getfixturevalue(world)
    WebhookEndpoint.objects.all().delete()
    WebhookEvent.objects.all().delete()


@pytest.fixture
def local_targets(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def sent_now(monkeypatch):
    """The worker, in-process: a queued delivery is delivered at once."""
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda pk: services.deliver(pk))


def receiver_endpoint(org, owner, codes=(204,), **kwargs):
    receiver = Receiver(codes)
    endpoint, secret = services.create_endpoint(org, by=owner, url=receiver.url, **kwargs)
    receiver.secret = secret
    return receiver, endpoint


def cancel(order, pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return transition_order(order, "cancel", by=pm, cancel_reason="customer stays")


# --- endpoints ----------------------------------------------------------------------------


def test_owner_adds_an_endpoint_and_the_secret_is_shown_once_and_kept_encrypted(
    org_a, owner_a, pm_a, settings
):
    endpoint, secret = services.create_endpoint(
        org_a, by=owner_a, url="https://93.184.215.14/hooks", description="PSA",
        event_types=[EventType.ORDER_STATE_CHANGED],
    )  # fmt: skip
    assert secret.startswith("whsec_") and len(secret) > 30
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored  # ciphertext at rest
    assert not hasattr(endpoint.history.model, "secret")  # never in history
    with pytest.raises(TransitionRefused):
        services.create_endpoint(org_a, by=pm_a, url="https://93.184.215.14/other")


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.0.0.5/hook", "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook", "https://192.168.1.20/hook", "https://[::ffff:10.0.0.5]/hook",
])  # fmt: skip
def test_private_loopback_and_link_local_targets_are_refused(url, org_a, owner_a):
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(org_a, by=owner_a, url=url)
    assert "public addresses only" in str(refused.value)
    assert not WebhookEndpoint.objects.exists()


def test_https_only_unless_allowed(org_a, owner_a, settings):
    with pytest.raises(ValidationError, match="https only"):
        services.create_endpoint(org_a, by=owner_a, url="http://psa.example.com/hook")
    settings.WEBHOOK_ALLOW_HTTP = True
    services.create_endpoint(org_a, by=owner_a, url="http://93.184.215.14/hook")


def test_a_target_that_turns_private_later_is_refused_at_send(
    org_a, owner_a, world_a, pm_a, django_capture_on_commit_callbacks, sent_now, settings
):
    endpoint, _secret = services.create_endpoint(org_a, by=owner_a,
                                                 url="https://93.184.215.14/hook")  # fmt: skip
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://10.0.0.5/hook")
    cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_error.startswith("refused:")


# --- delivery -----------------------------------------------------------------------------


def test_an_order_change_reaches_a_real_receiver_signed_with_the_published_algorithm(
    org_a, owner_a, pm_a, world_a, local_targets, sent_now, django_capture_on_commit_callbacks
):
    receiver, _endpoint = receiver_endpoint(org_a, owner_a,
                                           event_types=[EventType.ORDER_STATE_CHANGED])  # fmt: skip
    try:
        order = cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    [request] = receiver.requests
    assert request["verified"], request
    payload = request["payload"]
    assert payload["type"] == "port_order.state_changed" and payload["version"]
    assert payload["id"] == request["headers"]["webhook-id"]
    data = payload["data"]
    assert (data["previous_state"], data["transition"]) == ("loa_pending", "cancel")
    assert data["port_order"]["id"] == order.pk and data["port_order"]["state"] == "cancelled"
    assert data["port_order"]["numbers"] == ["+12145550100"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 204)
    assert delivery.log.get().latency_ms is not None


def test_a_receiver_failing_twice_then_succeeding_gets_one_successful_delivery(
    org_a, owner_a, pm_a, world_a, local_targets, sent_now, frozen_clock,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    receiver, _endpoint = receiver_endpoint(org_a, owner_a, codes=(500, 503, 204, 204))
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == START + timedelta(minutes=1)
        assert services.sweep() == {}  # not due yet
        frozen_clock.shift(timedelta(minutes=1))
        assert services.sweep() == {"retry": 1}
        frozen_clock.shift(timedelta(minutes=5))
        assert services.sweep() == {"delivered": 1}
        frozen_clock.shift(timedelta(days=2))
        assert services.sweep() == {}
        assert services.deliver(delivery.pk) == "skipped"  # twice: nothing more
    finally:
        receiver.close()
    codes = [a.status_code for a in WebhookDelivery.objects.get().log.all()]
    assert codes == [500, 503, 204]
    assert len(receiver.requests) == 3
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1  # one event id
    assert all(r["verified"] for r in receiver.requests)


def test_a_day_of_failures_disables_the_endpoint_and_tells_the_owners(
    org_a, owner_a, pm_a, world_a, local_targets, sent_now, frozen_clock,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    receiver, endpoint = receiver_endpoint(org_a, owner_a, codes=(500,))
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
        for delay in services.RETRY_DELAYS:
            frozen_clock.shift(delay)
            with django_capture_on_commit_callbacks(execute=True):
                services.sweep()
    finally:
        receiver.close()
    assert sum(services.RETRY_DELAYS, timedelta()) >= timedelta(hours=22)  # about a day
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", len(services.RETRY_DELAYS) + 1)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "failed attempts" in endpoint.disabled_reason
    notice = mail.outbox[-1]
    assert notice.to == [owner_a.email] and "disabled" in notice.subject
    # Disabled: new events are not even recorded for it.
    assert services.emit(org_a.pk, EventType.ORDER_STATE_CHANGED, {"x": 1}) is None


def test_nothing_is_sent_for_a_rolled_back_change(org_a, owner_a, world_a, pm_a, sent_now):
    services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        transition_order(world_a["port_order"], "cancel", by=pm_a, cancel_reason="test")
        raise RuntimeError("rolled back")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert PortOrder.objects.get(pk=world_a["port_order"].pk).state == "loa_pending"


def test_with_the_broker_down_the_sweep_sends_it(
    org_a, owner_a, pm_a, world_a, local_targets, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(pk):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.deliver_webhook, "delay", broker_down)
    receiver, _endpoint = receiver_endpoint(org_a, owner_a)
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
        assert WebhookDelivery.objects.get().status == "pending"  # kept, not lost
        assert tasks.sweep_webhooks() == {"delivered": 1}
    finally:
        receiver.close()
    assert len(receiver.requests) == 1


def test_other_events_are_emitted_by_their_services(org_a, owner_a, world_a):
    services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/hook")
    decide(world_a["migration"], decision="no_go", by=owner_a, reason="Carrier not ready")
    event = WebhookEvent.objects.get()
    body = json.loads(event.body)
    assert body["type"] == "go_no_go.decided" and body["data"]["decision"] == "no_go"
    assert body["data"]["failing"]  # the items that were not ready
    # Only the endpoint's own organization hears of it.
    assert not WebhookEvent.objects.exclude(organization=org_a).exists()


def test_an_endpoint_gets_only_the_types_it_chose(org_a, owner_a, world_a, pm_a):
    endpoint, _ = services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/h",
                                           event_types=[EventType.LOA_SIGNED])  # fmt: skip
    transition_order(world_a["port_order"], "cancel", by=pm_a, cancel_reason="test")
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()


def test_replay_sends_the_same_event_again(
    org_a, owner_a, pm_a, world_a, local_targets, sent_now, django_capture_on_commit_callbacks
):
    receiver, _endpoint = receiver_endpoint(org_a, owner_a)
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
        first = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            again = services.replay(first, by=pm_a)
    finally:
        receiver.close()
    again.refresh_from_db()
    assert again.status == "succeeded" and again.replay_of == first
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]


# --- pages and API ------------------------------------------------------------------------


def test_pages_owner_manages_pm_reads_technician_refused_other_org_404(
    client, org_a, org_b, owner_a, pm_a, tech_a, pm_b
):
    url = reverse("webhook-list", args=[org_a.slug])
    login(client, owner_a)
    response = client.post(url, {"url": "https://93.184.215.14/hook", "description": "PSA",
                                 "event_types": [EventType.GO_DECIDED]})  # fmt: skip
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()  # shown this once
    detail = client.get(reverse("webhook-detail", args=[org_a.slug, endpoint.pk]))
    assert detail.status_code == 200 and endpoint.secret not in detail.content.decode()
    refused = client.post(url, {"url": "https://169.254.169.254/x"})
    assert refused.status_code == 400 and "public addresses only" in refused.content.decode()
    login(client, pm_a)
    page = client.get(url).content.decode()
    assert "PSA" in page and "Add an endpoint" not in page
    assert client.post(url, {"url": "https://93.184.215.14/other"}).status_code == 403
    login(client, tech_a)
    assert client.get(url).status_code == 403
    login(client, pm_b)
    assert client.get(reverse("webhook-detail", args=[org_a.slug, endpoint.pk])).status_code == 404
    assert client.get(reverse("webhook-detail", args=[org_b.slug, endpoint.pk])).status_code == 404


def test_api_secret_only_on_create_and_scoped(api_client_for, org_a, owner_a, pm_b, org_b):
    api = api_client_for(owner_a)
    base = f"/api/o/{org_a.slug}/webhooks/"
    created = api.post(base, {"url": "https://93.184.215.14/hook",
                              "event_types": ["loa.signed"]}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    listed = api.get(base)
    assert listed.status_code == 200 and secret not in listed.content.decode()
    assert "secret" not in listed.json()["results"][0] if "results" in listed.json() else True
    pk = created.json()["id"]
    assert api.get(f"{base}{pk}/deliveries/").json() == []
    bad = api.post(base, {"url": "https://10.0.0.5/x"}, format="json")
    assert bad.status_code == 400 and "public addresses only" in bad.content.decode()
    other = api_client_for(pm_b)
    assert other.get(f"/api/o/{org_b.slug}/webhooks/{pk}/").status_code == 404
    assert other.get(f"{base}{pk}/").status_code == 404


# --- what a review found ------------------------------------------------------------------


def test_a_non_ascii_path_is_sent_percent_encoded(
    org_a, owner_a, pm_a, world_a, local_targets, sent_now, django_capture_on_commit_callbacks
):
    receiver, endpoint = receiver_endpoint(org_a, owner_a)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url + "/café")
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_one_broken_delivery_does_not_hold_up_the_sweep(
    org_a, owner_a, pm_a, world_a, local_targets, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda pk: None)  # the broker lost it
    receiver, _endpoint = receiver_endpoint(org_a, owner_a)
    real_deliver = services.deliver
    broken = []

    def deliver(pk):
        if not broken:
            broken.append(pk)
            raise RuntimeError("a bug in one delivery")
        return real_deliver(pk)

    monkeypatch.setattr(services, "deliver", deliver)
    try:
        cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
        services.emit(org_a.pk, EventType.ORDER_STATE_CHANGED, {"second": True})
        assert services.sweep() == {"error": 1, "delivered": 1}
    finally:
        receiver.close()


def test_an_answer_after_the_lease_ran_out_does_not_overwrite_the_one_that_counted(
    org_a, owner_a, world_a, pm_a, frozen_clock, monkeypatch, django_capture_on_commit_callbacks
):
    services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/hook")
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda pk: None)
    cancel(world_a["port_order"], pm_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    slow = services._claim(delivery.pk, services.clock.now())  # worker A, then stalls
    frozen_clock.shift(services.LEASE + timedelta(seconds=1))
    fast = services._claim(delivery.pk, services.clock.now())  # the sweep takes over
    assert fast is not None and fast.attempts == 2
    ok = services.targets.Response(204, 40)
    assert services._record(delivery.pk, ok, claimed_attempt=fast.attempts) == "delivered"
    late = services.targets.Response(None, 31000, "TimeoutError: timed out")
    assert services._record(delivery.pk, late, claimed_attempt=slow.attempts) == "superseded"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("succeeded", 204)


def test_bad_ports_six_to_four_and_dual_stack(org_a, owner_a, monkeypatch):
    with pytest.raises(ValidationError, match="port"):
        services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14:99999/h")
    with pytest.raises(ValidationError, match="public addresses only"):
        services.create_endpoint(org_a, by=owner_a, url="https://[2002:7f00:1::]/h")

    def dual_stack(host, port, type=0):
        return [(10, 1, 6, "", ("2606:2800:220:1::1", port, 0, 0)),
                (2, 1, 6, "", ("93.184.215.14", port))]  # fmt: skip

    monkeypatch.setattr(targets.socket, "getaddrinfo", dual_stack)
    target = targets.check_url("https://receiver.example/h")
    assert target.addresses == ("93.184.215.14", "2606:2800:220:1::1")  # IPv4 first


def test_a_stuck_customer_task_is_an_event(org_a, owner_a, world_a, pm_a):
    from customerportal.models import CustomerPortalLink
    from customerportal.services import raise_stuck

    services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/hook",
                             event_types=[EventType.TASK_STUCK])  # fmt: skip
    link = CustomerPortalLink.objects.filter(migration=world_a["migration"]).first()
    raise_stuck(link, task_key=f"bill:{world_a['carrier_account'].pk}", note="No bill yet")
    body = json.loads(WebhookEvent.objects.get(type="customer_task.stuck").body)
    assert body["data"]["note"] == "No bill yet" and body["data"]["raised_by"] == "Dana Office"


def test_readiness_changes_are_events_after_a_silent_baseline(org_a, owner_a, pm_a, world_a):
    from e911.locations.services import create_location
    from e911.readiness.watch import watch_readiness
    from e911.tasks import watch_readiness_changes

    assert watch_readiness() == 0  # nobody listens: nothing is even computed
    services.create_endpoint(org_a, by=owner_a, url="https://93.184.215.14/hook",
                             event_types=[EventType.READINESS_CHANGED])  # fmt: skip
    assert watch_readiness() == 0  # the baseline
    assert watch_readiness() == 0  # unchanged
    site = world_a["site"]
    create_location(migration=world_a["migration"], by=pm_a, site=site, label="Reception",
                    is_site_default=True, address_line1=site.address_line1, city=site.city,
                    state=site.state, postal_code=site.postal_code)  # fmt: skip
    assert watch_readiness_changes() == {"events": 1}
    body = json.loads(WebhookEvent.objects.get(type="readiness.changed").body)
    data = body["data"]
    assert data["migration"] == str(world_a["migration"].uuid)
    assert data["blocking"] < data["previous_blocking"]
    assert all(item["state"] in ("blocking", "warning") for item in data["open_items"])
    assert watch_readiness() == 0  # told once
