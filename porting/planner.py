"""Go-live planner: the earliest honest cutover date, planned from the FOC timeline.

Pure Python: plain dataclasses in, a `MigrationPlan` out; no database, no Django models,
no clock (the caller passes `today`). Same inputs, same plan.

The rules (see docs/porting-planner.md for the operator's version):

* Business days skip Saturdays, Sundays and US federal holidays, observed dates included
  (Independence Day 2026 falls on a Saturday, so Friday 2026-07-03 is the holiday).
* Each carrier type has a FOC interval in business days (`FOC_INTERVALS`); the planner
  always plans on the long end. An order's clock starts on the day its LOA was submitted,
  or today when it has not been submitted yet. A start on a weekend or holiday counts
  from the next business day (the carrier receives it then).
* An order's FOC is the carrier's confirmed date when there is one, else the estimate.
  An unconfirmed order can never port today or earlier: when its estimate has passed
  without a FOC, the planner moves it to the next business day and warns (chase the
  carrier).
* The earliest cutover is the latest order FOC, itself (the port on the last FOC day *is*
  the cutover; there is no extra day). With more than one order and at least one FOC
  unconfirmed, a stagger allowance of `STAGGER_BUSINESS_DAYS` (3, the long end of the
  1-3 day stagger) is added. Once every order is confirmed the FOC dates are facts and no
  allowance is added.
* The migration is ready for cutover only when it has orders and every one is confirmed.
* Planner dates never land on a weekend or holiday. The only exception is a confirmed FOC,
  which is the carrier's fact and is reported as entered, with a warning; the cutover then
  rolls to the next business day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays

MAJOR_ILEC = "major_ilec"
MAJOR_CLEC = "major_clec"
NATIONAL_WIRELESS = "national_wireless"
REGIONAL_CLEC = "regional_clec"
TOLL_FREE = "toll_free"

# FOC intervals in business days, (short end, long end): carrier porting guides and
# industry practice, not regulation (docs/domain-rules.md "Porting").
FOC_INTERVALS: dict[str, tuple[int, int]] = {
    MAJOR_ILEC: (15, 20),  # AT&T, Verizon, Lumen/CenturyLink
    MAJOR_CLEC: (10, 15),  # Spectrum, Comcast, Cox
    NATIONAL_WIRELESS: (3, 5),  # Verizon Wireless, AT&T Wireless, T-Mobile
    REGIONAL_CLEC: (20, 30),  # small / regional CLECs: unpredictable, plan for the longest
    TOLL_FREE: (3, 5),  # SOMOS RespOrg change
}

CARRIER_TYPE_LABELS: dict[str, str] = {
    MAJOR_ILEC: "major ILEC",
    MAJOR_CLEC: "major CLEC",
    NATIONAL_WIRELESS: "national wireless",
    REGIONAL_CLEC: "small/regional CLEC",
    TOLL_FREE: "toll-free RespOrg",
}

# With several carriers the FOC dates rarely align: plan for the long end of a 1-3 day stagger.
STAGGER_BUSINESS_DAYS = 3
# Before the carrier's clock starts, the LOA must be collected, signed and validated, which
# commonly adds two to four weeks (industry practice): a carrier that needs 15 business
# days means at least 5 weeks to go-live, i.e. 10 business days of LOA work plus the
# interval. An order whose LOA is not submitted yet is therefore counted from today plus
# this allowance (docs/domain-rules.md).
LOA_COLLECTION_BUSINESS_DAYS = 10

NO_ORDERS_WARNING = (
    "No port orders yet: create one port order per carrier account (per BTN) "
    "before promising a go-live date."
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --------------------------------------------------------------------------- business days


@cache
def _federal_holidays(year: int) -> dict[date, str]:
    """US federal holidays of one calendar year, observed dates included (cached per year).

    `holidays` files an observed date under the year it falls in: New Year's Day 2028
    (a Saturday) is observed on Friday 2027-12-31, which is in the 2027 set."""
    return dict(holidays.country_holidays("US", years=year, observed=True))


def holiday_name(d: date) -> str | None:
    """The federal holiday on `d` ("Independence Day (observed)"), or None."""
    return _federal_holidays(d.year).get(d)


def is_business_day(d: date) -> bool:
    """Monday to Friday and not a US federal holiday (observed dates count as holidays)."""
    return d.weekday() < 5 and d not in _federal_holidays(d.year)


def next_business_day(d: date) -> date:
    """`d` itself when it is a business day, else the first business day after it."""
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def add_business_days(start: date, n: int) -> date:
    """The date `n` business days after `start`.

    Counting starts the day after `start`; `n=0` returns `next_business_day(start)`. A start
    on a weekend or holiday is first rolled to the next business day (an LOA submitted on
    a Saturday reaches the carrier on Monday, so day 1 is Tuesday): hence
    `add_business_days(s, n) == add_business_days(next_business_day(s), n)`, and the result
    is strictly increasing in `n`."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    d = next_business_day(start)
    # Whole weeks hold 5 weekdays: skip most of them at once, then walk the rest day by day
    # (holidays inside a skipped span are paid back by walking further). A skip always
    # leaves at least 5 days to walk, so the loop ends on a business day.
    remaining = n
    while remaining:
        if remaining >= 10:
            weeks = remaining // 5 - 1
            span_end = d + timedelta(weeks=weeks)
            lost = _holidays_on_weekdays(d + timedelta(days=1), span_end)
            d = span_end
            remaining -= weeks * 5 - lost
        else:
            d += timedelta(days=1)
            if is_business_day(d):
                remaining -= 1
    return d


def _holidays_on_weekdays(first: date, last: date) -> int:
    """How many weekday holidays fall in [first, last]."""
    count = 0
    for year in range(first.year, last.year + 1):
        for h in _federal_holidays(year):
            if first <= h <= last and h.weekday() < 5:
                count += 1
    return count


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]: 0 when end <= start."""
    count = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_business_day(d):
            count += 1
    return count


def _check_carrier_type(carrier_type: str) -> tuple[int, int]:
    try:
        return FOC_INTERVALS[carrier_type]
    except KeyError:
        known = ", ".join(FOC_INTERVALS)
        raise ValueError(
            f"unknown carrier type {carrier_type!r}; expected one of {known}"
        ) from None


def earliest_foc(carrier_type: str, start: date) -> date:
    """The earliest FOC to plan on: the long end of the carrier type's interval after `start`."""
    return add_business_days(start, _check_carrier_type(carrier_type)[1])


# --------------------------------------------------------------------------- inputs / outputs


@dataclass(frozen=True)
class OrderInput:
    """One port order (one carrier account, one BTN) as the planner sees it."""

    key: str
    label: str
    carrier_type: str
    loa_submitted_on: date | None = None
    foc_confirmed_on: date | None = None
    # The FOC requested from the winning carrier's allowed FOC windows (a carrier
    # connection, docs/carriers.md): used instead of the interval estimate.
    requested_foc_on: date | None = None


@dataclass(frozen=True)
class OrderPlan:
    key: str
    label: str
    carrier_type: str
    start: date  # LOA submission date, or today when the LOA is not submitted yet
    estimated_foc: date  # start + long end of the interval, in business days
    foc: date  # the confirmed FOC, else the estimate (never today or earlier when unconfirmed)
    confirmed: bool
    interval: tuple[int, int]
    explanation: str
    loa_submitted: bool = True
    overdue: bool = False  # unconfirmed and the estimate has passed: chase the carrier

    @property
    def carrier_type_label(self) -> str:
        return CARRIER_TYPE_LABELS.get(self.carrier_type, self.carrier_type)


@dataclass(frozen=True)
class MigrationPlan:
    today: date
    requested_go_live: date | None
    orders: list[OrderPlan] = field(default_factory=list)
    earliest_cutover: date | None = None
    latest_foc: date | None = None  # the latest order FOC, before any stagger allowance
    stagger_days: int = 0  # business days added for a multi-carrier stagger (0 or 3)
    driving_orders: list[OrderPlan] = field(default_factory=list)  # orders at latest_foc
    ready_for_cutover: bool = False
    blocking_orders: list[OrderPlan] = field(default_factory=list)  # no confirmed FOC yet
    warnings: list[str] = field(default_factory=list)
    explanation: str = ""


# --------------------------------------------------------------------------- planning


def _fmt(d: date) -> str:
    return d.isoformat()


def _day_kind(d: date) -> str:
    """'a Saturday', 'Independence Day (observed), a US federal holiday', or both."""
    name = holiday_name(d)
    if d.weekday() >= 5:
        weekday = f"a {_WEEKDAYS[d.weekday()]}"
        return f"{weekday} ({name})" if name else weekday
    return f"{name}, a US federal holiday"


def _plan_order(order: OrderInput, today: date) -> OrderPlan:
    interval = _check_carrier_type(order.carrier_type)
    hi = interval[1]
    who = f"{order.label} ({CARRIER_TYPE_LABELS[order.carrier_type]})"
    submitted = order.loa_submitted_on is not None
    start = (
        order.loa_submitted_on
        if submitted
        else add_business_days(today, LOA_COLLECTION_BUSINESS_DAYS)
    )
    estimated = add_business_days(start, hi)
    if order.requested_foc_on is not None:
        estimated = order.requested_foc_on
    counted_from = (
        f"LOA submitted {_fmt(start)}"
        if submitted
        else f"LOA not submitted yet: {LOA_COLLECTION_BUSINESS_DAYS} business days from today "
        f"{_fmt(today)} to collect and validate it, so counting from {_fmt(start)}"
    )
    estimate_text = f"{counted_from}; {hi} business days → earliest FOC {_fmt(estimated)}"
    if order.requested_foc_on is not None:
        estimate_text = (
            f"FOC {_fmt(estimated)} requested from the carrier's allowed FOC windows "
            "(not yet confirmed)"
        )

    common = {
        "key": order.key,
        "label": order.label,
        "carrier_type": order.carrier_type,
        "start": start,
        "estimated_foc": estimated,
        "interval": interval,
        "loa_submitted": submitted,
    }
    if order.foc_confirmed_on is not None:
        foc = order.foc_confirmed_on
        text = f"{who}: FOC confirmed for {_fmt(foc)} (planner estimate: {estimate_text})"
        if not is_business_day(foc):
            text += f"; {_fmt(foc)} is {_day_kind(foc)}"
        return OrderPlan(**common, foc=foc, confirmed=True, explanation=text)

    # No FOC yet: the port cannot happen today or earlier, whatever the estimate says.
    soonest = add_business_days(today, 1)
    overdue = estimated < soonest
    foc = soonest if overdue else estimated
    text = f"{who}: {estimate_text}"
    if overdue:
        text += f"; no FOC yet, so the earliest possible port is now {_fmt(foc)}"
    return OrderPlan(**common, foc=foc, confirmed=False, explanation=text, overdue=overdue)


def _why(order: OrderPlan, today: date) -> str:
    """Why this order holds the cutover where it is, in one clause."""
    who = f"{order.label} ({order.carrier_type_label})"
    if order.confirmed:
        return f"{who} has a confirmed FOC on {_fmt(order.foc)}"
    hi = order.interval[1]
    if order.overdue:
        return (
            f"{who} is past its {hi}-business-day interval with no FOC yet, "
            f"so it cannot port before {_fmt(order.foc)}"
        )
    if order.loa_submitted:
        return f"{who} needs {hi} business days from LOA submission on {_fmt(order.start)}"
    return (
        f"{who} needs {hi} business days from LOA submission, which has not happened yet "
        f"(allowing {LOA_COLLECTION_BUSINESS_DAYS} business days from today, {_fmt(today)}, "
        "to collect and validate the LOA)"
    )


def _names(orders: list[OrderPlan]) -> str:
    return ", ".join(o.label for o in orders)


def plan(
    orders: list[OrderInput], *, today: date, requested_go_live: date | None = None
) -> MigrationPlan:
    """Plan the go-live of one migration from its port orders. Pure and deterministic."""
    warnings: list[str] = []
    if requested_go_live is not None and not is_business_day(requested_go_live):
        warnings.append(
            f"Requested go-live {_fmt(requested_go_live)} falls on {_day_kind(requested_go_live)}, "
            f"not a business day: plan the cutover on a business day (the next one is "
            f"{_fmt(next_business_day(requested_go_live))})."
        )
    if not orders:
        return MigrationPlan(
            today=today,
            requested_go_live=requested_go_live,
            warnings=[NO_ORDERS_WARNING, *warnings],
            explanation="No port orders yet, so there is no go-live date to plan.",
        )

    planned = [_plan_order(o, today) for o in orders]
    blocking = [o for o in planned if not o.confirmed]
    latest_foc = max(o.foc for o in planned)
    driving = [o for o in planned if o.foc == latest_foc]
    stagger = STAGGER_BUSINESS_DAYS if len(planned) > 1 and blocking else 0
    cutover = add_business_days(latest_foc, stagger)  # n=0: next_business_day(latest_foc)
    ready = not blocking

    why = "; ".join(_why(o, today) for o in driving)
    if stagger:
        why += (
            f"; plus a {stagger}-business-day stagger allowance, because {len(planned)} carrier "
            f"orders rarely get the same FOC date and {len(blocking)} of them "
            f"{'has' if len(blocking) == 1 else 'have'} no confirmed FOC yet"
        )
    elif cutover != latest_foc:
        why += (
            f"; {_fmt(latest_foc)} is {_day_kind(latest_foc)}, "
            f"so cutover rolls to the next business day"
        )

    if ready:
        explanation = f"Every order has a confirmed FOC. Cutover on {_fmt(cutover)}: {why}."
    else:
        explanation = (
            f"Earliest honest cutover {_fmt(cutover)} (an estimate: "
            f"{len(blocking)} of {len(planned)} orders without a confirmed FOC): {why}."
        )

    for o in planned:
        if o.confirmed and not is_business_day(o.foc):
            warnings.append(
                f"{o.label} ({o.carrier_type_label}) has its FOC confirmed for {_fmt(o.foc)}, "
                f"which is {_day_kind(o.foc)}: call the winning carrier's porting team to "
                f"verify the date and time."
            )
        if o.overdue:
            warnings.append(
                f"{o.label} ({o.carrier_type_label}) has no FOC although its "
                f"{o.interval[1]}-business-day interval from LOA submission on "
                f"{_fmt(o.start)} ended on {_fmt(o.estimated_foc)}: follow up with the "
                f"carrier daily."
            )

    if requested_go_live is not None:
        if requested_go_live < cutover:
            warnings.append(
                f"Requested go-live {_fmt(requested_go_live)} is before the earliest honest "
                f"date {_fmt(cutover)}: {why}."
            )
        if blocking:
            warnings.append(
                f"Requested go-live {_fmt(requested_go_live)} cannot be committed yet: "
                f"{len(blocking)} order{'' if len(blocking) == 1 else 's'} without a confirmed "
                f"FOC ({_names(blocking)}). The migration is ready for cutover only when every "
                f"order has a confirmed FOC."
            )

    return MigrationPlan(
        today=today,
        requested_go_live=requested_go_live,
        orders=planned,
        earliest_cutover=cutover,
        latest_foc=latest_foc,
        stagger_days=stagger,
        driving_orders=driving,
        ready_for_cutover=ready,
        blocking_orders=blocking,
        warnings=warnings,
        explanation=explanation,
    )
