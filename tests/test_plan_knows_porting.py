"""The cutover plan knows porting: a wave for an order without a FOC, or one that ends
before its order's FOC, is a warning naming the order and the date, linked to the order;
wave pickers are grouped and filtered by site; steps that need people fall in business
hours, which each organization sets for its new plans."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cutover.models import CutoverPlan, Step
from cutover.plan.selectors import plan_warnings
from cutover.plan.services import add_wave, save_plan
from cutover.steps.services import generate_steps
from cutover.steps.timeline import TIMELINE, BusinessHours, moment
from porting.models import PortOrder
from tenancy.services import update_organization_settings

from . import factories as f
from .clock import clock_frozen_at
from .conftest import login

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2031, 5, 5, 15, 0, tzinfo=UTC)  # a Monday
frozen_clock = clock_frozen_at(NOW)


def at(days, hour, zone=CHICAGO):
    day = (NOW + timedelta(days=days)).astimezone(zone).date()
    return datetime.combine(day, time(hour), tzinfo=zone)


@pytest.fixture
def plan(world_a, pm_a):
    world_a["site"].timezone = "America/Chicago"
    world_a["site"].save()
    return save_plan(world_a["migration"], by=pm_a)


def wave_for_the_order(plan, world_a, pm_a, start, end, **kwargs):
    return add_wave(plan, by=pm_a, name="Front desk", window_start=start, window_end=end,
                    site=world_a["site"], numbers=[world_a["number"]], **kwargs)  # fmt: skip


def codes(plan):
    return [w.code for w in plan_warnings(plan)]


# --- the plan knows porting ------------------------------------------------------------


def test_a_wave_for_an_order_without_a_foc_names_the_order_and_the_expected_date(
    plan, world_a, pm_a, client, org_a
):
    order = world_a["port_order"]
    wave_for_the_order(plan, world_a, pm_a, at(10, 0), at(10, 4))
    [warning] = [w for w in plan_warnings(plan) if w.code == "wave_without_foc"]
    assert f"port order #{order.pk}" in warning.message and "no FOC yet" in warning.message
    assert "The earliest FOC to expect is" in warning.message
    assert warning.fix.url == order.get_absolute_url()
    # The page shows it with the link to the order.
    login(client, pm_a)
    page = client.get(reverse("cutover-plan", args=[org_a.slug, world_a["migration"].uuid]))
    body = page.content.decode()
    assert 'data-testid="warning-wave_without_foc"' in body
    assert f'href="{order.get_absolute_url()}"' in body


def test_a_wave_the_order_names_counts_too(plan, world_a, pm_a):
    add_wave(plan, by=pm_a, name="Orders only", window_start=at(10, 0), window_end=at(10, 4),
             site=world_a["site"], port_orders=[world_a["port_order"]])  # fmt: skip
    assert "wave_without_foc" in codes(plan)


def test_a_wave_that_ends_before_the_foc_is_a_warning_and_one_around_it_is_not(plan, world_a, pm_a):
    order = world_a["port_order"]
    foc = at(12, 2)
    PortOrder.objects.filter(pk=order.pk).update(state=PortOrder.State.FOC_RECEIVED, foc_at=foc)
    early = wave_for_the_order(plan, world_a, pm_a, at(11, 0), at(11, 4))
    [warning] = [w for w in plan_warnings(plan) if w.code == "wave_before_foc"]
    assert warning.wave == early and f"port order #{order.pk}" in warning.message
    assert f"{foc:%a %Y-%m-%d %H:%M} America/Chicago" in warning.message
    early.delete()
    wave_for_the_order(plan, world_a, pm_a, at(12, 0), at(12, 4))
    assert not {"wave_before_foc", "wave_without_foc"} & set(codes(plan))


def test_a_cancelled_order_raises_nothing(plan, world_a, pm_a):
    PortOrder.objects.filter(pk=world_a["port_order"].pk).update(state=PortOrder.State.CANCELLED)
    wave_for_the_order(plan, world_a, pm_a, at(10, 0), at(10, 4))
    assert "wave_without_foc" not in codes(plan)


def test_another_organizations_orders_never_count(plan, world_a, world_b, pm_a):
    wave = add_wave(plan, by=pm_a, name="Empty", window_start=at(10, 0), window_end=at(10, 4),
                    site=world_a["site"])  # fmt: skip
    assert wave.port_orders.count() == 0
    assert not {"wave_before_foc", "wave_without_foc"} & set(codes(plan))


# --- wave pickers by site ----------------------------------------------------------------


def test_wave_pickers_group_by_site_with_counts_and_refuse_another_sites_numbers(
    plan, world_a, pm_a, client, org_a
):
    migration = world_a["migration"]
    denver = f.SiteFactory(migration=migration, name="Denver annex", timezone="America/Denver")
    far = f.PhoneNumberFactory(migration=migration, number="+17205550188", site=denver)
    f.EndpointFactory(site=denver, extension="901")
    login(client, pm_a)
    url = reverse("cutover-plan", args=[org_a.slug, migration.uuid])
    body = client.get(url).content.decode()
    assert "data-site-filter" in body
    assert f'data-site="{denver.pk}"' in body and "Denver annex (1)" in body
    assert f'data-site="{world_a["site"].pk}"' in body
    assert 'data-select-all="numbers"' in body and 'data-select-all="endpoints"' in body
    # A number of another site is refused, with the rule in words.
    response = client.post(
        reverse("cutover-plan-add-wave", args=[org_a.slug, migration.uuid]),
        {"name": "Mixed", "site": world_a["site"].pk, "numbers": [far.pk],
         "window_start": "2031-05-16T00:00", "window_end": "2031-05-16T04:00"},
        follow=True,
    )  # fmt: skip
    assert "at another site" in response.content.decode()
    assert not plan.waves.filter(name="Mixed").exists()


# --- business hours ----------------------------------------------------------------------

PEOPLE = [spec for spec in TIMELINE if spec.people]
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "UTC"]
EXACT = [spec for spec in TIMELINE if not spec.people]


def test_the_people_steps_and_the_exact_ones():
    assert [s.code for s in PEOPLE] == [
        "platform_ready", "pre_cutover_call", "final_review", "decommission_trunk",
        "cancel_old_account",
    ]  # fmt: skip
    assert {"port", "monitoring_open"} <= {s.code for s in EXACT}


@hsettings(max_examples=300, deadline=None)
@given(
    foc=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2032, 12, 31)),
    zone=st.sampled_from(ZONES),
    opens=st.integers(min_value=6, max_value=10),
    length=st.integers(min_value=4, max_value=12),
)
def test_people_steps_fall_in_business_hours_and_keep_their_side_of_the_foc(
    foc, zone, opens, length
):
    zone = ZoneInfo(zone)
    foc = foc.replace(tzinfo=UTC)
    hours = BusinessHours(time(opens), time(min(opens + length, 23)))
    for spec in PEOPLE:
        when = moment(spec, foc, zone, hours).astimezone(zone)
        plain = moment(spec, foc, zone, BusinessHours(time(0), time(23, 59, 59)))
        assert when.weekday() < 5, spec.code
        assert hours.opens <= when.time().replace(tzinfo=None) < hours.closes, spec.code
        if spec.offset < timedelta(0):
            assert when < foc, spec.code  # still ahead of the port
        else:
            assert when >= plain, spec.code  # never earlier than the rule allows
    for spec in EXACT:
        assert moment(spec, foc, zone, hours) == moment(spec, foc, zone), spec.code


def test_the_pre_cutover_call_is_not_at_two_in_the_morning(world_a, pm_a):
    order = world_a["port_order"]
    world_a["site"].timezone = "America/Chicago"
    world_a["site"].save()
    foc = at(9, 2)  # a Wednesday, 02:00 in Chicago
    PortOrder.objects.filter(pk=order.pk).update(state=PortOrder.State.FOC_RECEIVED, foc_at=foc)
    generate_steps(PortOrder.objects.get(pk=order.pk), by=pm_a)
    call = Step.objects.get(port_order=order, code="pre_cutover_call")
    assert call.due_at.astimezone(CHICAGO) == at(4, 8)  # Sunday -> Friday 08:00
    port = Step.objects.get(port_order=order, code="port", site=None, offset_minutes=0)
    assert port.due_at == foc


def test_changing_the_plans_hours_moves_the_open_people_steps(world_a, pm_a):
    order = world_a["port_order"]
    world_a["site"].timezone = "America/Chicago"
    world_a["site"].save()
    PortOrder.objects.filter(pk=order.pk).update(
        state=PortOrder.State.FOC_RECEIVED, foc_at=at(9, 2)
    )
    generate_steps(PortOrder.objects.get(pk=order.pk), by=pm_a)
    save_plan(world_a["migration"], by=pm_a, business_hours_start=time(9, 30),
              business_hours_end=time(17))  # fmt: skip
    call = Step.objects.get(port_order=order, code="pre_cutover_call")
    assert call.due_at.astimezone(CHICAGO).time() == time(9, 30)


def test_new_plans_start_with_the_organizations_hours(world_a, owner_a, pm_a, org_a):
    update_organization_settings(org_a, by=owner_a, business_hours_start=time(7),
                                 business_hours_end=time(16))  # fmt: skip
    migration = f.MigrationFactory(customer=world_a["customer"], name="New office", owner=pm_a)
    plan = save_plan(migration, by=pm_a)
    assert (plan.business_hours_start, plan.business_hours_end) == (time(7), time(16))
    # Existing plans keep their own.
    other = CutoverPlan.objects.get(migration=world_a["migration"])
    assert other.business_hours_start == time(8)


REMINDERS = {"reminder_days_before_due": "1", "reminder_days_after_due": "2"}


def test_organization_settings_page_owner_only_and_scoped(
    client, owner_a, pm_a, org_a, org_b, world_a
):
    url = reverse("org-settings", args=[org_a.slug])
    login(client, pm_a)
    page = client.get(url)
    assert page.status_code == 200 and "Only an owner can change these" in page.content.decode()
    refused = client.post(url, {"brand_color": "#112233", "business_hours_start": "07:00",
                                "business_hours_end": "15:00"})  # fmt: skip
    assert refused.status_code == 403
    assert client.get(reverse("org-settings", args=[org_b.slug])).status_code == 404
    login(client, owner_a)
    bad = client.post(url, {"brand_color": "#112233", "business_hours_start": "15:00",
                            "business_hours_end": "07:00", **REMINDERS})  # fmt: skip
    assert bad.status_code == 400 and "must end after they start" in bad.content.decode()
    done = client.post(url, {"brand_color": "#112233", "business_hours_start": "07:00",
                             "business_hours_end": "15:00", "reason": "new office hours",
                             **REMINDERS},
                       follow=True)  # fmt: skip
    assert "Organization settings saved" in done.content.decode()
    org_a.refresh_from_db()
    assert (org_a.business_hours_start, org_a.brand_color) == (time(7), "#112233")
    assert org_a.reminder_days_after_due == 2
    assert org_a.history.first().history_change_reason == "new office hours"
