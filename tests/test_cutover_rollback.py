"""The rollback plan: ordered steps with owners, the default plan, the old trunk kept 48
hours after each port and the old carrier account 30 days after its last port (refused
before their time, with the reason), the port-back countdown, and the page."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cutover.models import RollbackStep
from cutover.rollback.selectors import done_refusal, port_back_windows
from cutover.rollback.services import (
    add_step,
    default_rollback_plan,
    mark_done,
    move_step,
    set_owner,
)
from porting.models import CarrierAccount, PortOrder
from porting.services import acknowledge_warnings, transition_order
from tenancy.rules import TransitionRefused

from . import factories as f
from .conftest import login
from .e911_helpers import e911_ready
from .signing import sign_loa

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

Kind = RollbackStep.Kind


def _ported(order, at, *, completed=None):
    PortOrder.objects.filter(pk=order.pk).update(
        state="complete" if completed else "port_day", ported_at=at, completed_at=completed
    )
    order.refresh_from_db()
    return order


def _step(migration, kind):
    return RollbackStep.objects.get(migration=migration, kind=kind)


def test_default_plan_has_owners_and_one_step_per_order_and_account(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    added = default_rollback_plan(migration, by=pm_a)
    steps = list(RollbackStep.objects.filter(migration=migration))
    assert steps == added and [s.position for s in steps] == list(range(1, len(steps) + 1))
    assert all(s.owner == migration.owner for s in steps)
    assert any("port-back" in s.title for s in steps)
    trunk = _step(migration, Kind.DECOMMISSION_TRUNK)
    account = _step(migration, Kind.CANCEL_ACCOUNT)
    assert trunk.port_order == order and account.carrier_account == order.carrier_account
    assert steps[-2:] == [trunk, account]
    # Again: nothing new; a new order on a new account gets its two steps.
    assert default_rollback_plan(migration, by=pm_a) == []
    other = f.CarrierAccountFactory(migration=migration, carrier_name="Spectrum",
                                    btn="+12145550177", csr_numbers=["+12145550177"])  # fmt: skip
    number = f.PhoneNumberFactory(migration=migration, number="+12145550177")
    from porting.services import create_port_order

    create_port_order(other, [number], winning_carrier="Zoom", by=pm_a)
    assert len(default_rollback_plan(migration, by=pm_a)) == 2


def test_steps_are_added_reordered_and_owned(world_a, pm_a, owner_a, tech_a):
    migration = world_a["migration"]
    a = add_step(migration, title="A", by=pm_a)
    b = add_step(migration, title="B", by=pm_a)
    c = add_step(migration, title="C", by=pm_a, owner=owner_a)
    move_step(c, direction="up", by=pm_a)
    titles = list(RollbackStep.objects.filter(migration=migration).values_list("title", flat=True))
    assert titles == ["A", "C", "B"]
    move_step(a, direction="up", by=pm_a)  # already first: nothing moves
    move_step(a, direction="down", by=pm_a)
    titles = list(RollbackStep.objects.filter(migration=migration).values_list("title", flat=True))
    assert titles == ["C", "A", "B"]
    set_owner(b, owner=tech_a, by=pm_a)
    assert RollbackStep.objects.get(pk=b.pk).owner == tech_a
    with pytest.raises(ValidationError):
        add_step(migration, title=" ", by=pm_a)
    with pytest.raises(TransitionRefused) as exc:
        add_step(migration, title="X", by=tech_a)
    assert exc.value.rule == "role"


def test_general_step_is_marked_done(world_a, pm_a):
    step = add_step(world_a["migration"], title="Keep the old phones racked", by=pm_a)
    step = mark_done(step, by=pm_a, note="all racked")
    assert step.done_at and step.done_by == pm_a and step.note == "all racked"
    with pytest.raises(TransitionRefused, match="already done"):
        mark_done(step, by=pm_a)


def test_trunk_decommission_waits_48_hours_after_the_port(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    default_rollback_plan(migration, by=pm_a)
    trunk = _step(migration, Kind.DECOMMISSION_TRUNK)
    with pytest.raises(TransitionRefused) as exc:
        mark_done(trunk, by=pm_a)
    assert exc.value.rule == "not_ported" and "has not ported" in exc.value.message
    ported = timezone.now() - timedelta(hours=30)
    _ported(order, ported)
    with pytest.raises(TransitionRefused) as exc:
        mark_done(trunk, by=pm_a)
    assert exc.value.rule == "port_back_window_open"
    assert "48-hour port-back window" in exc.value.message and "keep the old trunk" in (
        exc.value.message
    )
    assert "17 h" in exc.value.message or "18 h" in exc.value.message
    step = mark_done(trunk, by=pm_a, now=ported + timedelta(hours=48, minutes=1))
    assert step.done_at == ported + timedelta(hours=48, minutes=1)


def test_account_cancellation_waits_30_days_after_the_last_port(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    account = order.carrier_account
    default_rollback_plan(migration, by=pm_a)
    step = _step(migration, Kind.CANCEL_ACCOUNT)
    with pytest.raises(TransitionRefused) as exc:
        mark_done(step, by=pm_a)
    assert exc.value.rule == "ports_not_complete"
    completed = timezone.now() - timedelta(days=10)
    _ported(order, completed - timedelta(hours=50), completed=completed)
    with pytest.raises(TransitionRefused) as exc:
        mark_done(step, by=pm_a)
    assert exc.value.rule == "thirty_days_after_last_port"
    assert f"{completed + timedelta(days=30):%Y-%m-%d}" in exc.value.message
    assert CarrierAccount.objects.get(pk=account.pk).old_service_cancelled_at is None
    later = completed + timedelta(days=30, minutes=1)
    mark_done(step, by=pm_a, now=later, note="ticket 4411")
    account.refresh_from_db()
    assert account.old_service_cancelled_at == later  # recorded through porting's service
    assert RollbackStep.objects.get(pk=step.pk).done_at == later


def test_port_back_countdown_per_order(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    [window] = port_back_windows(migration)
    assert not window.open and window.label == "Not ported yet"
    now = timezone.now()
    _ported(order, now - timedelta(hours=10, minutes=15))
    [window] = port_back_windows(migration, now=now)
    assert window.open and (window.hours, window.minutes) == (37, 45)
    assert window.label == "37 h 45 min remaining"
    [window] = port_back_windows(migration, now=now + timedelta(hours=40))
    assert not window.open and window.label.startswith("Closed at")


def test_the_real_lifecycle_sets_the_window(world_a, pm_a):
    order = world_a["port_order"]
    sign_loa(order.current_loa(), by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "submit_loa", by=pm_a)
    now = timezone.now()
    order = transition_order(order, "record_foc", by=pm_a, foc_at=now)
    e911_ready(order, pm_a)
    order = transition_order(order, "start_port_day", by=pm_a, now=now)
    [window] = port_back_windows(order.migration, now=now + timedelta(hours=1))
    assert window.label == "47 h 00 min remaining"
    default_rollback_plan(order.migration, by=pm_a)
    trunk = _step(order.migration, Kind.DECOMMISSION_TRUNK)
    assert done_refusal(trunk, now=now + timedelta(hours=1)).rule == "port_back_window_open"
    assert done_refusal(trunk, now=now + timedelta(hours=48)) is None


# -- the page --------------------------------------------------------------------------


def _url(org, migration, name="cutover-rollback"):
    return reverse(name, args=[org.slug, migration.uuid])


def test_page_forms_and_refusal_messages(client, org_a, world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    login(client, pm_a)
    assert client.get(_url(org_a, migration)).status_code == 200
    client.post(_url(org_a, migration, "cutover-rollback-default"))
    assert RollbackStep.objects.filter(migration=migration).count() >= 3
    client.post(_url(org_a, migration, "cutover-rollback-add"), {"title": "Call Ana"})
    added = RollbackStep.objects.get(title="Call Ana")
    client.post(_url(org_a, migration, "cutover-rollback-step"),
                {"step": added.pk, "action": "owner", "owner": pm_a.pk})  # fmt: skip
    assert RollbackStep.objects.get(pk=added.pk).owner == pm_a
    _ported(order, timezone.now() - timedelta(hours=2))
    trunk = _step(migration, Kind.DECOMMISSION_TRUNK)
    response = client.post(_url(org_a, migration, "cutover-rollback-step"),
                           {"step": trunk.pk, "action": "done"}, follow=True)  # fmt: skip
    html = response.content.decode()
    assert "port_back_window_open" in html and "keep the old trunk" in html
    assert 'data-testid="countdown"' in html and "45 h" in html
    assert "Orders still open on this account" in html  # porting's own 30-day rule
    assert RollbackStep.objects.get(pk=trunk.pk).done_at is None


def test_a_step_of_another_migration_is_not_found(client, org_a, world_a, pm_a):
    other = f.MigrationFactory(customer=world_a["customer"], name="Other", owner=pm_a)
    step = add_step(other, title="Elsewhere", by=pm_a)
    login(client, pm_a)
    client.post(_url(org_a, world_a["migration"], "cutover-rollback-step"),
                {"step": step.pk, "action": "done"})  # fmt: skip
    assert RollbackStep.objects.get(pk=step.pk).done_at is None


def test_viewer_gets_403_on_post(client, org_a, world_a, viewer_a, pm_a):
    migration = world_a["migration"]
    step = add_step(migration, title="A", by=pm_a)
    login(client, viewer_a)
    html = client.get(_url(org_a, migration)).content.decode()
    assert "Mark done" not in html
    for name, data in (
        ("cutover-rollback-default", {}),
        ("cutover-rollback-add", {"title": "x"}),
        ("cutover-rollback-step", {"step": step.pk, "action": "done"}),
    ):
        assert client.post(_url(org_a, migration, name), data).status_code == 403
    assert RollbackStep.objects.count() == 1


def test_another_orgs_migration_is_404(client, org_b, world_a, pm_b):
    login(client, pm_b)
    assert client.get(_url(org_b, world_a["migration"])).status_code == 404


def test_page_queries_do_not_grow(client, org_a, world_a, pm_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    migration = world_a["migration"]
    default_rollback_plan(migration, by=pm_a)
    login(client, pm_a)
    url = _url(org_a, migration)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    from porting.services import create_port_order

    for i in range(4):
        account = f.CarrierAccountFactory(
            migration=migration, carrier_name=f"Carrier {i}", btn=f"+1214555020{i}",
            csr_numbers=[f"+1214555020{i}"],
        )  # fmt: skip
        number = f.PhoneNumberFactory(migration=migration, number=f"+1214555020{i}")
        order = create_port_order(account, [number], winning_carrier="Zoom", by=pm_a)
        _ported(order, timezone.now() - timedelta(hours=i))
        add_step(migration, title=f"Extra {i}", by=pm_a, owner=pm_a)
    default_rollback_plan(migration, by=pm_a)
    assert count() == small
