"""No lost update: each pair of conflicting writes on ONE port order (and on its go/no-go
decision and its cutover step) runs in two real PostgreSQL connections, many rounds.

Each write runs in its own thread (Django gives each thread its own connection). The
two start together, and each pauses at its first write (the services' `save_with_history`)
until the other has also reached its write, so that both have read before either writes
-- unless the other is waiting for a row lock (seen in pg_stat_activity) or finished:
then the services' locks already order the two, and the pause ends at once.

Every round must end with exactly one winner and the loser refused with a conflict
(409 class: a TransitionConflict, a rule's refusal or a ValidationError saying why, never
a 500), or with both applied in order; and no field silently reverted (the final row, its
last history row and the side records agree)."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from rest_framework.test import APIClient

import cutover.go.services as go_services
import cutover.steps.services as step_services
import porting.services as porting_services
import tenancy.services as tenancy_services
from cutover.go.selectors import latest_signoffs
from cutover.models import GoNoGoDecision, SignOff, Step
from cutover.steps.services import complete_step, generate_steps
from cutover.steps.timeline import ORDER_STEPS
from porting.models import FocChange, PortOrder
from porting.services import change_foc, create_port_order, transition_order
from tenancy import clock
from tenancy.roles import Role
from tenancy.rules import TransitionConflict, TransitionRefused

from . import factories as f
from .services import shared_database_url_or_unavailable

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 20
# The services whose writes pause (each looks `save_with_history` up in its own module).
WRITERS = (porting_services, tenancy_services, go_services, step_services)
PAUSE_LIMIT = 10  # seconds: a thread never waits longer for the other


class Race:
    """Two writes, each in its own thread and connection, both read before either writes
    (or the second waits for the first's lock)."""

    def __init__(self, pause_on, *, lead=0):
        self.pause_on = pause_on
        self.lead = lead  # when both read, this one writes first (rounds alternate it)
        self.start = threading.Barrier(2)
        self.arrived = [threading.Event(), threading.Event()]
        self.passed = [threading.Event(), threading.Event()]
        self.finished = [threading.Event(), threading.Event()]
        self.pids = [None, None]
        self.local = threading.local()
        self.interleaved = False

    def _waits_on_lock(self, other) -> bool:
        if self.pids[other] is None:
            return False
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL keeps the first statistics snapshot: drop it,
            # or a wait that began after the first look is never seen.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.pids[other]]
            )
            row = cursor.fetchone()
        return bool(row) and row[0] == "Lock"

    def _pause(self):
        me = getattr(self.local, "index", None)
        if me is None or getattr(self.local, "paused", False):
            return
        self.local.paused = True
        self.arrived[me].set()
        other = 1 - me
        deadline = time.monotonic() + PAUSE_LIMIT
        try:
            while time.monotonic() < deadline:
                if self.passed[other].is_set() or self.finished[other].is_set():
                    return  # the other wrote first: one after the other
                if self.arrived[other].is_set():
                    self.interleaved = True  # both read, neither wrote yet
                    if me != self.lead:
                        time.sleep(0.05)
                    return
                if self._waits_on_lock(other):
                    return  # the other waits for a row this one holds
                time.sleep(0.005)
            raise AssertionError("the other write neither arrived nor waited for a lock")
        finally:
            self.passed[me].set()

    def _pausing(self, original):
        def save_with_history(instance, **kwargs):
            if isinstance(instance, self.pause_on):
                self._pause()
            return original(instance, **kwargs)

        return save_with_history

    def _run(self, index, action, results):
        self.local.index = index
        try:
            connection.ensure_connection()
            self.pids[index] = connection.connection.info.backend_pid
            self.start.wait(timeout=PAUSE_LIMIT)
            results[index] = ("ok", action())
        except Exception as exc:  # the outcome is judged by the test
            results[index] = ("error", exc)
        finally:
            self.finished[index].set()
            connections.close_all()

    def run(self, first, second):
        results = [None, None]
        with ExitStack() as stack:
            for module in WRITERS:
                stack.enter_context(
                    mock.patch.object(
                        module, "save_with_history", self._pausing(module.save_with_history)
                    )
                )
            threads = [
                threading.Thread(target=self._run, args=(i, action, results))
                for i, action in enumerate((first, second))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(t.is_alive() for t in threads), "a write hung (deadlock?)"
        return results


def refused(result) -> bool:
    """A loser's answer: a conflict or a refusal that says why (never a crash)."""
    kind, value = result
    if kind == "ok":
        # An API answer: 409 is the conflict; anything else must be a success.
        return getattr(value, "status_code", None) == 409
    return isinstance(value, TransitionConflict | TransitionRefused | ValidationError)


def won(result) -> bool:
    kind, value = result
    if kind != "ok":
        return False
    status = getattr(value, "status_code", None)
    return status is None or 200 <= status < 300


def assert_settled(results, what):
    """Each write either won or was refused with a conflict; at least one won."""
    for result in results:
        assert won(result) or refused(result), (
            f"{what}: {result!r} is neither a success nor a conflict"
        )
    assert any(won(r) for r in results), f"{what}: nobody won: {results!r}"


def last_history(order):
    return order.history.order_by("-history_id").first()


# -- the world ---------------------------------------------------------------------------


@pytest.fixture
def world():
    shared_database_url_or_unavailable()  # PostgreSQL: two real connections and row locks
    org = f.OrganizationFactory(name="Race Integrators", slug="race")
    users = []
    for name in ("pm_one", "pm_two"):
        user = f.UserFactory(username=name)
        f.MembershipFactory(user=user, organization=org, role=Role.PROJECT_MANAGER)
        users.append(user)
    customer = f.CustomerFactory(organization=org, legal_name="Race Tax LLC")
    migration = f.MigrationFactory(customer=customer, name="Race phones", owner=users[0])
    site = f.SiteFactory(migration=migration, name="Dallas HQ", timezone="America/Chicago")
    number = f.PhoneNumberFactory(migration=migration, number="+12145550170", site=site)
    account = f.CarrierAccountFactory(
        migration=migration, btn=str(number.number), csr_numbers=[str(number.number)]
    )
    order = create_port_order(account, [number], winning_carrier="Zoom Phone", by=users[0])
    return {"org": org, "users": users, "migration": migration, "order": order}


FOC = clock.now().replace(microsecond=0) + timedelta(days=20)


def reset(order, *, foc_at=FOC):
    """The order back at "FOC received" (arranged directly: this is the test's setup)."""
    PortOrder.objects.filter(pk=order.pk).update(
        state=PortOrder.State.FOC_RECEIVED, foc_at=foc_at, foc_timezone="America/Chicago",
        winning_carrier="Zoom Phone", requested_date=None, state_changed_at=clock.now(),
    )  # fmt: skip
    return PortOrder.objects.get(pk=order.pk)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client  # a crash (a 500) is raised here, and reported with its exception


# -- the port order ------------------------------------------------------------------------


def test_transition_and_api_edit(world):
    """Cancel x PATCH of the order's facts: both apply, in order; neither reverts the other,
    and the PATCH never answers 500. Every round runs; the failures are listed together."""
    pm_one, pm_two = world["users"]
    url = f"/api/o/race/port-orders/{world['order'].pk}/"
    failures = []
    for round_ in range(ROUNDS):
        order = reset(world["order"])
        carrier = f"Teams Phone {round_}"
        cancel, patch = Race(pause_on=PortOrder, lead=round_ % 2).run(
            lambda order=order, round_=round_: transition_order(
                order, "cancel", by=pm_one, cancel_reason="customer stays", reason=f"r{round_}"
            ),
            lambda carrier=carrier: api(pm_two).patch(
                url, {"winning_carrier": carrier}, format="json"
            ),
        )
        final = PortOrder.objects.get(pk=order.pk)
        history = last_history(final)
        if not all(won(r) or refused(r) for r in (cancel, patch)):
            failures.append(f"round {round_}: a crash (500): {cancel!r}, {patch!r}")
        elif (final.state == PortOrder.State.CANCELLED) != won(cancel):
            failures.append(f"round {round_}: the cancel was reverted")
        elif (final.winning_carrier == carrier) != won(patch):
            failures.append(f"round {round_}: the PATCH answered {patch[1]!r}, then was reverted")
        elif (history.state, history.winning_carrier) != (final.state, final.winning_carrier):
            failures.append(f"round {round_}: the last history row differs from the order")
    assert not failures, "\n".join(failures)


def test_transition_and_foc_change(world):
    """Cancel x FOC change: either the FOC moved and then the order was cancelled, or the
    cancel won and the FOC change is refused; the recorded FOC change always matches the
    order's FOC (never a new date in FocChange and the old one on the order)."""
    pm_one, pm_two = world["users"]
    for round_ in range(ROUNDS):
        order = reset(world["order"])
        new_foc = FOC + timedelta(days=round_ + 1)
        changes_before = FocChange.objects.filter(port_order=order).count()
        cancel, move = Race(pause_on=PortOrder, lead=round_ % 2).run(
            lambda order=order: transition_order(
                order, "cancel", by=pm_one, cancel_reason="customer stays"
            ),
            lambda order=order, new_foc=new_foc: change_foc(
                order, new_foc_at=new_foc, reason="carrier moved it", by=pm_two
            ),
        )
        assert_settled([cancel, move], f"round {round_}")
        assert won(cancel), (round_, cancel)  # a cancel is possible either way
        final = PortOrder.objects.get(pk=order.pk)
        changes = FocChange.objects.filter(port_order=order).order_by("-pk")
        if won(move):
            assert changes.count() == changes_before + 1
            assert changes[0].new_foc_at == final.foc_at == new_foc, (round_, final.foc_at)
        else:
            assert changes.count() == changes_before
            assert final.foc_at == FOC
        history = last_history(final)
        assert (history.state, history.foc_at) == (PortOrder.State.CANCELLED, final.foc_at)


def test_two_transitions(world):
    """Cancel x reject from "FOC received": exactly one wins, the other is refused."""
    pm_one, pm_two = world["users"]
    for round_ in range(ROUNDS):
        order = reset(world["order"])
        cancel, reject = Race(pause_on=PortOrder, lead=round_ % 2).run(
            lambda order=order: transition_order(
                order,
                "cancel",
                by=pm_one,
                cancel_reason="customer stays",
                expected_state=PortOrder.State.FOC_RECEIVED,
            ),
            lambda order=order: transition_order(
                order,
                "reject",
                by=pm_two,
                code="PIN_REQUIRED",
                carrier_text="PIN missing",
                expected_state=PortOrder.State.FOC_RECEIVED,
            ),
        )
        assert_settled([cancel, reject], f"round {round_}")
        assert won(cancel) != won(reject), (round_, cancel, reject)
        final = PortOrder.objects.get(pk=order.pk)
        expected = PortOrder.State.CANCELLED if won(cancel) else PortOrder.State.REJECTED
        assert final.state == expected == last_history(final).state


# -- the go/no-go decision -------------------------------------------------------------------


def test_two_go_decisions(world):
    """Two decisions at once: both recorded, in the order they were decided."""
    pm_one, pm_two = world["users"]
    migration = world["migration"]
    for round_ in range(ROUNDS):
        first, second = Race(pause_on=GoNoGoDecision, lead=round_ % 2).run(
            lambda r=round_: go_services.decide(
                migration, decision="no_go", by=pm_one, reason=f"a{r}"
            ),
            lambda r=round_: go_services.decide(
                migration, decision="no_go", by=pm_two, reason=f"b{r}"
            ),
        )
        assert won(first) and won(second), (round_, first, second)
        decisions = list(GoNoGoDecision.objects.filter(migration=migration).order_by("pk"))
        assert [d.decided_at for d in decisions] == sorted(d.decided_at for d in decisions), round_


def test_go_decision_and_sign_off(world):
    """A decision x a sign-off of one of its items: the decision's snapshot shows the
    item as the sign-offs decided before it left it, never a mix."""
    pm_one, pm_two = world["users"]
    migration = world["migration"]
    item = SignOff.Item.QOS_FIREWALL
    for round_ in range(ROUNDS):
        confirmed = round_ % 2 == 0  # signed off, then withdrawn, then signed off again...
        decision, signoff = Race(pause_on=(GoNoGoDecision, SignOff), lead=round_ % 2).run(
            lambda r=round_: go_services.decide(
                migration, decision="no_go", by=pm_one, reason=f"r{r}"
            ),
            lambda confirmed=confirmed: go_services.sign_off(
                migration, item=item, by=pm_two, note="rules checked", confirmed=confirmed
            ),
        )
        assert won(decision) and won(signoff), (round_, decision, signoff)
        row, signed = decision[1], signoff[1]
        assert row.decided_at != signed.signed_at
        shown = next(i["ok"] for i in row.snapshot if i["code"] == item)
        if signed.signed_at < row.decided_at:
            assert shown == confirmed, f"round {round_}: the decision missed an earlier sign-off"
        else:
            assert shown != confirmed, f"round {round_}: the decision saw a later sign-off"
        assert latest_signoffs(migration)[item].pk == signed.pk


# -- the cutover step --------------------------------------------------------------------------


@pytest.fixture
def step(world):
    """The order's first dated step, generated from its FOC."""
    order = reset(world["order"])
    generate_steps(order, by=world["users"][0])
    return Step.objects.get(port_order=order, code=ORDER_STEPS[0].code)


def reset_step(step, order):
    Step.objects.filter(pk=step.pk).update(
        status=Step.Status.PENDING, done_at=None, done_by=None, evidence="", skip_reason=""
    )
    generate_steps(order)  # due again from the order's FOC


def test_two_step_completions(world, step):
    pm_one, pm_two = world["users"]
    order = world["order"]
    for round_ in range(ROUNDS):
        reset_step(step, reset(order))
        first, second = Race(pause_on=Step, lead=round_ % 2).run(
            lambda r=round_: complete_step(step, by=pm_one, evidence=f"one {r}"),
            lambda r=round_: complete_step(step, by=pm_two, evidence=f"two {r}"),
        )
        assert_settled([first, second], f"round {round_}")
        assert won(first) != won(second), (round_, first, second)
        winner = pm_one if won(first) else pm_two
        final = Step.objects.get(pk=step.pk)
        assert (final.status, final.done_by_id) == (Step.Status.DONE, winner.pk)
        assert final.history.order_by("-history_id").first().done_by_id == winner.pk


def test_step_completion_and_reschedule(world, step):
    """Complete x the FOC moving (which reschedules the open steps): the step ends done,
    with its evidence, and the order keeps the new FOC; a done step is never moved back
    to pending by a stale copy."""
    pm_one, pm_two = world["users"]
    for round_ in range(ROUNDS):
        order = reset(world["order"])
        reset_step(step, order)
        new_foc = FOC + timedelta(days=round_ + 1)
        done, move = Race(pause_on=Step, lead=round_ % 2).run(
            lambda r=round_: complete_step(step, by=pm_one, evidence=f"ticket {r}"),
            lambda order=order, new_foc=new_foc: change_foc(
                order, new_foc_at=new_foc, reason="carrier moved it", by=pm_two
            ),
        )
        assert won(done) and won(move), (round_, done, move)
        final = Step.objects.get(pk=step.pk)
        assert final.status == Step.Status.DONE, f"round {round_}: the completion was reverted"
        assert (final.done_by_id, final.evidence) == (pm_one.pk, f"ticket {round_}")
        history = final.history.order_by("-history_id").first()
        assert (history.status, history.due_at) == (final.status, final.due_at)
        assert PortOrder.objects.get(pk=order.pk).foc_at == new_foc
