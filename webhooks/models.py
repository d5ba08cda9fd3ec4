"""Outbound webhooks: an organization's endpoints, the events it emitted, and every
delivery attempt (docs/webhooks.md)."""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy import clock
from tenancy.fields import EncryptedTextField
from tenancy.roles import OWNER_ONLY, OWNER_PM
from tenancy.scoping import OrgScopedModel

from .events import EventType


class WebhookEndpoint(OrgScopedModel):
    """Where an organization's events go, signed with the endpoint's secret (Standard
    Webhooks). The secret is encrypted at rest, shown once, and kept out of history."""

    org_parents = ()
    ui_name = "webhook"
    write_roles = OWNER_ONLY

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="The event types sent here; empty: every type."
    )
    secret = EncryptedTextField(editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["organization", "url", "pk"]

    def __str__(self):
        return self.description or self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def event_type_labels(self) -> list[str]:
        if not self.event_types:
            return ["Every event"]
        return [EventType(t).label if t in EventType.values else t for t in self.event_types]


class WebhookEvent(OrgScopedModel):
    """Something that happened, as sent: the same id and body for every endpoint and
    every retry, so receivers can drop duplicates by id."""

    org_parents = ()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=60, choices=EventType.choices)
    body = models.TextField(help_text="The JSON payload exactly as signed and sent.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} {self.message_id}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class WebhookDelivery(OrgScopedModel):
    """One event to one endpoint: tried at once, then retried with backoff over about a
    day (`RETRY_DELAYS` in webhooks/services.py) until the endpoint answers 2xx."""

    org_parents = ("endpoint",)
    fixed_parents = ("endpoint", "event")
    write_roles = OWNER_PM  # a replay

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event.type} to {self.endpoint.url} ({self.get_status_display()})"


class WebhookAttempt(OrgScopedModel):
    """One HTTP request of a delivery: the log of status, response code and latency."""

    org_parents = ("delivery",)
    fixed_parents = ("delivery",)

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=clock.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
