"""The port-day timeline, relative to each order's FOC, defined once
(docs/domain-rules.md): the dated steps come from it, and so does the port-day checklist
of `manage.py porting --action checklist`.

Whole-day offsets keep the local wall-clock time in the order's time zone across a
daylight-saving change (FOC at 02:00, so "FOC -7 days" is at 02:00 too); the others are
exact durations (the port-back window is 48 hours). The time zone is the one the carrier
gave with the FOC, else the zone of the order's site: an order's steps are a pure function
of its FOC instant and that zone, so that generating them again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

    @property
    def offset_minutes(self) -> int:
        return int(self.offset.total_seconds() // 60)


TIMELINE = (
    StepSpec("platform_ready", "Platform fully configured; every user tested on temporary "
             "numbers", timedelta(days=-7), "FOC -7 days", wall_clock=True),
    StepSpec("pre_cutover_call", "Pre-cutover call with the customer", timedelta(days=-3),
             "FOC -3 days", wall_clock=True),
    StepSpec("final_review", "Final checklist review; FOC confirmation number on file",
             timedelta(days=-1), "FOC -1 day", wall_clock=True),
    StepSpec("monitoring_open", "Monitoring open; all contacts reachable", -PORT_DAY_LEAD,
             "FOC -2 hours"),
    StepSpec("port", "Numbers port: watch the call log", timedelta(0), "FOC"),
    StepSpec("external_calls", "Call every ported number from three external phones",
             timedelta(minutes=15), "FOC +15 min"),
    StepSpec("test_933", "933 test call at the site", timedelta(minutes=60), "FOC +60 min",
             per="site"),
    StepSpec("health_check", "Health check", timedelta(hours=4), "FOC +4 hours"),
    StepSpec("decommission_trunk", "Decommission the old PSTN trunk (port-back window "
             "closes)", PORT_BACK_WINDOW, "FOC +48 hours"),
    StepSpec("cancel_old_account", "Cancel the old carrier account", timedelta(days=30),
             "last port +30 days", per="account", wall_clock=True),
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


def moment(spec: StepSpec, anchor: datetime, zone: ZoneInfo) -> datetime:
    """When `spec` falls for an FOC (or port) at `anchor`, as an aware UTC datetime."""
    if spec.wall_clock:
        local = anchor.astimezone(zone)
        shifted = datetime.combine(local.date() + spec.offset, local.timetz().replace(tzinfo=None))
        return shifted.replace(tzinfo=zone).astimezone(UTC)
    return (anchor + spec.offset).astimezone(UTC)
