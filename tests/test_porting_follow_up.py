"""The daily follow-up flags stuck orders and orders near their date without an FOC, on
the board and by one email a day to the migration's owner."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from porting.models import FollowUp, PortOrder
from porting.tasks import daily_follow_up

from .clock import clock_frozen_at
from .conftest import login

pytestmark = pytest.mark.django_db
# The orders are made in April 2026 and followed up in May and June, whatever the real date.
frozen_clock = clock_frozen_at(datetime(2026, 4, 20, 15, tzinfo=UTC))


def _follow_up_on(frozen_clock, day: str) -> int:
    """The daily task as beat runs it on `day` (mid-morning UTC)."""
    frozen_clock.move_to(datetime.fromisoformat(f"{day}T15:00:00+00:00"))
    return daily_follow_up()


def _submitted_on(order, day):
    PortOrder.objects.filter(pk=order.pk).update(
        state="loa_submitted",
        loa_submitted_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
    )


def test_stuck_order_is_flagged_once_a_day_and_emailed(world_a, pm_a, mailoutbox, frozen_clock):
    order = world_a["port_order"]  # AT&T, a major ILEC: 15-20 business days
    _submitted_on(order, date(2026, 5, 1))
    # Mon June 1 is exactly 20 business days on (Memorial Day skipped): not yet past.
    assert _follow_up_on(frozen_clock, "2026-06-01") == 0
    assert not FollowUp.objects.exists()
    assert _follow_up_on(frozen_clock, "2026-06-02") == 1
    flag = FollowUp.objects.get(kind="stuck_loa_submitted")
    assert "21 business days ago" in flag.message and "15–20" in flag.message
    assert mailoutbox[0].to == [pm_a.email] and "[Porting follow-up]" in mailoutbox[0].subject
    assert _follow_up_on(frozen_clock, "2026-06-02") == 0, "a re-run the same day sends nothing"
    assert FollowUp.objects.count() == 1


def test_order_within_the_interval_is_not_flagged(world_a, frozen_clock):
    _submitted_on(world_a["port_order"], date(2026, 5, 20))
    _follow_up_on(frozen_clock, "2026-06-01")
    assert not FollowUp.objects.filter(kind="stuck_loa_submitted").exists()


def test_no_foc_within_three_business_days_of_the_date(world_a, pm_a, frozen_clock):
    order = world_a["port_order"]
    PortOrder.objects.filter(pk=order.pk).update(requested_date=date(2026, 6, 5))
    _follow_up_on(frozen_clock, "2026-06-01")  # Mon; Fri 5th is 4 business days away
    assert not FollowUp.objects.filter(kind="no_foc_near_date").exists()
    _follow_up_on(frozen_clock, "2026-06-02")  # Tue: 3 business days away
    flag = FollowUp.objects.get(kind="no_foc_near_date")
    assert "no confirmed FOC" in flag.message


def test_confirmed_orders_are_not_chased(world_a, frozen_clock):
    order = world_a["port_order"]
    PortOrder.objects.filter(pk=order.pk).update(
        state="foc_received", requested_date=date(2026, 6, 3),
        foc_at=datetime(2026, 6, 3, 6, tzinfo=UTC),
    )  # fmt: skip
    _follow_up_on(frozen_clock, "2026-06-02")
    assert not FollowUp.objects.exists()


def test_board_shows_todays_follow_ups(client, pm_a, world_a, org_a):
    order = world_a["port_order"]
    PortOrder.objects.filter(pk=order.pk).update(requested_date=date.today() + timedelta(days=1))
    login(client, pm_a)
    html = client.get(reverse("porting-board", args=[org_a.slug, world_a["migration"].uuid]))
    assert 'data-testid="follow-ups"' in html.content.decode()


def test_follow_up_is_on_the_beat_schedule(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "porting.tasks.daily_follow_up" in names
