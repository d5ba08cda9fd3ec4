"""Reads of remote workers: their links, their current home, the rows of the PM's list."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse

from e911.models import (
    ADDRESS_FIELDS,
    UNIT_FIELDS,
    DispatchableLocation,
    LocationConfirmation,
    RemoteWorker,
    RemoteWorkerLink,
)
from tenancy import clock
from tenancy.portal import (
    LinkState,
    enter_link_organization,
    hash_token,
    well_formed,
)

HOME_FIELDS = (*ADDRESS_FIELDS, *UNIT_FIELDS)


# What makes two homes the same place for dispatch: the normalized result.
_SAME_PLACE = (
    "normalized_line1", "normalized_line2", "normalized_city", "normalized_state",
    "normalized_postal_code",
)  # fmt: skip


def link_ttl() -> timedelta:
    return timedelta(days=settings.E911_LINK_TTL_DAYS)


def worker_label(worker) -> str:
    return f"remote worker {worker.name} <{worker.email}>"


def live_links(worker, now=None):
    now = now or clock.now()
    return RemoteWorkerLink.objects.filter(
        worker=worker, revoked_at=None, used_at=None, expires_at__gt=now
    )


def portal_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("e911portal:home-location", args=[token])


def find_link(token: str) -> RemoteWorkerLink | None:
    """The link a token names, or None for a malformed or unknown token."""
    if not well_formed(token):
        return None
    enter_link_organization(RemoteWorkerLink, token)
    return (
        RemoteWorkerLink.objects.select_related(
            "worker__migration__customer", "worker__migration__organization"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def current_home(worker) -> DispatchableLocation | None:
    return DispatchableLocation.objects.filter(remote_worker=worker, is_current=True).first()


def _same_place(a, b) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in _SAME_PLACE)


def worker_rows(migration, now=None):
    """The migration's workers with their status, in a fixed number of queries."""
    now = now or clock.now()
    last = LocationConfirmation.objects.filter(worker=OuterRef("pk")).order_by("-at", "-pk")
    workers = (
        RemoteWorker.objects.filter(migration=migration)
        .annotate(
            last_confirmed_at=Subquery(last.values("at")[:1]),
            last_confirmed_ip=Subquery(last.values("ip")[:1]),
        )
        .prefetch_related(
            "endpoints",
            Prefetch(
                "locations",
                queryset=DispatchableLocation.objects.filter(is_current=True).order_by("-pk"),
                to_attr="current_homes",
            ),
            Prefetch(
                "links",
                queryset=RemoteWorkerLink.objects.order_by("-created_at", "-pk"),
                to_attr="all_links",
            ),
        )
        .order_by("name", "pk")
    )
    rows = []
    for worker in workers:
        links = worker.all_links
        latest = links[0] if links else None
        rows.append({
            "worker": worker,
            "home": worker.current_homes[0] if worker.current_homes else None,
            "first_sent_at": links[-1].created_at if links else None,
            "link": latest,
            "link_state": latest.link_state(now) if latest else None,
            "live": latest is not None and latest.link_state(now) == LinkState.ACTIVE,
        })  # fmt: skip
    return rows
