"""Reads of the dated steps: each step's time zone for display (its site's, else the
migration's first site's) and the rows of the steps page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cutover.models import CutoverPlan, Step
from porting.models import PhoneNumber


def display_zones(steps, migration) -> dict[int, ZoneInfo]:
    """Each step's display time zone, in two queries whatever the number of steps: the
    step's site; else the site of its order's numbers; else the migration's first site;
    else UTC."""

    order_ids = {s.port_order_id for s in steps if s.port_order_id and not s.site_id}
    by_order = {}
    if order_ids:
        rows = (
            PhoneNumber.port_orders.through.objects.filter(
                portorder_id__in=order_ids, phonenumber__site__isnull=False
            )
            .order_by("phonenumber__site_id")
            .values_list("portorder_id", "phonenumber__site__timezone")
        )
        for order_id, tz in rows:
            by_order.setdefault(order_id, tz)
    first = migration.sites.order_by("pk").values_list("timezone", flat=True).first()
    zones = {}
    for step in steps:
        name = (step.site.timezone if step.site_id else by_order.get(step.port_order_id)) or first
        zones[step.pk] = ZoneInfo(name or "UTC")
    return zones


def local_due(step, zone: ZoneInfo) -> str:
    return step.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def step_rows(migration):
    """The migration's steps with their local due time, in a fixed number of queries."""
    plan = CutoverPlan.objects.filter(migration=migration).first()
    if plan is None:
        return []
    steps = list(
        Step.objects.filter(plan=plan).select_related("port_order", "site", "owner", "done_by")
    )
    zones = display_zones(steps, migration)
    return [{"step": s, "local_due": local_due(s, zones[s.pk])} for s in steps]
