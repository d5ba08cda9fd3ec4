"""A per-organization data version, for caches of computed pages.

Every save or delete of an organization's row (any `OrgScopedModel`), and every change
to one of its many-to-many sets, bumps its organization's version in the shared cache;
a page cached under a key that carries the version is therefore never served after a
change made through the models. Writes that bypass the signals (bulk inserts, queryset
updates) call `bump_after_change()` themselves where a page shows them (the inventory
import, the step clock's batch claim) and are otherwise bounded by the cache's own
timeout (DASHBOARD_CACHE_SECONDS: see docs/cutover-dashboard.md).

Each change bumps the version at once, so that the writer's own reads miss, and a
transaction's changes bump it once more when it commits, so that a page another request
computed from the data before the commit is not kept under the new version."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

KEY = "org-data-version:{}"


def version(organization_id) -> int:
    try:
        value = cache.get(KEY.format(organization_id))
    except Exception:  # a cache that does not answer: nothing may be served from it
        logger.exception("data version: the cache does not answer")
        return -1
    return int(value or 0)


def bump(organization_id) -> None:
    key = KEY.format(organization_id)
    try:
        try:
            cache.incr(key)
        except ValueError:
            # Not set yet, or evicted: start from the clock, so that the new version is
            # none that a page still in the cache was stored under.
            cache.set(key, time.time_ns(), timeout=None)
    except Exception:
        logger.exception("data version: the cache does not answer")


def bump_after_change(organization_id):
    """Bump now (the writer's own later reads miss) and, inside a transaction, once more
    when it commits (a page computed meanwhile from the data before the commit is not
    kept under the new version)."""
    bump(organization_id)
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return
    for _savepoints, callback, _robust in connection.run_on_commit:
        if getattr(callback, "org_data_version", None) == organization_id:
            return  # one bump at the commit is enough

    def at_commit():
        bump(organization_id)

    at_commit.org_data_version = organization_id
    transaction.on_commit(at_commit)


def changed(sender, instance, **kwargs):
    """post_save / post_delete / m2m_changed receiver (connected in tenancy.apps)."""
    from .scoping import OrgScopedModel

    if kwargs.get("action", "post_")[:5] != "post_" or kwargs.get("raw"):
        return
    if isinstance(instance, OrgScopedModel) and instance.organization_id:
        bump_after_change(instance.organization_id)
