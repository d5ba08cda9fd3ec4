"""The cutover plan: its rules as warnings (flash > 50 seats, windows in business hours in
the site's time zone, the per-day cap across waves, a parallel run without an SBC), the
services (plan, waves, 24-hour forwarding) and the plan page."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cutover.models import CutoverPlan, Forwarding, Wave
from cutover.plan.selectors import business_overlap, migration_seats, plan_warnings
from cutover.plan.services import add_wave, record_forwarding, save_plan
from tenancy.rules import TransitionRefused

from . import factories as f
from .clock import clock_frozen_at
from .conftest import login

# The waves below are in March 2026: the tests run on Feb 16, 2026, whatever the real date.
frozen_clock = clock_frozen_at(datetime(2026, 2, 16, 15, tzinfo=UTC))


CHICAGO = ZoneInfo("America/Chicago")
LA = ZoneInfo("America/Los_Angeles")


def _at(y, m, d, h, minute=0, zone=CHICAGO):
    return datetime(y, m, d, h, minute, tzinfo=zone)


def _fresh(world, user):
    """A migration of A's customer with no port order (so no plan made for its steps)."""
    migration = f.MigrationFactory(customer=world["customer"], name="Annex phones", owner=user)
    f.SiteFactory(migration=migration, name="Annex")
    return migration


def _codes(plan):
    return [w.code for w in plan_warnings(plan)]


# -- seats and the flash-cut rule --------------------------------------------------------


@pytest.mark.django_db
def test_seats_count_seat_count_or_endpoints_when_zero(pm_a, world_a):
    migration = world_a["migration"]  # Dallas HQ: 20 seats (factory), 1 endpoint
    empty = f.SiteFactory(migration=migration, name="Annex", seat_count=0)
    for _ in range(3):
        f.EndpointFactory(site=empty)
    assert migration_seats(migration) == 20 + 3


@pytest.mark.django_db
def test_flash_cut_over_fifty_seats_warns(pm_a, world_a):
    migration = world_a["migration"]
    plan = save_plan(migration, by=pm_a, model=CutoverPlan.Model.FLASH)
    assert "flash_over_50" not in _codes(plan)  # 20 seats
    f.SiteFactory(migration=migration, name="Floor 2", seat_count=30)
    assert "flash_over_50" not in _codes(plan)  # exactly 50: allowed
    f.SiteFactory(migration=migration, name="Floor 3", seat_count=1)
    warnings = plan_warnings(plan)
    assert [w.code for w in warnings] == ["flash_over_50"]
    assert "51 seats" in warnings[0].message
    plan = save_plan(migration, by=pm_a, model=CutoverPlan.Model.PHASED)
    assert "flash_over_50" not in _codes(plan)


@pytest.mark.django_db
def test_parallel_run_without_sbc_warns(pm_a, world_a):
    plan = save_plan(world_a["migration"], by=pm_a, model=CutoverPlan.Model.PARALLEL)
    assert _codes(plan) == ["parallel_without_sbc"]
    plan = save_plan(world_a["migration"], by=pm_a, has_sbc=True)
    assert _codes(plan) == []


# -- business hours in the site's time zone ----------------------------------------------


def test_business_overlap_is_judged_in_local_time_on_weekdays():
    opens, closes = time(8), time(18)
    # Tue 2026-03-03 19:00-23:00 Chicago: after hours.
    assert (
        business_overlap(_at(2026, 3, 3, 19), _at(2026, 3, 3, 23), CHICAGO, opens, closes) is None
    )
    # Same instant in UTC (01:00-05:00 Wed): still after hours in Chicago.
    start = _at(2026, 3, 3, 19).astimezone(UTC)
    assert business_overlap(start, start + timedelta(hours=4), CHICAGO, opens, closes) is None
    # Tue 17:00-19:00: the last business hour.
    lo, hi = business_overlap(_at(2026, 3, 3, 17), _at(2026, 3, 3, 19), CHICAGO, opens, closes)
    assert (lo.hour, hi.hour) == (17, 18)
    # Ends exactly at opening: no overlap (half-open).
    assert business_overlap(_at(2026, 3, 3, 5), _at(2026, 3, 3, 8), CHICAGO, opens, closes) is None
    # Saturday noon: not a business day.
    assert (
        business_overlap(_at(2026, 3, 7, 10), _at(2026, 3, 7, 14), CHICAGO, opens, closes) is None
    )
    # Fri 20:00 to Mon 07:00: a weekend cutover, off-hours.
    assert business_overlap(_at(2026, 3, 6, 20), _at(2026, 3, 9, 7), CHICAGO, opens, closes) is None
    # Fri 20:00 to Mon 09:00: runs into Monday morning.
    lo, _hi = business_overlap(_at(2026, 3, 6, 20), _at(2026, 3, 9, 9), CHICAGO, opens, closes)
    assert lo.weekday() == 0 and lo.hour == 8


def test_business_overlap_across_a_dst_change():
    # US DST starts Sun 2026-03-08; Monday 07:30-08:30 local still overlaps 08:00.
    lo, hi = business_overlap(_at(2026, 3, 9, 7, 30), _at(2026, 3, 9, 8, 30), CHICAGO,
                              time(8), time(18))  # fmt: skip
    assert lo.utcoffset() == timedelta(hours=-5) and (lo.hour, hi.minute) == (8, 30)


@pytest.mark.django_db
def test_wave_window_judged_in_its_sites_zone(pm_a, world_a):
    migration = world_a["migration"]
    plan = save_plan(migration, by=pm_a)
    la = f.SiteFactory(migration=migration, name="LA office", timezone="America/Los_Angeles")
    # 18:30-21:00 Chicago = 16:30-19:00 Los Angeles: off-hours in Dallas, not in LA.
    start, end = _at(2026, 3, 3, 18, 30), _at(2026, 3, 3, 21)
    add_wave(plan, by=pm_a, name="Dallas", window_start=start, window_end=end,
             site=world_a["site"])  # fmt: skip
    assert _codes(plan) == []
    add_wave(plan, by=pm_a, name="LA", window_start=start, window_end=end, site=la)
    warnings = plan_warnings(plan)
    assert [w.code for w in warnings] == ["wave_in_business_hours"]
    assert "“LA”" in warnings[0].message and "America/Los_Angeles" in warnings[0].message
    assert "16:30–18:00" in warnings[0].message


@pytest.mark.django_db
def test_business_hours_come_from_the_plan(pm_a, world_a):
    plan = save_plan(world_a["migration"], by=pm_a, business_hours_start=time(7),
                     business_hours_end=time(20))  # fmt: skip
    add_wave(plan, by=pm_a, name="Evening", window_start=_at(2026, 3, 3, 19),
             window_end=_at(2026, 3, 3, 22), site=world_a["site"])  # fmt: skip
    assert _codes(plan) == ["wave_in_business_hours"]
    save_plan(world_a["migration"], by=pm_a, business_hours_end=time(18, 30))
    plan.refresh_from_db()
    assert _codes(plan) == []


# -- the per-day cap across waves --------------------------------------------------------


def _numbers(migration, count, start):
    return [f.PhoneNumberFactory(migration=migration, number=f"+1469555{start + i:04d}")
            for i in range(count)]  # fmt: skip


@pytest.mark.django_db
def test_daily_cap_counts_numbers_across_waves_of_one_day(pm_a, world_a):
    migration, site = world_a["migration"], world_a["site"]
    plan = save_plan(migration, by=pm_a, model=CutoverPlan.Model.PHASED, per_day_cap=5)
    first, second = _numbers(migration, 3, 0), _numbers(migration, 3, 10)
    add_wave(plan, by=pm_a, name="Back office", window_start=_at(2026, 3, 3, 6),
             window_end=_at(2026, 3, 3, 7), site=site, numbers=first)  # fmt: skip
    assert _codes(plan) == []
    add_wave(plan, by=pm_a, name="Front desk", window_start=_at(2026, 3, 3, 19),
             window_end=_at(2026, 3, 3, 21), site=site, numbers=second)  # fmt: skip
    warnings = plan_warnings(plan)
    assert [w.code for w in warnings] == ["over_daily_cap"]
    assert "6 numbers on Tue 2026-03-03" in warnings[0].message
    # The same number in two waves of a day counts once; another day has its own cap.
    Wave.objects.get(name="Front desk").numbers.set(first[:2] + second[:2])
    assert _codes(plan) == []
    plan = save_plan(migration, by=pm_a, per_day_cap=4)
    assert _codes(plan) == ["over_daily_cap"]


@pytest.mark.django_db
def test_daily_cap_uses_the_sites_local_day(pm_a, world_a):
    migration, site = world_a["migration"], world_a["site"]
    plan = save_plan(migration, by=pm_a, per_day_cap=3)
    # 21:00 Chicago Tue = 03:00 UTC Wed; 06:00 Chicago Wed: two local days, 3 each.
    add_wave(plan, by=pm_a, name="Tue night", window_start=_at(2026, 3, 3, 21),
             window_end=_at(2026, 3, 3, 23), site=site,
             numbers=_numbers(migration, 3, 0))  # fmt: skip
    add_wave(plan, by=pm_a, name="Wed morning", window_start=_at(2026, 3, 4, 6),
             window_end=_at(2026, 3, 4, 7), site=site,
             numbers=_numbers(migration, 3, 10))  # fmt: skip
    assert _codes(plan) == []


# -- services ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_plan_creates_then_updates_with_history(pm_a, world_a):
    migration = _fresh(world_a, pm_a)
    plan = save_plan(migration, by=pm_a, model="flash", reason="kick-off")
    again = save_plan(migration, by=pm_a, per_day_cap=8)
    assert again.pk == plan.pk and again.model == "flash" and again.per_day_cap == 8
    reasons = [h.history_change_reason for h in plan.history.order_by("history_id")]
    assert reasons == ["kick-off", "Cutover plan changed"]
    assert plan.history.first().history_user == pm_a


@pytest.mark.django_db
def test_save_plan_validates(pm_a, viewer_a, world_a):
    migration = _fresh(world_a, pm_a)
    with pytest.raises(ValidationError):
        save_plan(migration, by=pm_a, business_hours_start=time(18), business_hours_end=time(8))
    with pytest.raises(ValidationError):
        save_plan(migration, by=pm_a, model="big-bang")
    with pytest.raises(ValidationError):
        save_plan(migration, by=pm_a, per_day_cap=0)
    with pytest.raises(ValueError):
        save_plan(migration, by=pm_a, colour="red")
    with pytest.raises(TransitionRefused):
        save_plan(migration, by=viewer_a, model="flash")
    assert not CutoverPlan.objects.filter(migration=migration).exists()


@pytest.mark.django_db
def test_add_wave_refuses_other_migrations_and_bad_windows(pm_a, world_a, world_b):
    plan = save_plan(world_a["migration"], by=pm_a)
    start = _at(2026, 3, 3, 19)
    with pytest.raises(ValidationError) as exc:
        add_wave(plan, by=pm_a, name="W", window_start=start, window_end=start)
    assert "window_end" in exc.value.message_dict
    other_migration = f.MigrationFactory(customer=world_a["customer"])
    foreign_site = f.SiteFactory(migration=other_migration)
    foreign_number = f.PhoneNumberFactory(migration=other_migration, number="+12145559999")
    with pytest.raises(ValidationError) as exc:
        add_wave(plan, by=pm_a, name="W", window_start=start, window_end=start + timedelta(hours=1),
                 site=foreign_site, numbers=[foreign_number, world_b["number"]])  # fmt: skip
    assert set(exc.value.message_dict) == {"site", "numbers"}
    assert not Wave.objects.exists()


@pytest.mark.django_db
def test_add_wave_sets_its_members(pm_a, world_a):
    plan = save_plan(world_a["migration"], by=pm_a)
    wave = add_wave(
        plan, by=pm_a, name="HQ", window_start=_at(2026, 3, 3, 19),
        window_end=_at(2026, 3, 3, 22), site=world_a["site"], numbers=[world_a["number"]],
        endpoints=[world_a["endpoint"]], port_orders=[world_a["port_order"]],
    )  # fmt: skip
    assert list(wave.numbers.all()) == [world_a["number"]]
    assert list(wave.endpoints.all()) == [world_a["endpoint"]]
    assert list(wave.port_orders.all()) == [world_a["port_order"]]
    assert wave.organization_id == world_a["migration"].organization_id
    assert wave.history.first().history_user == pm_a


@pytest.mark.django_db
def test_forwarding_lasts_24_hours(pm_a, viewer_a, world_a):
    start = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
    fw = record_forwarding(world_a["number"], by=pm_a, forward_to="(214) 555-0199",
                           starts_at=start)  # fmt: skip
    assert fw.forward_to == "+12145550199"
    assert fw.ends_at - fw.starts_at == timedelta(hours=24)
    assert fw.recorded_by == pm_a
    with pytest.raises(ValidationError):
        record_forwarding(world_a["number"], by=pm_a, forward_to="not a number", starts_at=start)
    with pytest.raises(ValidationError):
        record_forwarding(world_a["number"], by=pm_a, forward_to=str(world_a["number"].number),
                          starts_at=start)  # fmt: skip
    with pytest.raises(TransitionRefused):
        record_forwarding(world_a["number"], by=viewer_a, forward_to="2145550199",
                          starts_at=start)  # fmt: skip
    assert Forwarding.objects.count() == 1


# -- the page ----------------------------------------------------------------------------


def _url(org, migration, action=""):
    name = "cutover-plan" + (f"-{action}" if action else "")
    return reverse(name, args=[org.slug, migration.uuid])


@pytest.mark.django_db
def test_plan_page_without_a_plan(client, pm_a, world_a, org_a):
    login(client, pm_a)
    response = client.get(_url(org_a, _fresh(world_a, pm_a)))
    assert response.status_code == 200
    assert "No plan yet." in response.content.decode()


@pytest.mark.django_db
def test_plan_page_posts_plan_wave_and_forwarding(client, pm_a, world_a, org_a):
    migration = world_a["migration"]
    login(client, pm_a)
    response = client.post(_url(org_a, migration, "save"), {
        "model": "parallel", "per_day_cap": 5, "business_hours_start": "08:00",
        "business_hours_end": "18:00", "notes": "", "reason": "kick-off",
    }, follow=True)  # fmt: skip
    body = response.content.decode()
    assert "Plan saved: Parallel run." in body
    assert "Parallel run without an SBC" in body
    # A wave typed in the site's local time (Dallas: America/Chicago).
    response = client.post(_url(org_a, migration, "add-wave"), {
        "name": "Back office", "site": world_a["site"].pk,
        "window_start": "2026-03-03T17:00", "window_end": "2026-03-03T20:00",
        "numbers": [world_a["number"].pk],
    }, follow=True)  # fmt: skip
    body = response.content.decode()
    wave = Wave.objects.get()
    assert wave.window_start == _at(2026, 3, 3, 17)
    assert "runs into business hours" in body
    assert "Tue 2026-03-03 17:00 – Tue 2026-03-03 20:00" in body
    response = client.post(_url(org_a, migration, "forwarding"), {
        "number": world_a["number"].pk, "forward_to": "214-555-0199",
        "starts_at": "2026-03-03T20:00",
    }, follow=True)  # fmt: skip
    body = response.content.decode()
    assert "forwarded to (214) 555-0199 for 24 hours" in body
    fw = Forwarding.objects.get()
    assert fw.ends_at == _at(2026, 3, 4, 20)


@pytest.mark.django_db
def test_wave_before_a_plan_is_refused(client, pm_a, world_a, org_a):
    login(client, pm_a)
    response = client.post(_url(org_a, _fresh(world_a, pm_a), "add-wave"), {
        "name": "W", "window_start": "2026-03-03T20:00", "window_end": "2026-03-03T21:00",
    }, follow=True)  # fmt: skip
    assert "Save the plan first" in response.content.decode()
    assert not Wave.objects.exists()


@pytest.mark.django_db
def test_viewer_gets_403_on_every_post(client, pm_a, viewer_a, world_a, org_a):
    login(client, viewer_a)
    migration = _fresh(world_a, pm_a)
    assert client.get(_url(org_a, migration)).status_code == 200
    for action in ("save", "add-wave", "forwarding"):
        assert client.post(_url(org_a, migration, action), {"model": "flash"}).status_code == 403
    assert not CutoverPlan.objects.filter(migration=migration).exists()


@pytest.mark.django_db
def test_other_org_gets_404(client, pm_b, world_a, world_b, org_b):
    login(client, pm_b)
    migration = world_a["migration"]
    for action in ("", "save", "add-wave", "forwarding"):
        method = client.get if not action else client.post
        assert method(_url(org_b, migration, action)).status_code == 404


@pytest.mark.django_db
def test_plan_page_query_count_is_constant(client, pm_a, world_a, org_a):
    migration, site = world_a["migration"], world_a["site"]
    plan = save_plan(migration, by=pm_a)
    login(client, pm_a)
    url = _url(org_a, migration)

    def grow(count, start):
        for i in range(count):
            numbers = _numbers(migration, 2, start + 10 * i)
            add_wave(plan, by=pm_a, name=f"W{start + i}", window_start=_at(2026, 3, 3 + i, 19),
                     window_end=_at(2026, 3, 3 + i, 21), site=site, numbers=numbers,
                     endpoints=[world_a["endpoint"]])  # fmt: skip
            record_forwarding(numbers[0], by=pm_a, forward_to="2145550199",
                              starts_at=_at(2026, 3, 3 + i, 21))  # fmt: skip

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(1, 0)
    small = count()
    grow(8, 100)
    assert count() == small
    assert small <= 21  # 20, and the organization's two-factor requirement (accounts)
