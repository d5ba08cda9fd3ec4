"""`readiness.changed` for outbound webhooks. Readiness is computed from many rows
(locations, registrations, remote workers, Kari's Law, compliance), so rather than hook
every write, a beat task compares each open migration's readiness with the last one told
and emits an event when it changed. Only organizations with an endpoint that wants the
event are looked at; the first look records a baseline and sends nothing."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction

from customers.models import Migration
from tenancy import clock
from webhooks.events import EventType
from webhooks.models import WebhookEndpoint
from webhooks.services import emit

from ..models import ReadinessState
from .selectors import readiness

CLOSED = (Migration.Status.COMPLETED, Migration.Status.CANCELLED)


def _listening_organizations() -> set[int]:
    return {
        e.organization_id
        for e in WebhookEndpoint.objects.filter(is_active=True)
        if e.wants(EventType.READINESS_CHANGED)
    }


def watch_readiness(now=None) -> int:
    """Emit `readiness.changed` for each open migration whose readiness changed since the
    last look; returns how many events were emitted. Safe to run twice."""
    now = now or clock.now()
    organizations = _listening_organizations()
    if not organizations:
        return 0
    emitted = 0
    migrations = Migration.objects.filter(customer__organization_id__in=organizations).exclude(
        status__in=CLOSED
    )
    for pk in list(migrations.values_list("pk", flat=True)):
        emitted += _look(pk, now)
    return emitted


@transaction.atomic
def _look(pk, now) -> int:
    migration = Migration.objects.select_for_update().select_related("customer").get(pk=pk)
    report = readiness(migration)
    items = [{"code": i.code, "section": i.section, "title": i.title, "state": i.state}
             for i in report.items if not i.ok]  # fmt: skip
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
    state = ReadinessState.objects.filter(migration=migration).first()
    blocking, warnings = len(report.blocking), len(report.warnings)
    if state is not None and state.digest == digest:
        return 0
    previous = state.blocking if state is not None else None
    if state is None:
        state = ReadinessState(migration=migration)
    state.digest, state.blocking, state.warnings, state.updated_at = (
        digest, blocking, warnings, now
    )  # fmt: skip
    state.save()
    if previous is None:
        return 0  # the baseline
    emit(migration.customer.organization_id, EventType.READINESS_CHANGED, {
        "migration": str(migration.uuid), "ready": blocking == 0,
        "blocking": blocking, "warnings": warnings, "previous_blocking": previous,
        "open_items": items,
    })  # fmt: skip
    return 1
