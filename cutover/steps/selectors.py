"""Reads of the dated steps: each step's time zone for display (its site's, else the
migration's first site's), the rows of the steps page, each order's planning time zone,
and the port-day checklist of an order (the timeline with what the app knows of each
moment)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cutover.models import CutoverPlan, Step
from porting.carriers.selectors import activation_offered
from porting.models import TEST_CALLS_REQUIRED, PhoneNumber, PortOrder
from porting.zones import order_zones

from .timeline import FROM_THE_PORT, OPEN, TIMELINE, moment, plan_hours


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
        Step.objects.filter(plan=plan).select_related(
            "port_order__connection", "site", "owner", "done_by"
        )
    )
    zones = display_zones(steps, migration)
    return [
        {
            "step": s,
            "local_due": local_due(s, zones[s.pk]),
            # The port itself: where the carrier offers it, activate on demand from here.
            "can_activate": s.code == "port"
            and s.status in OPEN
            and s.port_order is not None
            and activation_offered(s.port_order),
        }
        for s in steps
    ]


def order_zone(order) -> ZoneInfo:
    """The time zone an order's timeline keeps its wall-clock times in
    (porting.zones.order_zones: the carrier's FOC zone, else its site's)."""
    return order_zones([order])[order.pk]


def port_day_checklist(order, *, now) -> list[dict]:
    """The order's port-day timeline: for each moment, when it falls (in the order's zone)
    and its status where the app knows it (done, pending, failed, overridden), "manual"
    where it does not track the step. Empty without an FOC."""
    if not order.foc_at:
        return []
    zone = order_zone(order)
    hours = plan_hours(CutoverPlan.objects.filter(migration_id=order.migration_id).first())
    items = []
    for spec in TIMELINE:
        anchor = order.foc_at
        if spec.code in FROM_THE_PORT and order.ported_at:
            anchor = order.ported_at  # the rules count from the actual port
        when = moment(spec, anchor, zone, hours).astimezone(zone)
        status, detail = _checklist_status(spec.code, order, when, now=now, zone=zone)
        items.append({
            "key": spec.code, "offset": spec.label, "what": spec.title, "when": when,
            "past": when <= now, "status": status, "detail": detail,
        })  # fmt: skip
    return items


def _local(value, zone) -> str:
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M %Z}" if value else ""


def _checklist_status(code, order, when, *, now, zone):
    state = PortOrder.State
    ported = order.state in (state.PORT_DAY, state.COMPLETE)
    if code == "final_review":
        if order.foc_confirmation_number:
            return "done", f"FOC confirmation {order.foc_confirmation_number} on file"
        return "pending", (
            "no FOC confirmation number on file: --action update --foc-date <the FOC> "
            '--confirmation <number> --reason "confirmation received"'
        )
    if code == "port":
        if order.state == state.PORT_FAILED:
            return "failed", (
                "port failed: call the winning carrier's porting NOC; keep the old system"
            )
        if ported:
            return "done", f"ported {_local(order.ported_at, zone)}"
        return "pending", None
    if code == "external_calls":
        if not ported:
            return "pending", None
        missing = order.numbers_missing_tests()
        if not missing:
            return "done", f"every number passed {TEST_CALLS_REQUIRED} external test calls"
        if order.state == state.COMPLETE and order.override_reason:
            return "overridden", f"owner override: {order.override_reason}"
        shown = ", ".join(n.display for n in missing[:10])
        more = f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""
        return "pending", (
            f"{len(missing)} number(s) without {TEST_CALLS_REQUIRED} passing calls from "
            f"different lines: {shown}{more}"
        )
    if code == "decommission_trunk":
        if order.state == state.COMPLETE:
            return "done", f"order completed {_local(order.completed_at, zone)}"
        if order.state == state.PORT_DAY:
            if when > now:
                return "pending", "port-back window open: keep the old trunk live until then"
            return "pending", (
                "port-back window closed: decommission with customer confirmation, then "
                "--action update --stage complete"
            )
        return "pending", "keep the old trunk live until 48 hours after the port"
    if code == "cancel_old_account":
        others = (
            order.carrier_account.port_orders.exclude(pk=order.pk)
            .filter(state__in=PortOrder.OPEN_STATES)
            .values_list("pk", flat=True)
        )
        detail = "counted from the last port on this account"
        if others:
            detail += (
                f"; order(s) #{', #'.join(map(str, others))} on the same account have not "
                "ported yet, so this date moves"
            )
        return "manual", detail
    return "manual", None
