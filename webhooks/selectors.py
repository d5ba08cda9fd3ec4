"""Reads of the webhook pages and the API."""

from django.db.models import Count, Max, Prefetch, Q

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

SHOWN_DELIVERIES = 50


def endpoint_rows(organization):
    return WebhookEndpoint.objects.for_org(organization).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status="succeeded")),
        failing=Count("deliveries", filter=Q(deliveries__status="failed")),
        pending=Count("deliveries", filter=Q(deliveries__status="pending")),
        last_event_at=Max("deliveries__created_at"),
    )


def recent_deliveries(endpoint, limit=SHOWN_DELIVERIES):
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("log", queryset=WebhookAttempt.objects.order_by("at", "pk")))
        .order_by("-created_at", "-pk")[:limit]
    )
