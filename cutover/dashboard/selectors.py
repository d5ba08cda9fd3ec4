"""The migration dashboard: the one page a PM lives on (docs/cutover-dashboard.md).

`dashboard(migration, *, now)` gathers, in a fixed number of queries whatever the
migration's size: the waves and the steps (in their site's time zone), the porting board
in brief, E911 coverage and readiness, pre-flight progress, the go/no-go state and what
is overdue. Every part reuses the module that owns it; nothing here decides a rule of its
own."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q
from django.urls import reverse

from cutover.go.selectors import LISTED as GO_LISTED
from cutover.go.selectors import GoNoGo, go_no_go
from cutover.models import GoNoGoDecision, Step, Wave
from cutover.preflight.selectors import preflight_summary
from cutover.steps.selectors import display_zones
from e911.models import RemoteWorker
from e911.readiness.selectors import readiness as compute_readiness
from porting.selectors import porting_board
from tenancy.checks import Fix

logger = logging.getLogger(__name__)


UPCOMING_STEPS = 10


@dataclass
class DashboardStep:
    step: Step
    local_due: str
    zone: str
    late: bool  # due or overdue, or pending with its time passed


@dataclass
class DashboardWave:
    wave: Wave
    zone: str
    start: str
    end: str
    numbers: int
    endpoints: int
    state: str  # "upcoming" | "in progress" | "past"


@dataclass
class GoState:
    latest: GoNoGoDecision | None = None
    computed: GoNoGo | None = None  # cutover.go.go_no_go(migration), now
    computed_error: str = ""

    @property
    def computed_ready(self) -> bool | None:
        return None if self.computed is None else self.computed.ok

    @property
    def computed_blocking(self) -> int | None:
        return None if self.computed is None else len(self.computed.failing)


@dataclass
class WindowCheck:
    """Whether the migration's target window can still be met, from the porting plan."""

    start: date | None
    end: date | None
    earliest_cutover: date | None
    met: bool
    reason: str  # in words: which order drives the date, and why
    fix: Fix | None = None


def window_check(migration, plan) -> WindowCheck | None:
    """None when the migration has no target window. Otherwise the earliest honest
    cutover (the porting plan's) against the window's end: a window that ends before it
    cannot be met, and the reason names the order that drives the date."""
    start, end = migration.target_start, migration.target_end or migration.target_start
    if start is None:
        return None
    earliest = plan.earliest_cutover
    if earliest is None or earliest <= end:
        return WindowCheck(start, end, earliest, True, "")
    driving = plan.driving_orders[0] if plan.driving_orders else None
    why = f"{driving.label}: {driving.explanation}" if driving else plan.explanation
    reason = (
        f"The window {_day(start)} – {_day(end)} cannot be met: the earliest honest cutover "
        f"is {_day(earliest)}. {why}"
    )
    url = reverse("porting-board", args=[migration.organization.slug, migration.uuid])
    return WindowCheck(start, end, earliest, False, reason,
                       Fix("Open the porting plan", url))  # fmt: skip


def _day(value: date) -> str:
    return f"{value:%a %Y-%m-%d}"


@dataclass
class Dashboard:
    waves: list[DashboardWave]
    steps_late: list[DashboardStep]
    steps_upcoming: list[DashboardStep]
    step_counts: dict
    porting: dict
    coverage: object
    readiness: object
    preflight: object
    go: GoState
    remote_overdue: list = field(default_factory=list)
    window: WindowCheck | None = None

    @property
    def porting_states(self):
        """(state, label, orders) for the board's columns that hold an order."""
        return [(s, label, orders) for s, label, orders in self.porting["columns"] if orders]

    @property
    def coverage_missing(self) -> int:
        return self.coverage.total - self.coverage.covered_count

    @property
    def overdue_count(self) -> int:
        return len(self.steps_late) + len(self.remote_overdue) + len(self.porting["follow_ups"])


def _zone(name) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _fmt(moment, zone) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def waves(migration, *, now) -> list[DashboardWave]:
    """The plan's waves with their windows in the wave's site's zone (one query)."""
    rows = (
        Wave.objects.filter(plan__migration=migration)
        .select_related("site")
        .annotate(
            number_count=Count("numbers", distinct=True),
            endpoint_count=Count("endpoints", distinct=True),
        )
        .order_by("window_start", "pk")
    )
    result = []
    for wave in rows:
        zone = _zone(wave.site.timezone if wave.site_id else None)
        if now < wave.window_start:
            state = "upcoming"
        elif now < wave.window_end:
            state = "in progress"
        else:
            state = "past"
        result.append(
            DashboardWave(
                wave, str(zone), _fmt(wave.window_start, zone), _fmt(wave.window_end, zone),
                wave.number_count, wave.endpoint_count, state,
            )
        )  # fmt: skip
    return result


def steps(migration, *, now):
    """(late, upcoming, counts): every open step whose time has come (due, overdue, or
    pending past its time), the next `UPCOMING_STEPS` still ahead, and the count of the
    migration's steps per status; times in the step's site's zone. Four queries."""
    base = Step.objects.filter(plan__migration=migration).select_related("site", "port_order")
    late_q = Q(status__in=[Step.Status.DUE, Step.Status.OVERDUE]) | Q(
        status=Step.Status.PENDING, due_at__lte=now
    )
    late = list(base.filter(late_q).order_by("due_at", "pk"))
    upcoming = list(
        base.filter(status=Step.Status.PENDING, due_at__gt=now).order_by("due_at", "pk")[
            :UPCOMING_STEPS
        ]
    )
    counts = {value: 0 for value in Step.Status.values}
    for row in (
        Step.objects.filter(plan__migration=migration)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    ):
        counts[row["status"]] = row["n"]
    zones = display_zones(late + upcoming, migration) if late or upcoming else {}

    def wrap(step, is_late):
        zone = zones.get(step.pk, ZoneInfo("UTC"))
        return DashboardStep(step, _fmt(step.due_at, zone), str(zone), is_late)

    return (
        [wrap(s, True) for s in late],
        [wrap(s, False) for s in upcoming],
        counts,
    )


def remote_workers_overdue(migration, *, now) -> list:
    """Remote workers who have not confirmed their home location and whose first link
    went out more than `E911_REMOTE_ESCALATE_DAYS` ago (or who were escalated)."""

    before = now - timedelta(days=settings.E911_REMOTE_ESCALATE_DAYS)
    return list(
        RemoteWorker.objects.filter(migration=migration, confirmed_at=None)
        .annotate(first_sent_at=Min("links__created_at"))
        .filter(Q(first_sent_at__lte=before) | Q(escalated_at__isnull=False))
        .order_by("name", "pk")
    )


def go_state(migration, *, readiness=None, preflight=None) -> GoState:
    """The latest recorded decision and the go/no-go computed now (with the readiness
    report and the pre-flight summary the dashboard computed already)."""
    state = GoState(
        latest=GoNoGoDecision.objects.filter(migration=migration)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )
    try:
        state.computed = go_no_go(migration, readiness=readiness, preflight=preflight)
    except Exception as exc:  # the rest of the port-day page must still show; logged
        logger.exception("go/no-go failed for migration %s", migration.pk)
        state.computed_error = f"{type(exc).__name__}: {exc}"
    return state


def dashboard(migration, *, now) -> Dashboard:
    """Everything the migration page shows about the cutover (see the module docstring)."""

    report = compute_readiness(migration)  # computes coverage once; reused below
    # The go/no-go item lists the first not passed; the panel shows the counts.
    preflight = preflight_summary(migration, limit=GO_LISTED)
    late, upcoming, counts = steps(migration, now=now)
    board = porting_board(migration, now=now)
    return Dashboard(
        waves=waves(migration, now=now),
        steps_late=late,
        steps_upcoming=upcoming,
        step_counts=counts,
        porting=board,
        coverage=report.coverage,
        readiness=report,
        preflight=preflight,
        go=go_state(migration, readiness=report, preflight=preflight),
        remote_overdue=remote_workers_overdue(migration, now=now),
        window=window_check(migration, board["plan"]),
    )
