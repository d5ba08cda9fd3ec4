"""The cutover models' rules (docs/domain-rules.md "Cutover models"), as warnings.

A plan that breaks a rule is still saved: the PM sees why it is risky and decides.

- A flash cut of more than 50 seats.
- A wave whose window falls inside business hours (plan.business_hours_start/end, Monday
  to Friday) in its site's time zone: cut over off-hours.
- More numbers on one day, across waves, than the plan's per-day cap (phased rollout).
- A parallel run without an SBC to bridge the old system and the new one.
- A wave for a port order that has no FOC yet (named with the earliest FOC the porting
  planner expects), or that ends before its order's FOC: the numbers are not ported yet.

Seats: a site's `seat_count`, or the number of its endpoints when the count was left at
zero; the plan's seats are the sum over the migration's sites."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count

from cutover.models import CutoverPlan, Wave
from porting.models import PortOrder
from porting.selectors import migration_plan
from sites.models import Site
from tenancy.checks import Fix

FLASH_MAX_SEATS = 50


MAX_DAYS_JUDGED = 62  # longer windows are judged on their first 62 days


@dataclass(frozen=True)
class PlanWarning:
    code: str
    message: str
    wave: Wave | None = None
    fix: Fix | None = None

    def __str__(self):
        return self.message


def migration_seats(migration) -> int:
    sites = Site.objects.filter(migration=migration).annotate(n_endpoints=Count("endpoints"))
    return sum(site.seat_count or site.n_endpoints for site in sites)


def site_zone(site) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone) if site and site.timezone else ZoneInfo("UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def number_site(number):
    """The site a number's times are read in: its own, else its endpoint's (or None)."""
    if number is None:
        return None
    if number.site_id:
        return number.site
    return number.endpoint.site if number.endpoint_id else None


def business_overlap(start, end, zone, opens, closes) -> tuple[datetime, datetime] | None:
    """The first part of [start, end) inside business hours (weekdays, opens-closes local
    time), in local time, or None."""
    if end <= start or closes <= opens:
        return None
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    last = min(local_end.date(), day + timedelta(days=MAX_DAYS_JUDGED))
    while day <= last:
        if day.weekday() < 5:
            b_start = datetime.combine(day, opens, tzinfo=zone)
            b_end = datetime.combine(day, closes, tzinfo=zone)
            lo, hi = max(local_start, b_start), min(local_end, b_end)
            if lo < hi:
                return lo, hi
        day += timedelta(days=1)
    return None


def wave_day(wave):
    """The local calendar day a wave's numbers count against."""
    return wave.window_start.astimezone(site_zone(wave.site)).date()


def plan_warnings(plan: CutoverPlan, *, waves=None, seats=None) -> list[PlanWarning]:
    """Every rule the plan breaks. `waves` (with site and numbers prefetched) and `seats`
    may be passed by a page that loaded them already."""
    if waves is None:
        waves = list(plan.waves.select_related("site").prefetch_related("numbers"))
    if seats is None:
        seats = migration_seats(plan.migration_id)
    warnings = []
    if plan.model == CutoverPlan.Model.FLASH and seats > FLASH_MAX_SEATS:
        warnings.append(PlanWarning(
            "flash_over_50",
            f"Flash cut of {seats} seats: never more than {FLASH_MAX_SEATS} at once (the blast "
            "radius of any mistake scales with seat count). Use a phased rollout.",
        ))  # fmt: skip
    if plan.model == CutoverPlan.Model.PARALLEL and not plan.has_sbc:
        warnings.append(PlanWarning(
            "parallel_without_sbc",
            "Parallel run without an SBC: a session border controller is needed to bridge "
            "the old system and the new one while both are live.",
        ))  # fmt: skip
    opens, closes = plan.business_hours_start, plan.business_hours_end
    if isinstance(opens, str) or isinstance(closes, str):  # unsaved defaults
        opens, closes = (datetime.strptime(str(t)[:5], "%H:%M").time() for t in (opens, closes))
    for wave in waves:
        if wave.site_id is None:
            warnings.append(PlanWarning(
                "wave_without_site",
                f"Wave “{wave.name}” has no site: its window is judged in UTC.", wave,
            ))  # fmt: skip
        zone = site_zone(wave.site)
        overlap = business_overlap(wave.window_start, wave.window_end, zone, opens, closes)
        if overlap:
            lo, hi = overlap
            warnings.append(PlanWarning(
                "wave_in_business_hours",
                f"Wave “{wave.name}” runs into business hours: {lo:%a %Y-%m-%d %H:%M}–"
                f"{hi:%H:%M} {zone.key} (open {opens:%H:%M}–{closes:%H:%M}, weekdays). "
                "Cut over off-hours.", wave,
            ))  # fmt: skip
    warnings += porting_warnings(plan, waves)
    if plan.model == CutoverPlan.Model.PHASED:
        per_day = defaultdict(set)
        for wave in waves:
            per_day[wave_day(wave)].update(n.pk for n in wave.numbers.all())
        for day, numbers in sorted(per_day.items()):
            if len(numbers) > plan.per_day_cap:
                warnings.append(PlanWarning(
                    "over_daily_cap",
                    f"{len(numbers)} numbers on {day:%a %Y-%m-%d}, above the plan's cap of "
                    f"{plan.per_day_cap} a day.",
                ))  # fmt: skip
    return warnings


def wave_orders(waves) -> dict[int, list[PortOrder]]:
    """Each wave's port orders that are not cancelled: those it names and those that
    port its numbers (at most two queries for all waves)."""
    number_ids = {n.pk for wave in waves for n in wave.numbers.all()}
    links = list(
        PortOrder.numbers.through.objects.filter(phonenumber_id__in=number_ids).values_list(
            "portorder_id", "phonenumber_id"
        )
    ) if number_ids else []  # fmt: skip
    by_number = defaultdict(list)
    for order_id, number_id in links:
        by_number[number_id].append(order_id)
    wanted = {wave.pk: {o.pk for o in wave.port_orders.all()} for wave in waves}
    for wave in waves:
        wanted[wave.pk].update(i for n in wave.numbers.all() for i in by_number[n.pk])
    all_ids = set().union(*wanted.values())
    orders = {
        o.pk: o
        for o in PortOrder.objects.filter(pk__in=all_ids)
        .exclude(state=PortOrder.State.CANCELLED)
        .select_related("carrier_account", "migration")
    } if all_ids else {}  # fmt: skip
    return {wave.pk: [orders[i] for i in sorted(wanted[wave.pk]) if i in orders] for wave in waves}


def porting_warnings(plan, waves) -> list[PlanWarning]:
    """A wave cut over before its numbers port: for an order without an FOC (with the
    earliest FOC the porting planner expects), or a window that ends before the FOC."""
    waves = [w for w in waves if w.pk]
    if not waves:
        return []
    orders_of = wave_orders(waves)
    if not any(orders_of.values()):
        return []
    estimates = {o.key: o for o in migration_plan(plan.migration).orders}
    warnings = []
    for wave in waves:
        zone = site_zone(wave.site)
        start = wave.window_start.astimezone(zone)
        for order in orders_of[wave.pk]:
            fix = Fix(f"Port order #{order.pk}", order.get_absolute_url())
            if order.foc_at is None:
                estimate = estimates.get(str(order.pk))
                expected = ""
                if estimate is not None:
                    expected = f" The earliest FOC to expect is {estimate.foc:%a %Y-%m-%d}."
                warnings.append(PlanWarning(
                    "wave_without_foc",
                    f"Wave “{wave.name}” ({start:%a %Y-%m-%d}) includes port order #{order.pk} "
                    f"({order.carrier_account.carrier_name}), which has no FOC yet: its "
                    f"numbers cannot move before the carrier confirms a date.{expected}",
                    wave, fix,
                ))  # fmt: skip
            elif wave.window_end < order.foc_at:
                foc, end = order.foc_at.astimezone(zone), wave.window_end.astimezone(zone)
                warnings.append(PlanWarning(
                    "wave_before_foc",
                    f"Wave “{wave.name}” ends {end:%a %Y-%m-%d %H:%M}, before the FOC of "
                    f"port order #{order.pk} "
                    f"({foc:%a %Y-%m-%d %H:%M} {zone.key}): its numbers are still with the "
                    "old carrier then. Move the wave to the FOC, or the FOC to the wave.",
                    wave, fix,
                ))  # fmt: skip
    return warnings
