"""The port-day timeline, relative to each order's FOC, defined once
(docs/domain-rules.md): the dated steps come from it, and so does the port-day checklist
of `manage.py porting --action checklist`.

Whole-day offsets keep the local wall-clock time in the order's time zone across a
daylight-saving change (FOC at 02:00, so "FOC -7 days" is at 02:00 too); the others are
exact durations (the port-back window is 48 hours). The time zone is the one the carrier
gave with the FOC, else the zone of the order's site: an order's steps are a pure function
of its FOC instant, that zone and the plan's business hours, so that generating them again
changes nothing.

Steps that need people outside the port window (the platform check, the call with the
customer, the final review, decommissioning the trunk, cancelling the old account) are
moved into business hours (weekdays, the plan's opening hours, in the same zone): steps
before the FOC to the same day's opening, or the last weekday before, so they stay ahead
of the port; steps after it to the next opening, so they never come early. The port, the
monitoring around it and the port-day tests keep their exact times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from porting.models import PORT_BACK_WINDOW, PORT_DAY_LEAD

from ..models import Step

HOUR = 60
DAY = 24 * HOUR


@dataclass(frozen=True)
class StepSpec:
    code: str
    title: str
    offset: timedelta
    label: str  # how the timeline names the moment, e.g. "FOC -7 days"
    per: str = "order"  # "order", "site" (one per site) or "account" (one per account)
    # Counted in days on the local calendar (the clock time stays); else an exact duration.
    wall_clock: bool = False
    # Needs people at work (customer, staff): falls in business hours.
    people: bool = False

    @property
    def offset_minutes(self) -> int:
        return int(self.offset.total_seconds() // 60)


TIMELINE = (
    StepSpec("platform_ready", "Platform fully configured; every user tested on temporary "
             "numbers", timedelta(days=-7), "FOC -7 days", wall_clock=True, people=True),
    StepSpec("pre_cutover_call", "Pre-cutover call with the customer", timedelta(days=-3),
             "FOC -3 days", wall_clock=True, people=True),
    StepSpec("final_review", "Final checklist review; FOC confirmation number on file",
             timedelta(days=-1), "FOC -1 day", wall_clock=True, people=True),
    StepSpec("monitoring_open", "Monitoring open; all contacts reachable", -PORT_DAY_LEAD,
             "FOC -2 hours"),
    StepSpec("port", "Numbers port: watch the call log", timedelta(0), "FOC"),
    StepSpec("external_calls", "Call every ported number from three external phones",
             timedelta(minutes=15), "FOC +15 min"),
    StepSpec("test_933", "933 test call at the site", timedelta(minutes=60), "FOC +60 min",
             per="site"),
    StepSpec("health_check", "Health check", timedelta(hours=4), "FOC +4 hours"),
    StepSpec("decommission_trunk", "Decommission the old PSTN trunk (port-back window "
             "closes)", PORT_BACK_WINDOW, "FOC +48 hours", people=True),
    StepSpec("cancel_old_account", "Cancel the old carrier account", timedelta(days=30),
             "last port +30 days", per="account", wall_clock=True, people=True),
)  # fmt: skip

ORDER_STEPS = tuple(spec for spec in TIMELINE if spec.per == "order")
SITE_STEP = next(spec for spec in TIMELINE if spec.per == "site")
ACCOUNT_STEP = next(spec for spec in TIMELINE if spec.per == "account")
# Steps whose moment counts from the actual port once it happened.
FROM_THE_PORT = ("decommission_trunk", "cancel_old_account")

OPEN = (Step.Status.PENDING, Step.Status.DUE, Step.Status.OVERDUE)
MOVABLE = (*OPEN, Step.Status.CANCELLED)
FINISHED = (Step.Status.DONE, Step.Status.SKIPPED)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ValueError, KeyError):  # an unknown name: UTC rather than a broken page
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class BusinessHours:
    opens: time = time(8)
    closes: time = time(18)


def moment(
    spec: StepSpec, anchor: datetime, zone: ZoneInfo, hours: BusinessHours | None = None
) -> datetime:
    """When `spec` falls for an FOC (or port) at `anchor`, as an aware UTC datetime.
    A people step is moved into `hours` (default: 08:00-18:00, weekdays)."""
    if spec.wall_clock:
        local = anchor.astimezone(zone)
        shifted = datetime.combine(local.date() + spec.offset, local.timetz().replace(tzinfo=None))
        at = shifted.replace(tzinfo=zone)
    else:
        at = anchor + spec.offset
    if spec.people:
        at = into_business_hours(
            at, zone, hours or BusinessHours(), later=spec.offset > timedelta(0)
        )
    return at.astimezone(UTC)


def plan_hours(plan) -> BusinessHours:
    """The business hours a plan's people steps keep to."""
    if plan is None:
        return BusinessHours()
    return BusinessHours(plan.business_hours_start, plan.business_hours_end)


def into_business_hours(at: datetime, zone: ZoneInfo, hours: BusinessHours, *, later: bool):
    """`at` when it is inside business hours; else the next opening after it (`later`),
    or the opening of its own day (of the weekday before, on a weekend)."""
    local = at.astimezone(zone)
    day, clock_time = local.date(), local.time().replace(tzinfo=None)
    if day.weekday() < 5 and hours.opens <= clock_time < hours.closes:
        return at
    if later:
        if day.weekday() >= 5 or clock_time >= hours.closes:
            day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    else:
        # Before opening, the same day's opening is later than `at`: still ahead of the
        # FOC, which is at least a day away for every earlier people step.
        while day.weekday() >= 5:
            day -= timedelta(days=1)
    return datetime.combine(day, hours.opens, tzinfo=zone)
