"""Dated cutover steps from each FOC (the port-day timeline of docs/cutover-steps.md), the
beat task that marks them due and escalates them (each once), and the steps page."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cutover.models import CutoverPlan, Step
from cutover.steps.selectors import display_zones, local_due
from cutover.steps.services import complete_step, generate_steps, skip_step
from cutover.tasks import run_due_steps
from porting.models import PortOrder
from porting.services import (
    acknowledge_warnings,
    change_foc,
    create_port_order,
    prepare_loa,
    transition_order,
)
from tenancy.rules import TransitionRefused

from . import factories as f
from .clock import clock_frozen_at
from .conftest import login
from .e911_helpers import e911_ready
from .signing import sign_loa

pytestmark = pytest.mark.django_db

FOC = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)  # 00:00 in Chicago (CST, UTC-6)
M = timedelta(minutes=1)
# Every test starts a week and an hour before the FOC, whatever the real date.
frozen_clock = clock_frozen_at(FOC - timedelta(days=7, hours=1))


@pytest.fixture
def migration(world_a, pm_a):
    return f.MigrationFactory(customer=world_a["customer"], name="Plano office", owner=pm_a)


@pytest.fixture
def site(migration):
    return f.SiteFactory(migration=migration, name="Plano", timezone="America/Chicago")


@pytest.fixture
def account(migration):
    return f.CarrierAccountFactory(
        migration=migration, btn="+14695550100", csr_numbers=["+14695550100", "+14695550101"]
    )


@pytest.fixture
def numbers(migration, site, account):
    return [
        f.PhoneNumberFactory(migration=migration, site=site, number=f"+1469555010{i}")
        for i in range(2)
    ]


def _order(account, numbers, pm, foc=FOC):
    order = create_port_order(account, numbers, winning_carrier="Zoom Phone", by=pm)
    PortOrder.objects.filter(pk=order.pk).update(state=PortOrder.State.FOC_RECEIVED, foc_at=foc)
    return PortOrder.objects.get(pk=order.pk)


@pytest.fixture
def order(account, numbers, pm_a):
    return _order(account, numbers, pm_a)


def _by_code(order):
    return {s.code: s for s in Step.objects.filter(port_order=order)}


EXPECTED = {
    "platform_ready": -7 * 24 * 60,
    "pre_cutover_call": -3 * 24 * 60,
    "final_review": -24 * 60,
    "monitoring_open": -120,
    "port": 0,
    "external_calls": 15,
    "health_check": 240,
    "decommission_trunk": 48 * 60,
    "cancel_old_account": 30 * 24 * 60,
}


CHICAGO = ZoneInfo("America/Chicago")
# The FOC is Saturday 00:00 in Chicago. Steps that need people move into business hours
# (08:00-18:00 weekdays by default): before the FOC to their day's opening, or the last
# weekday's; after it to the next opening. The port-day steps keep their exact times.
PEOPLE_DUE = {
    "platform_ready": datetime(2026, 11, 27, 8, tzinfo=CHICAGO),  # Sat -7 d -> Fri
    "pre_cutover_call": datetime(2026, 12, 2, 8, tzinfo=CHICAGO),  # Wed 00:00 -> 08:00
    "final_review": datetime(2026, 12, 4, 8, tzinfo=CHICAGO),  # Fri 00:00 -> 08:00
    "decommission_trunk": datetime(2026, 12, 7, 8, tzinfo=CHICAGO),  # Mon 00:00 -> 08:00
    "cancel_old_account": datetime(2027, 1, 4, 8, tzinfo=CHICAGO),  # Mon 00:00 -> 08:00
}


def expected_due(code, foc=FOC):
    """When a step of an order whose FOC is `foc` (a Saturday 00:00 in Chicago) falls."""
    if code in PEOPLE_DUE:
        return PEOPLE_DUE[code] + (foc - FOC)
    return foc + EXPECTED[code] * M


def test_timeline_offsets_owner_and_site_timezone(order, pm_a, site, migration):
    generate_steps(order, by=pm_a)
    steps = _by_code(order)
    assert {code: s.offset_minutes for code, s in steps.items()} == EXPECTED
    for code in EXPECTED:
        assert steps[code].due_at == expected_due(code), code
        assert steps[code].owner == pm_a and steps[code].status == "pending"
    site_step = Step.objects.get(site=site, code="test_933")
    assert site_step.port_order is None and site_step.due_at == FOC + 60 * M
    assert CutoverPlan.objects.get(migration=migration).steps.count() == 10
    # Stored in UTC, shown in the site's time zone.
    zones = display_zones(list(Step.objects.filter(plan__migration=migration)), migration)
    assert local_due(steps["port"], zones[steps["port"].pk]) == "2026-12-05 00:00 CST"
    assert local_due(site_step, zones[site_step.pk]) == "2026-12-05 01:00 CST"
    assert local_due(steps["platform_ready"], zones[steps["platform_ready"].pk]) == (
        "2026-11-27 08:00 CST"
    )
    # History says who and why.
    assert steps["port"].history.first().history_user == pm_a
    assert f"#{order.pk}" in steps["port"].history.first().history_change_reason


def test_numbers_without_a_site_use_the_migrations_first_site(migration, pm_a, account):
    first = f.SiteFactory(migration=migration, name="Denver", timezone="America/Denver")
    f.SiteFactory(migration=migration, name="Later", timezone="America/New_York")
    number = f.PhoneNumberFactory(migration=migration, number="+14695550100")
    order = _order(account, [number], pm_a)
    generate_steps(order, by=pm_a)
    steps = list(Step.objects.filter(plan__migration=migration))
    zones = display_zones(steps, migration)
    port = next(s for s in steps if s.code == "port")
    assert local_due(port, zones[port.pk]) == "2026-12-04 23:00 MST"
    assert Step.objects.get(code="test_933").site == first


def test_generation_is_idempotent(order, pm_a):
    generate_steps(order, by=pm_a)
    before = {s.pk: (s.due_at, s.status) for s in Step.objects.all()}
    history = Step.history.count()
    generate_steps(order, by=pm_a)
    generate_steps(order, by=pm_a)
    assert {s.pk: (s.due_at, s.status) for s in Step.objects.all()} == before
    assert Step.history.count() == history  # nothing rewritten
    assert CutoverPlan.objects.filter(migration=order.migration).count() == 1


def test_foc_change_moves_pending_steps_but_not_done_or_skipped(order, pm_a):
    generate_steps(order, by=pm_a)
    steps = _by_code(order)
    complete_step(steps["platform_ready"], by=pm_a, evidence="all 12 users called")
    skip_step(steps["pre_cutover_call"], by=pm_a, reason="customer on holiday; emailed")
    Step.objects.filter(pk=steps["final_review"].pk).update(
        status="due", notified_due_at=FOC - 24 * 60 * M
    )
    new_foc = FOC + timedelta(days=3)
    order = change_foc(order, new_foc_at=new_foc, reason="carrier backlog", by=pm_a)
    moved = _by_code(order)
    assert moved["platform_ready"].status == "done"
    assert moved["platform_ready"].due_at == expected_due("platform_ready")
    assert moved["pre_cutover_call"].status == "skipped"
    assert moved["pre_cutover_call"].due_at == expected_due("pre_cutover_call")
    # A step already due moves too, and will be notified again at its new time.
    assert moved["final_review"].status == "pending"
    assert moved["final_review"].notified_due_at is None
    # Three days later: Tuesday 00:00, so the final review is Monday 08:00.
    assert moved["final_review"].due_at == datetime(2026, 12, 7, 8, tzinfo=CHICAGO)
    assert moved["cancel_old_account"].due_at == datetime(2027, 1, 7, 8, tzinfo=CHICAGO)
    for code in ("monitoring_open", "port", "health_check"):
        assert moved[code].due_at == new_foc + EXPECTED[code] * M, code
    assert Step.objects.get(code="test_933").due_at == new_foc + 60 * M
    assert "moved" in moved["port"].history.first().history_change_reason
    assert moved["port"].history.first().history_user == pm_a


def test_cancel_cancels_open_steps(order, pm_a):
    generate_steps(order, by=pm_a)
    complete_step(_by_code(order)["platform_ready"], by=pm_a)
    order = transition_order(order, "cancel", by=pm_a, cancel_reason="customer stays")
    steps = _by_code(order)
    assert steps["platform_ready"].status == "done"
    assert {s.status for c, s in steps.items() if c != "platform_ready"} == {"cancelled"}
    assert Step.objects.get(code="test_933").status == "cancelled"
    # A cancelled order is never scheduled again.
    assert generate_steps(order, by=pm_a) == []


def test_site_and_account_steps_follow_the_orders(migration, account, numbers, pm_a, site):
    """933 at the site's earliest FOC; account cancel 30 days after its last FOC."""
    early = _order(account, numbers[:1], pm_a, foc=FOC)
    late = _order(account, numbers[1:], pm_a, foc=FOC + timedelta(days=5))
    generate_steps(early, by=pm_a)
    generate_steps(late, by=pm_a)
    test_933 = Step.objects.get(code="test_933")
    assert test_933.due_at == FOC + 60 * M
    cancel = Step.objects.get(code="cancel_old_account")
    # 30 days after Thursday's FOC (00:00) is a Saturday: the next opening, Monday 08:00.
    assert cancel.port_order == late
    assert cancel.due_at == datetime(2027, 1, 11, 8, tzinfo=CHICAGO)
    transition_order(late, "cancel", by=pm_a, cancel_reason="numbers stay")
    cancel.refresh_from_db()
    assert cancel.port_order == early and cancel.due_at == expected_due("cancel_old_account")
    assert cancel.status == "pending"
    assert Step.objects.filter(code="cancel_old_account").count() == 1


def test_skip_needs_a_reason_and_roles_are_checked(order, pm_a, viewer_a):
    step = generate_steps(order, by=pm_a)[0]
    with pytest.raises(ValidationError, match="Say why"):
        skip_step(step, by=pm_a, reason="  ")
    with pytest.raises(TransitionRefused):
        complete_step(step, by=viewer_a)
    skip_step(step, by=pm_a, reason="done by the customer's IT")
    step.refresh_from_db()
    assert step.status == "skipped" and step.skip_reason == "done by the customer's IT"
    assert step.done_by == pm_a
    with pytest.raises(ValidationError, match="already skipped"):
        complete_step(step, by=pm_a)


def test_record_foc_through_the_lifecycle_generates_steps(account, numbers, pm_a):
    order = create_port_order(account, numbers, winning_carrier="Zoom Phone", by=pm_a)
    loa = prepare_loa(order, by=pm_a)
    sign_loa(loa, by=pm_a)
    e911_ready(order, pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "submit_loa", by=pm_a)
    assert not Step.objects.filter(port_order=order).exists()
    order = transition_order(order, "record_foc", by=pm_a, foc_at=FOC)
    assert _by_code(order)["port"].due_at == FOC


# -- the beat task ---------------------------------------------------------------------


def _due_mails(mailoutbox):
    """Due emails about the test's migration (the standing worlds have steps too)."""
    return [m for m in mailoutbox if m.subject.startswith("[Cutover step due] Plano office")]


def test_beat_task_claims_each_due_step_once(
    order, pm_a, mailoutbox, django_capture_on_commit_callbacks, frozen_clock
):
    # Generated before the first step falls due, as the FOC arrives days ahead.
    frozen_clock.move_to(expected_due("platform_ready") - timedelta(hours=1))
    generate_steps(order, by=pm_a)
    now = expected_due("platform_ready") + M  # only the -7 days step is due
    frozen_clock.move_to(now)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_steps() == {"due": 1, "escalated": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_steps() == {"due": 0, "escalated": 0}
    assert len(_due_mails(mailoutbox)) == 1
    mail = _due_mails(mailoutbox)[0]
    assert mail.to == [pm_a.email] and "Platform fully configured" in mail.subject
    assert "2026-11-27 08:00 CST" in mail.body
    step = _by_code(order)["platform_ready"]
    assert step.status == "due" and now <= step.notified_due_at < now + M
    claimed = step.history.first()  # the batch claim writes each step's history row
    assert (claimed.status, claimed.history_type) == ("due", "~")
    assert claimed.history_change_reason == "due: owner notified"
    # Later: the next ones fall due, each once.
    frozen_clock.move_to(FOC + 16 * M)
    with django_capture_on_commit_callbacks(execute=True):
        run_due_steps()
        run_due_steps()
    # -7 d, -3 d, -1 d, -2 h, FOC and +15 min: one email each; the 933 test (+60) waits.
    assert len(_due_mails(mailoutbox)) == 6
    assert len({m.body.split("\n")[0] for m in _due_mails(mailoutbox)}) == 6
    assert order.migration.cutover_plan.steps.filter(notified_due_at__isnull=False).count() == 6
    assert Step.objects.get(code="test_933").status == "pending"


def test_escalation_once(order, pm_a, owner_a, mailoutbox, settings,
                         django_capture_on_commit_callbacks, frozen_clock):  # fmt: skip
    settings.STEP_ESCALATE_AFTER_MINUTES = 30
    migration = order.migration
    migration.owner = owner_a
    migration.save()
    generate_steps(order, by=pm_a)
    port = _by_code(order)["port"]
    Step.objects.filter(pk=port.pk).update(owner=pm_a)
    Step.objects.exclude(pk=port.pk).update(status="done")  # the worlds' steps too

    def run_at(moment):
        frozen_clock.move_to(moment)
        return run_due_steps()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_at(FOC + M) == {"due": 1, "escalated": 0}
        assert run_at(FOC + 29 * M)["escalated"] == 0
        assert run_at(FOC + 31 * M)["escalated"] == 1
        assert run_at(FOC + 90 * M)["escalated"] == 0
    port.refresh_from_db()
    assert port.status == "overdue" and FOC + 31 * M <= port.escalated_at < FOC + 32 * M
    late = [m for m in mailoutbox if m.subject.startswith("[Cutover step overdue]")]
    assert len(late) == 1 and late[0].to == [owner_a.email]
    assert [m.to for m in _due_mails(mailoutbox)] == [[pm_a.email]]
    # Done after the escalation: nothing more.
    complete_step(port, by=pm_a, evidence="ported 06:04")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_at(FOC + 200 * M) == {"due": 0, "escalated": 0}


def test_no_email_when_the_claim_rolls_back(order, pm_a, mailoutbox, monkeypatch, frozen_clock):
    """Emails go out on commit: a failing claim sends nothing and the step stays pending."""
    generate_steps(order, by=pm_a)
    from simple_history.manager import HistoryManager

    def boom(*args, **kwargs):
        raise RuntimeError("crash")

    # The claim's history rows fail after its UPDATE: the whole batch rolls back.
    monkeypatch.setattr(HistoryManager, "bulk_history_create", boom)
    frozen_clock.move_to(FOC + M)
    with pytest.raises(RuntimeError):
        run_due_steps()
    assert mailoutbox == []
    assert not order.migration.cutover_plan.steps.exclude(status="pending").exists()


def test_beat_schedule_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cutover-run-due-steps"]
    assert entry["task"] == "cutover.tasks.run_due_steps" and entry["schedule"] == 60.0


# -- the page --------------------------------------------------------------------------


def _page(migration):
    return reverse("cutover-steps", args=[migration.organization.slug, migration.uuid])


def test_steps_page_shows_local_times_and_complete_and_skip(client, order, pm_a):
    generate_steps(order, by=pm_a)
    login(client, pm_a)
    page = client.get(_page(order.migration))
    assert page.status_code == 200
    assert "2026-12-05 00:00 CST" in page.content.decode()
    step = _by_code(order)["port"]
    org = order.organization.slug
    done = client.post(reverse("cutover-step-done", args=[org, step.pk]),
                       {"evidence": "call log clean"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == _page(order.migration)
    step.refresh_from_db()
    assert step.status == "done" and step.evidence == "call log clean"
    other = _by_code(order)["health_check"]
    client.post(reverse("cutover-step-skip", args=[org, other.pk]), {"reason": ""})
    other.refresh_from_db()
    assert other.status == "pending"
    client.post(reverse("cutover-step-skip", args=[org, other.pk]), {"reason": "in port call"})
    other.refresh_from_db()
    assert other.status == "skipped" and other.skip_reason == "in port call"


def test_viewer_cannot_complete(client, order, pm_a, viewer_a):
    step = generate_steps(order, by=pm_a)[0]
    login(client, viewer_a)
    assert client.get(_page(order.migration)).status_code == 200
    response = client.post(reverse("cutover-step-done", args=[order.organization.slug, step.pk]))
    assert response.status_code == 403


def test_steps_page_query_count_is_constant(client, migration, account, numbers, pm_a):
    login(client, pm_a)
    first = _order(account, numbers[:1], pm_a)
    generate_steps(first, by=pm_a)
    with CaptureQueriesContext(connection) as one:
        assert client.get(_page(migration)).status_code == 200
    for i in range(3):
        other_account = f.CarrierAccountFactory(migration=migration, btn=f"+1972555020{i}")
        number = f.PhoneNumberFactory(
            migration=migration, number=f"+1972555020{i}",
            site=f.SiteFactory(migration=migration, timezone="America/New_York"),
        )  # fmt: skip
        generate_steps(_order(other_account, [number], pm_a), by=pm_a)
    with CaptureQueriesContext(connection) as many:
        assert client.get(_page(migration)).status_code == 200
    assert Step.objects.filter(plan__migration=migration).count() >= 40
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]


def test_regenerating_across_daylight_saving_changes_nothing(account, numbers, pm_a):
    """A FOC in Chicago the week after DST starts: "FOC -7 days" keeps the local clock
    time (02:00, CST then), however the FOC reached generate_steps. Regenerating from the
    stored (UTC) order moves nothing, re-announces nothing, writes no history."""
    chicago = ZoneInfo("America/Chicago")
    foc = datetime(2027, 3, 16, 2, 0, tzinfo=chicago)  # CDT, UTC-5
    order = _order(account, numbers, pm_a, foc=foc)
    PortOrder.objects.filter(pk=order.pk).update(foc_timezone="America/Chicago")
    order = PortOrder.objects.get(pk=order.pk)
    as_recorded = PortOrder.objects.get(pk=order.pk)
    as_recorded.foc_at = foc  # what record_foc hands over: the FOC in the carrier's zone
    generate_steps(as_recorded, by=pm_a)
    platform = _by_code(order)["platform_ready"]
    # Tuesday 2027-03-09, in business hours: 08:00 CST (the day before DST began).
    assert platform.due_at.astimezone(chicago) == datetime(2027, 3, 9, 8, 0, tzinfo=chicago)
    assert _by_code(order)["port"].due_at == foc
    # Announced, then generated again from the database's UTC copy: nothing changes.
    Step.objects.filter(pk=platform.pk).update(status="due", notified_due_at=platform.due_at)
    before = {s.pk: (s.due_at, s.status, s.notified_due_at) for s in Step.objects.all()}
    history = Step.history.count()
    generate_steps(PortOrder.objects.get(pk=order.pk), by=pm_a)
    assert {s.pk: (s.due_at, s.status, s.notified_due_at) for s in Step.objects.all()} == before
    assert Step.history.count() == history
