"""Webhook delivery (Celery). Both tasks are safe to run twice: a delivery is claimed
with a lease before it is sent (webhooks/services.py)."""

from celery import shared_task

import rowsecurity

from . import services
from .models import WebhookDelivery


@shared_task(name="webhooks.tasks.deliver_webhook", ignore_result=True)
@rowsecurity.for_row(WebhookDelivery, "delivery_id")
def deliver_webhook(delivery_id: int) -> str:
    return services.deliver(delivery_id)


@shared_task(name="webhooks.tasks.sweep_webhooks")
@rowsecurity.spans_organizations("webhook retries, every organization")
def sweep_webhooks() -> dict:
    """Every minute: retries that are due, and deliveries the broker never received."""
    return services.sweep()
