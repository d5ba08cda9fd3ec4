"""Outbound webhooks: endpoints (owners manage them), events emitted by the domain
services, and their delivery (docs/webhooks.md).

Delivery is at least once, signed following the Standard Webhooks specification with the
`standardwebhooks` library. Each attempt first claims the delivery with a short lease in
its own transaction, sends outside any transaction, then records the result: two workers,
or the beat sweep beside a worker, never send one delivery at once, and a worker that
dies mid-send leaves a lease that expires into a retry."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from tenancy import clock
from tenancy.history import delete_with_history, save_with_history
from tenancy.models import Membership
from tenancy.notify import email_after_commit
from tenancy.roles import OWNER_ONLY, OWNER_PM, Role, require_role

from . import targets
from .events import PAYLOAD_VERSION, EventType
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

# After the first attempt: 1 min, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h (about a day in all).
RETRY_DELAYS = tuple(
    timedelta(minutes=m) for m in (1, 5, 30, 120, 300, 480, 480)
)  # fmt: skip
LEASE = timedelta(minutes=2)  # far longer than a request's total time (targets.TOTAL_SECONDS)
SWEEP_BATCH = 200
Status = WebhookDelivery.Status


def new_secret() -> str:
    """192 random bits in the Standard Webhooks secret format ("whsec_" + base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _clean_types(event_types) -> list[str]:
    unknown = sorted(set(event_types) - set(EventType.values))
    if unknown:
        raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)}."})
    return sorted(set(event_types))


def _check_url(url: str) -> str:
    try:
        targets.check_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages[0]}) from exc
    return url


@transaction.atomic
def create_endpoint(organization, *, by, url, description="", event_types=()):
    """A new endpoint and its secret, which the caller shows once; only its ciphertext is
    stored."""
    require_role(organization.pk, by, OWNER_ONLY, "Adding a webhook endpoint")
    endpoint = WebhookEndpoint(
        organization=organization, url=_check_url(url.strip()), description=description.strip(),
        event_types=_clean_types(event_types), created_by=by, secret=new_secret(),
    )  # fmt: skip
    endpoint.full_clean(exclude=["secret"])
    save_with_history(endpoint, by=by, reason=f"webhook endpoint added: {endpoint.url}")
    return endpoint, endpoint.secret


@transaction.atomic
def update_endpoint(endpoint, *, by, reason="", **fields):
    """Change the URL, description, event types or whether it is active. Enabling again
    clears the reason it was disabled."""
    require_role(endpoint.organization_id, by, OWNER_ONLY, "Changing a webhook endpoint")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    allowed = {"url", "description", "event_types", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not endpoint fields: {', '.join(sorted(unknown))}.")
    if "url" in fields:
        fields["url"] = _check_url(fields["url"].strip())
    if "event_types" in fields:
        fields["event_types"] = _clean_types(fields["event_types"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields.get("is_active"):
        endpoint.disabled_reason = ""
    endpoint.full_clean(exclude=["secret"])
    return save_with_history(endpoint, by=by, reason=reason or "webhook endpoint changed")


@transaction.atomic
def rotate_secret(endpoint, *, by) -> str:
    require_role(endpoint.organization_id, by, OWNER_ONLY, "Rotating a webhook secret")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    save_with_history(endpoint, by=by, reason="webhook secret rotated")
    return endpoint.secret


@transaction.atomic
def delete_endpoint(endpoint, *, by, reason=""):
    require_role(endpoint.organization_id, by, OWNER_ONLY, "Removing a webhook endpoint")
    delete_with_history(endpoint, by=by, reason=reason or "webhook endpoint removed")


# --- emitting ---------------------------------------------------------------------------


def _body(event: WebhookEvent, data: dict) -> str:
    return json.dumps(
        {"id": event.message_id, "type": event.type, "version": PAYLOAD_VERSION,
         "timestamp": event.created_at.isoformat().replace("+00:00", "Z"), "data": data},
        sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip


def emit(organization_id: int, event_type: str, data) -> WebhookEvent | None:
    """Record `event_type` for every active endpoint of the organization that wants it,
    and send after the caller's transaction commits (nothing is sent for a rollback).
    Call it inside the service's transaction, where the change itself is written. `data`
    is the payload's `data`, or a callable that builds it (called only when wanted)."""
    events = emit_many(organization_id, event_type, lambda: [data() if callable(data) else data])
    return events[0] if events else None


def emit_many(organization_id: int, event_type: str, items) -> list:
    """`emit` for many events of one type (a batch of steps falling due): one query for
    the endpoints, then bulk inserts. `items` may be a callable that builds the payloads,
    so that nothing is read for an organization with no endpoint that wants the type."""
    EventType(event_type)  # an unknown type is a programming error
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True)
        if e.wants(event_type)
    ]  # fmt: skip
    if not endpoints:
        return []
    items = items() if callable(items) else items
    if not items:
        return []
    now = clock.now()
    events = []
    for data in items:
        event = WebhookEvent(organization_id=organization_id, type=event_type, created_at=now)
        event.body = _body(event, data)
        events.append(event)
    WebhookEvent.objects.bulk_create(events)
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(organization_id=organization_id, endpoint=endpoint, event=event,
                        next_attempt_at=now, created_at=now)
        for event in events for endpoint in endpoints
    ])  # fmt: skip
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return events


def _enqueue(delivery_ids):
    """Hand the deliveries to a worker. With the broker down they stay pending and the
    beat sweep (every minute) sends them: nothing is lost."""
    from .tasks import deliver_webhook

    for pk in delivery_ids:
        try:
            deliver_webhook.delay(pk)
        except Exception:  # the broker is down: the sweep picks the delivery up
            logger.warning("webhook delivery #%s not queued; the sweep will send it", pk)
            return


# --- delivering -------------------------------------------------------------------------


def _claim(pk, now) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=pk, status=Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None  # delivered, given up, leased by another worker, or not due
        if not delivery.endpoint.is_active:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = "the endpoint is disabled"
            delivery.save()
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def signed_headers(delivery: WebhookDelivery, now) -> dict[str, str]:
    event = delivery.event
    signature = Webhook(delivery.endpoint.secret).sign(event.message_id, now, event.body)
    return {
        "Content-Type": "application/json",
        "User-Agent": "VoIPMigrate-Webhooks/1",
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def deliver(pk: int) -> str:
    """Try one delivery if it is due; returns "delivered", "retry", "gave up" or
    "skipped". Safe to call twice, from a worker and the sweep at once."""
    now = clock.now()
    delivery = _claim(pk, now)
    if delivery is None:
        return "skipped"
    response = targets.post(
        delivery.endpoint.url, delivery.event.body.encode(), signed_headers(delivery, now)
    )
    return _record(delivery.pk, response, claimed_attempt=delivery.attempts)


@transaction.atomic
def _record(pk, response, *, claimed_attempt) -> str:
    now = clock.now()
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint", "event")
        .get(pk=pk)
    )
    if delivery.status != Status.PENDING or delivery.attempts != claimed_attempt:
        # The lease ran out and another attempt took over: its answer stands, this one
        # is only logged.
        WebhookAttempt.objects.create(
            organization_id=delivery.organization_id, delivery=delivery, at=now,
            status_code=response.status_code, latency_ms=response.latency_ms,
            error=(response.error or "answered after another attempt took over")[:300],
        )  # fmt: skip
        return "superseded"
    WebhookAttempt.objects.create(
        organization_id=delivery.organization_id, delivery=delivery, at=now,
        status_code=response.status_code, latency_ms=response.latency_ms, error=response.error,
    )  # fmt: skip
    delivery.last_status_code = response.status_code
    delivery.last_latency_ms = response.latency_ms
    delivery.last_error = response.error
    if response.ok:
        delivery.status = Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        outcome = "delivered"
    elif delivery.attempts > len(RETRY_DELAYS):
        delivery.status = Status.FAILED
        delivery.next_attempt_at = None
        _disable(delivery, response)
        outcome = "gave up"
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        outcome = "retry"
    delivery.save()
    return outcome


def _disable(delivery, response):
    """Persistent failure: every attempt over about a day failed. The endpoint stops
    receiving (its pending deliveries give up too) and the organization's owners are
    told; re-enabling it on its page starts again with new events."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        return
    last = f"HTTP {response.status_code}" if response.status_code else response.error
    endpoint.is_active = False
    endpoint.disabled_reason = (
        f"disabled after {delivery.attempts} failed attempts over a day to deliver "
        f"{delivery.event.type} ({last})"
    )[:300]
    save_with_history(endpoint, reason=endpoint.disabled_reason)
    owners = list(
        Membership.objects.filter(organization_id=endpoint.organization_id, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if owners:
        subject = f"Webhook endpoint disabled: {endpoint.url}"
        body = (
            f"The webhook endpoint {endpoint.url} ({endpoint.description or 'no description'}) "
            f"was {endpoint.disabled_reason}.\n\nNothing more is sent to it until an owner "
            "enables it again on the organization's Webhooks page, where the delivery log "
            "shows each attempt and failed deliveries can be replayed."
        )
        email_after_commit(subject, body, owners)


def sweep(now=None) -> dict:
    """Every minute (beat): deliveries that are due (retries, expired leases, those the
    broker never got). Returns counts by outcome."""
    now = now or clock.now()
    due = list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    counts: dict[str, int] = {}
    for pk in due:
        try:
            outcome = deliver(pk)
        except Exception:  # one broken delivery must not hold up the others
            logger.exception("webhook delivery #%s failed to run", pk)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@transaction.atomic
def replay(delivery, *, by) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again (same id and body: a receiver that
    processed it already drops it)."""
    require_role(delivery.organization_id, by, OWNER_PM, "Replaying a webhook delivery")
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.is_active:
        raise ValidationError("The endpoint is disabled: enable it first, then replay.")
    again = WebhookDelivery.objects.create(
        organization_id=delivery.organization_id, endpoint=delivery.endpoint,
        event_id=delivery.event_id, replay_of=delivery, next_attempt_at=clock.now(),
    )  # fmt: skip
    transaction.on_commit(lambda: _enqueue([again.pk]))
    return again
