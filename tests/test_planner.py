"""The go-live planner: business-day arithmetic, FOC intervals, stagger and warnings.

Property tests (hypothesis) over dates in 2024-2032, plus worked examples a project
manager can check against a calendar."""

from dataclasses import replace
from datetime import date, timedelta
from functools import cache

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porting import planner
from porting.planner import (
    FOC_INTERVALS,
    LOA_COLLECTION_BUSINESS_DAYS,
    NO_ORDERS_WARNING,
    STAGGER_BUSINESS_DAYS,
    OrderInput,
    add_business_days,
    business_days_between,
    earliest_foc,
    is_business_day,
    next_business_day,
    plan,
)

CARRIER_TYPES = ["major_ilec", "major_clec", "national_wireless", "regional_clec", "toll_free"]

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
counts = st.integers(min_value=0, max_value=400)
shifts = st.integers(min_value=0, max_value=120)


def naive_add(start, n):
    """The obvious day-by-day definition the planner's fast path must agree with."""
    d = start
    while d.weekday() >= 5 or d in _us_holidays(d.year):
        d += timedelta(days=1)
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in _us_holidays(d.year):
            n -= 1
    return d


@cache
def _us_holidays(year):
    return frozenset(holidays.country_holidays("US", years=year))


@st.composite
def order_inputs(draw, today_strategy=dates):
    n = draw(st.integers(min_value=0, max_value=5))
    return [
        OrderInput(
            key=str(i),
            label=f"Carrier {i}",
            carrier_type=draw(st.sampled_from(CARRIER_TYPES)),
            loa_submitted_on=draw(st.none() | dates),
            foc_confirmed_on=draw(st.none() | dates),
        )
        for i in range(n)
    ]


def all_planner_dates(p, orders):
    """Every date the planner computed (a confirmed FOC is the carrier's input, not ours)."""
    out = [p.earliest_cutover] if p.earliest_cutover else []
    for o, given_order in zip(p.orders, orders, strict=True):
        out.append(o.estimated_foc)
        if not given_order.foc_confirmed_on:
            out.append(o.foc)
    return out


def cutover_or_min(p):
    return p.earliest_cutover or date.min


# --------------------------------------------------------------------------- business days


def test_business_day_basics():
    assert is_business_day(date(2026, 6, 1))  # Monday
    assert not is_business_day(date(2026, 6, 6))  # Saturday
    assert not is_business_day(date(2026, 6, 7))  # Sunday
    assert not is_business_day(date(2026, 6, 19))  # Juneteenth (Friday)
    assert not is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert not is_business_day(date(2026, 12, 25))  # Christmas
    assert next_business_day(date(2026, 6, 1)) == date(2026, 6, 1)
    assert next_business_day(date(2026, 6, 6)) == date(2026, 6, 8)


def test_observed_holidays_count():
    # Independence Day 2026 is a Saturday: observed Friday 2026-07-03.
    assert not is_business_day(date(2026, 7, 3))
    assert next_business_day(date(2026, 7, 3)) == date(2026, 7, 6)
    # Juneteenth 2027 is a Saturday: observed Friday 2027-06-18.
    assert not is_business_day(date(2027, 6, 18))
    # New Year's Day 2028 is a Saturday: observed Friday 2027-12-31, in the previous year.
    assert not is_business_day(date(2027, 12, 31))
    assert planner.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"


def test_add_business_days_over_july_4th_2026():
    # Toll-free from Wednesday 2026-07-01: Jul 2 (1), Jul 3 observed holiday, weekend,
    # Jul 6, 7, 8, 9 (2-5).
    assert add_business_days(date(2026, 7, 1), 5) == date(2026, 7, 9)
    assert earliest_foc("toll_free", date(2026, 7, 1)) == date(2026, 7, 9)


def test_interval_across_thanksgiving_christmas_and_new_year_2026():
    # Regional CLEC, LOA submitted Friday 2026-11-20, 30 business days: skips Thanksgiving
    # (Nov 26), Christmas (Dec 25) and New Year's Day (Jan 1 2027).
    assert earliest_foc("regional_clec", date(2026, 11, 20)) == date(2027, 1, 6)
    # Without the three holidays it would be six calendar weeks: 2027-01-01.
    assert business_days_between(date(2026, 11, 20), date(2027, 1, 6)) == 30


def test_n_zero_and_weekend_start():
    assert add_business_days(date(2026, 6, 1), 0) == date(2026, 6, 1)
    assert add_business_days(date(2026, 6, 6), 0) == date(2026, 6, 8)
    # Submitted on a Saturday: received Monday, so day 1 is Tuesday.
    assert add_business_days(date(2026, 6, 6), 1) == date(2026, 6, 9)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 6, 1), -1)


@pytest.mark.parametrize(
    ("carrier_type", "interval", "expected"),
    [
        # From Monday 2026-03-02: no federal holiday before mid-April.
        ("major_ilec", (15, 20), date(2026, 3, 30)),
        ("major_clec", (10, 15), date(2026, 3, 23)),
        ("national_wireless", (3, 5), date(2026, 3, 9)),
        ("regional_clec", (20, 30), date(2026, 4, 13)),
        ("toll_free", (3, 5), date(2026, 3, 9)),
    ],
)
def test_each_carrier_type_plans_on_the_long_end(carrier_type, interval, expected):
    assert FOC_INTERVALS[carrier_type] == interval
    assert earliest_foc(carrier_type, date(2026, 3, 2)) == expected
    order = OrderInput("1", "X", carrier_type, date(2026, 3, 2), None)
    p = plan([order], today=date(2026, 3, 2))
    assert p.orders[0].interval == interval
    assert p.earliest_cutover == expected
    assert f"{interval[1]} business days" in p.orders[0].explanation


def test_carrier_types_match_the_model_choices():
    assert set(FOC_INTERVALS) == set(CARRIER_TYPES) == set(planner.CARRIER_TYPE_LABELS)


def test_unknown_carrier_type_is_refused():
    with pytest.raises(ValueError, match="unknown carrier type"):
        earliest_foc("pots", date(2026, 3, 2))
    with pytest.raises(ValueError):
        plan([OrderInput("1", "X", "pots", None, None)], today=date(2026, 3, 2))


@PROPS
@given(dates, counts)
def test_add_business_days_lands_on_a_business_day_and_counts_right(start, n):
    result = add_business_days(start, n)
    assert is_business_day(result)
    assert result == naive_add(start, n)
    assert business_days_between(next_business_day(start), result) == n
    assert result == add_business_days(next_business_day(start), n)


@PROPS
@given(dates, dates, counts, counts)
def test_add_business_days_is_monotonic(s1, s2, n1, n2):
    s1, s2 = sorted((s1, s2))
    n1, n2 = sorted((n1, n2))
    assert add_business_days(s1, n1) <= add_business_days(s2, n1)
    assert add_business_days(s1, n1) <= add_business_days(s1, n2)
    if n1 < n2:
        assert add_business_days(s1, n1) < add_business_days(s1, n2)


@PROPS
@given(dates, st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_add_business_days_composes(start, a, b):
    assert add_business_days(add_business_days(start, a), b) == add_business_days(start, a + b)


@PROPS
@given(dates)
def test_next_business_day_is_the_first_one(d):
    nbd = next_business_day(d)
    assert is_business_day(nbd) and nbd >= d
    assert all(not is_business_day(d + timedelta(days=i)) for i in range((nbd - d).days))


def test_three_hundred_business_days_is_fast():
    import time

    t = time.perf_counter()
    for i in range(2000):
        add_business_days(date(2024, 1, 1) + timedelta(days=i), 300)
    assert time.perf_counter() - t < 2


# --------------------------------------------------------------------------- plan(): examples


def test_example_two_weeks_wanted_fifteen_business_days_needed():
    """The customer wants to go live in 2 weeks and the carrier needs 15 business days:
    the answer is "minimum 5 weeks", the LOA allowance (10 business days) plus the
    interval, and the request is flagged."""
    today = date(2026, 6, 1)  # Monday
    wanted = today + timedelta(weeks=2)
    p = plan(
        [OrderInput("1", "Spectrum", "major_clec", None, None)],
        today=today,
        requested_go_live=wanted,
    )
    # 10 business days to 06-15, then 15 more skipping Juneteenth (06-19) and the observed
    # Independence Day (07-03).
    assert p.earliest_cutover == date(2026, 7, 8)
    assert (p.earliest_cutover - today).days >= 35  # "minimum 5 weeks"
    assert not p.ready_for_cutover
    assert [o.key for o in p.blocking_orders] == ["1"]
    assert any(
        w.startswith("Requested go-live 2026-06-15 is before the earliest honest date 2026-07-08")
        and "Spectrum (major CLEC) needs 15 business days" in w
        for w in p.warnings
    )
    assert p.orders[0].explanation == (
        "Spectrum (major CLEC): LOA not submitted yet: 10 business days from today "
        "2026-06-01 to collect and validate it, so counting from 2026-06-15; "
        "15 business days → earliest FOC 2026-07-08"
    )


def test_brief_warning_wording_names_the_driving_order():
    p = plan(
        [OrderInput("1", "AT&T", "major_ilec", date(2026, 5, 27), None)],
        today=date(2026, 6, 1),
        requested_go_live=date(2026, 6, 10),
    )
    assert p.earliest_cutover == date(2026, 6, 25)
    assert (
        "Requested go-live 2026-06-10 is before the earliest honest date 2026-06-25: "
        "AT&T (major ILEC) needs 20 business days from LOA submission on 2026-05-27."
    ) in p.warnings
    assert p.orders[0].explanation == (
        "AT&T (major ILEC): LOA submitted 2026-05-27; 20 business days → earliest FOC 2026-06-25"
    )


def multi_carrier(att_foc=None, spectrum_foc=None, tf_foc=None):
    loa = date(2026, 5, 27)
    return [
        OrderInput("att", "AT&T", "major_ilec", loa, att_foc),
        OrderInput("spectrum", "Spectrum", "major_clec", loa, spectrum_foc),
        OrderInput("tf", "Toll-free 800", "toll_free", loa, tf_foc),
    ]


def test_multi_carrier_stagger_while_any_foc_is_unconfirmed():
    p = plan(multi_carrier(), today=date(2026, 6, 1), requested_go_live=date(2026, 6, 26))
    assert [o.foc for o in p.orders] == [date(2026, 6, 25), date(2026, 6, 17), date(2026, 6, 3)]
    assert p.latest_foc == date(2026, 6, 25)
    assert [o.key for o in p.driving_orders] == ["att"]
    assert p.stagger_days == STAGGER_BUSINESS_DAYS == 3
    # Thursday 06-25 + 3 business days: Fri 26, Mon 29, Tue 30.
    assert p.earliest_cutover == date(2026, 6, 30)
    assert not p.ready_for_cutover
    assert {o.key for o in p.blocking_orders} == {"att", "spectrum", "tf"}
    before = [w for w in p.warnings if "is before the earliest honest date 2026-06-30" in w]
    assert len(before) == 1 and "AT&T (major ILEC)" in before[0] and "stagger" in before[0]
    assert any("cannot be committed yet: 3 orders" in w for w in p.warnings)


def test_stagger_stays_while_one_order_is_unconfirmed():
    p = plan(
        multi_carrier(att_foc=date(2026, 6, 25), spectrum_foc=date(2026, 6, 25)),
        today=date(2026, 6, 1),
    )
    assert p.stagger_days == 3 and p.earliest_cutover == date(2026, 6, 30)
    assert [o.key for o in p.blocking_orders] == ["tf"]


def test_all_confirmed_cutover_is_the_last_foc_itself():
    focs = dict(att_foc=date(2026, 6, 25), spectrum_foc=date(2026, 6, 24), tf_foc=date(2026, 6, 25))
    p = plan(multi_carrier(**focs), today=date(2026, 6, 1), requested_go_live=date(2026, 6, 25))
    assert p.ready_for_cutover
    assert p.blocking_orders == []
    assert p.stagger_days == 0
    assert p.earliest_cutover == date(2026, 6, 25)
    assert p.warnings == []
    assert {o.key for o in p.driving_orders} == {"att", "tf"}
    assert p.explanation.startswith("Every order has a confirmed FOC. Cutover on 2026-06-25")


def test_single_unconfirmed_order_gets_no_stagger():
    p = plan([OrderInput("1", "Cox", "major_clec", date(2026, 3, 2), None)], today=date(2026, 3, 2))
    assert p.stagger_days == 0
    assert p.earliest_cutover == date(2026, 3, 23)


def test_confirmed_foc_is_used_and_the_estimate_still_shown():
    p = plan(
        [OrderInput("1", "Lumen", "major_ilec", date(2026, 3, 2), date(2026, 4, 8))],
        today=date(2026, 3, 10),
    )
    o = p.orders[0]
    assert o.confirmed and o.foc == date(2026, 4, 8) and o.estimated_foc == date(2026, 3, 30)
    assert "FOC confirmed for 2026-04-08" in o.explanation
    assert "earliest FOC 2026-03-30" in o.explanation
    assert p.ready_for_cutover and p.earliest_cutover == date(2026, 4, 8)


def test_confirmed_foc_on_a_weekend_is_kept_warned_and_cutover_rolls():
    p = plan(
        [OrderInput("1", "Comcast", "major_clec", date(2026, 6, 1), date(2026, 7, 4))],
        today=date(2026, 6, 1),
    )
    assert p.orders[0].foc == date(2026, 7, 4)  # the carrier's fact, as entered
    assert p.earliest_cutover == date(2026, 7, 6)
    assert any("confirmed for 2026-07-04, which is a Saturday" in w for w in p.warnings)


def test_overdue_order_is_never_planned_in_the_past():
    p = plan(
        [OrderInput("1", "Verizon", "major_ilec", date(2026, 1, 5), None)],
        today=date(2026, 6, 5),  # Friday
    )
    o = p.orders[0]
    assert o.overdue and o.estimated_foc == date(2026, 2, 3)
    assert o.foc == date(2026, 6, 8)  # the next business day after today
    assert p.earliest_cutover == date(2026, 6, 8)
    assert any("follow up with the carrier daily" in w and "Verizon" in w for w in p.warnings)


def test_requested_go_live_on_a_weekend_or_holiday_is_flagged():
    orders = [OrderInput("1", "T-Mobile", "national_wireless", date(2026, 6, 1), date(2026, 6, 5))]
    p = plan(orders, today=date(2026, 6, 1), requested_go_live=date(2026, 7, 4))
    assert p.warnings == [
        "Requested go-live 2026-07-04 falls on a Saturday (Independence Day), not a business "
        "day: plan the cutover on a business day (the next one is 2026-07-06)."
    ]
    p = plan(orders, today=date(2026, 6, 1), requested_go_live=date(2026, 7, 3))
    assert len(p.warnings) == 1
    assert "2026-07-03 falls on Independence Day (observed), a US federal holiday" in p.warnings[0]
    p = plan(orders, today=date(2026, 6, 1), requested_go_live=date(2026, 7, 6))
    assert p.warnings == []


def test_no_orders():
    p = plan([], today=date(2026, 6, 1), requested_go_live=date(2026, 6, 15))
    assert p.earliest_cutover is None
    assert not p.ready_for_cutover
    assert p.orders == [] and p.blocking_orders == []
    assert p.warnings == [NO_ORDERS_WARNING]
    assert NO_ORDERS_WARNING.startswith("No port orders yet")


# --------------------------------------------------------------------------- plan(): properties


@PROPS
@given(order_inputs(), dates, st.none() | dates)
def test_plan_never_lands_on_a_weekend_or_holiday(orders, today, requested):
    p = plan(orders, today=today, requested_go_live=requested)
    assert all(is_business_day(d) for d in all_planner_dates(p, orders))
    for o in p.orders:
        if o.confirmed and not is_business_day(o.foc):
            assert any(o.label in w and "verify the date" in w for w in p.warnings)


@PROPS
@given(order_inputs(), dates, st.none() | dates)
def test_plan_invariants(orders, today, requested):
    p = plan(orders, today=today, requested_go_live=requested)
    assert p == plan(list(orders), today=today, requested_go_live=requested)  # deterministic
    assert [o.key for o in p.orders] == [o.key for o in orders]
    assert [o.key for o in p.blocking_orders] == [o.key for o in orders if not o.foc_confirmed_on]
    assert p.ready_for_cutover == (bool(orders) and all(o.foc_confirmed_on for o in orders))
    if not orders:
        assert p.earliest_cutover is None and p.warnings[0] == NO_ORDERS_WARNING
        return
    assert p.latest_foc == max(o.foc for o in p.orders)
    assert all(o.foc <= p.earliest_cutover for o in p.orders)
    assert p.driving_orders and all(o.foc == p.latest_foc for o in p.driving_orders)
    assert p.stagger_days == (3 if len(orders) > 1 and p.blocking_orders else 0)
    for o, given_order in zip(p.orders, orders, strict=True):
        assert o.start == (
            given_order.loa_submitted_on or add_business_days(today, LOA_COLLECTION_BUSINESS_DAYS)
        )
        assert o.estimated_foc == earliest_foc(o.carrier_type, o.start)
        assert o.interval == FOC_INTERVALS[o.carrier_type]
        assert o.explanation.startswith(o.label)
        if given_order.foc_confirmed_on:
            assert o.confirmed and o.foc == given_order.foc_confirmed_on
        else:
            assert not o.confirmed and o.foc > today and o.foc >= o.estimated_foc
    if p.blocking_orders:
        assert p.earliest_cutover > today
    if requested is not None:
        flagged = [w for w in p.warnings if w.startswith(f"Requested go-live {requested}")]
        if requested < p.earliest_cutover:
            assert any("is before the earliest honest date" in w for w in flagged)
            assert any(o.label in w for o in p.driving_orders for w in flagged)
        honest = requested >= p.earliest_cutover and is_business_day(requested)
        assert (not flagged) == (honest and p.ready_for_cutover)


@PROPS
@given(order_inputs(), dates, st.data())
def test_moving_an_loa_later_never_moves_anything_earlier(orders, today, data):
    submitted = [i for i, o in enumerate(orders) if o.loa_submitted_on]
    if not submitted:
        return
    i = data.draw(st.sampled_from(submitted))
    later = list(orders)
    later[i] = replace(
        orders[i], loa_submitted_on=orders[i].loa_submitted_on + timedelta(days=data.draw(shifts))
    )
    before, after = plan(orders, today=today), plan(later, today=today)
    assert after.earliest_cutover >= before.earliest_cutover
    for b, a in zip(before.orders, after.orders, strict=True):
        assert a.estimated_foc >= b.estimated_foc and a.foc >= b.foc


@PROPS
@given(order_inputs(), dates, shifts, st.none() | dates)
def test_a_later_today_never_moves_anything_earlier(orders, today, shift, requested):
    before = plan(orders, today=today, requested_go_live=requested)
    after = plan(orders, today=today + timedelta(days=shift), requested_go_live=requested)
    assert cutover_or_min(after) >= cutover_or_min(before)
    for b, a in zip(before.orders, after.orders, strict=True):
        assert a.start >= b.start and a.estimated_foc >= b.estimated_foc and a.foc >= b.foc


@PROPS
@given(order_inputs(), dates, st.sampled_from(CARRIER_TYPES), st.none() | dates, st.data())
def test_submitting_an_loa_later_than_allowed_never_moves_anything_earlier(
    orders, today, carrier_type, foc, data
):
    # The allowance is the plan's assumption for when the LOA gets submitted; submitting
    # on or after that day can only keep or push the dates.
    pending = OrderInput("new", "New carrier", carrier_type, None, foc)
    allowed = add_business_days(today, LOA_COLLECTION_BUSINESS_DAYS)
    submitted = replace(pending, loa_submitted_on=allowed + timedelta(days=data.draw(shifts)))
    before = plan([*orders, pending], today=today)
    after = plan([*orders, submitted], today=today)
    assert after.earliest_cutover >= before.earliest_cutover


@PROPS
@given(order_inputs(), dates, st.sampled_from(CARRIER_TYPES), st.none() | dates, st.none() | dates)
def test_adding_an_order_never_makes_the_cutover_earlier(orders, today, carrier_type, loa, foc):
    before = plan(orders, today=today)
    after = plan([*orders, OrderInput("new", "New", carrier_type, loa, foc)], today=today)
    assert after.earliest_cutover >= cutover_or_min(before)
    assert not (after.ready_for_cutover and not before.ready_for_cutover and orders)


@PROPS
@given(order_inputs(), dates, st.data())
def test_confirming_an_order_on_its_planned_date_never_makes_the_cutover_later(orders, today, data):
    p = plan(orders, today=today)
    pending = [i for i, o in enumerate(p.orders) if not o.confirmed]
    if not pending:
        return
    i = data.draw(st.sampled_from(pending))
    confirmed = list(orders)
    confirmed[i] = replace(orders[i], foc_confirmed_on=p.orders[i].foc)
    after = plan(confirmed, today=today)
    assert after.earliest_cutover <= p.earliest_cutover
    assert len(after.blocking_orders) == len(p.blocking_orders) - 1
    assert after.ready_for_cutover == (len(pending) == 1)
    if len(pending) == 1:
        assert after.stagger_days == 0
        assert after.earliest_cutover == next_business_day(p.latest_foc)


@PROPS
@given(order_inputs(), dates, st.data())
def test_a_later_confirmed_foc_never_makes_the_cutover_earlier(orders, today, data):
    confirmed = [i for i, o in enumerate(orders) if o.foc_confirmed_on]
    if not confirmed:
        return
    i = data.draw(st.sampled_from(confirmed))
    slipped = list(orders)  # a supplemental order: the FOC slips
    slipped[i] = replace(
        orders[i], foc_confirmed_on=orders[i].foc_confirmed_on + timedelta(days=data.draw(shifts))
    )
    assert plan(slipped, today=today).earliest_cutover >= plan(orders, today=today).earliest_cutover


@PROPS
@given(order_inputs(), dates, st.randoms())
def test_order_of_the_orders_does_not_change_the_dates(orders, today, rnd):
    shuffled = list(orders)
    rnd.shuffle(shuffled)
    a, b = plan(orders, today=today), plan(shuffled, today=today)
    assert a.earliest_cutover == b.earliest_cutover
    assert a.ready_for_cutover == b.ready_for_cutover
    assert {o.key: o.foc for o in a.orders} == {o.key: o.foc for o in b.orders}
