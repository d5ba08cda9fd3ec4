"""Reads of the rollback plan: why a step cannot be marked done yet, and each order's
port-back window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from porting.models import PORT_BACK_WINDOW, PortOrder
from porting.services import old_service_cancel_refusal
from tenancy import clock
from tenancy.rules import TransitionRefused

from ..models import RollbackStep


class _LoadedOrders:
    """An account's port orders already loaded, answering the one query
    `old_service_cancel_refusal` makes (`account.port_orders.exclude(state=...)`), so the
    page judges every account's step with porting's own rule in a fixed number of queries."""

    def __init__(self, orders):
        self._orders = list(orders)

    def exclude(self, *, state):
        return [o for o in self._orders if o.state != state]


class _AccountView:
    def __init__(self, account, orders):
        self.pk = account.pk
        self.port_orders = _LoadedOrders(orders)


def done_refusals(steps, migration, *, now=None) -> dict:
    """Step pk -> its refusal (or None), for a page: the migration's orders in one query."""
    now = now or clock.now()
    by_account = {}
    for order in PortOrder.objects.filter(migration=migration):
        by_account.setdefault(order.carrier_account_id, []).append(order)
    return {
        step.pk: done_refusal(
            step, now=now, account_orders=by_account.get(step.carrier_account_id, [])
        )
        for step in steps
    }


def done_refusal(step, *, now=None, account_orders=None) -> TransitionRefused | None:
    """Why the step cannot be marked done now (None when it can). `account_orders`: the
    carrier account's port orders, already loaded (pages); otherwise they are queried."""
    now = now or clock.now()
    if step.done_at:
        return TransitionRefused("already_done", "This step is already done.")
    if step.kind == RollbackStep.Kind.DECOMMISSION_TRUNK:
        order = step.port_order
        if order is None or not order.ported_at:
            return TransitionRefused(
                "not_ported",
                f"Order #{step.port_order_id} has not ported yet: the old trunk carries its "
                "calls. Decommission it 48 hours after the port.",
            )
        closes = order.ported_at + PORT_BACK_WINDOW
        if now < closes:
            left = _hours_minutes(closes - now)
            return TransitionRefused(
                "port_back_window_open",
                f"The 48-hour port-back window of order #{order.pk} is open until "
                f"{closes:%Y-%m-%d %H:%M} UTC ({left} left): keep the old trunk until then.",
            )
    if step.kind == RollbackStep.Kind.CANCEL_ACCOUNT:
        if step.carrier_account is None:
            return TransitionRefused("no_account", "The step names no carrier account.")
        account = step.carrier_account
        if account_orders is not None:
            account = _AccountView(account, account_orders)
        return old_service_cancel_refusal(account, now=now)
    return None


def _hours_minutes(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass
class PortBackWindow:
    order: object
    ported_at: object
    closes_at: object
    remaining: timedelta | None

    @property
    def open(self) -> bool:
        return self.remaining is not None and self.remaining > timedelta(0)

    @property
    def hours(self) -> int:
        return int(self.remaining.total_seconds() // 3600) if self.open else 0

    @property
    def minutes(self) -> int:
        return int(self.remaining.total_seconds() // 60) % 60 if self.open else 0

    @property
    def label(self) -> str:
        if self.ported_at is None:
            return "Not ported yet"
        if self.open:
            return f"{self.hours} h {self.minutes:02d} min remaining"
        return f"Closed at {self.closes_at:%Y-%m-%d %H:%M} UTC"


def port_back_windows(migration, *, now=None) -> list[PortBackWindow]:
    """Per port order (not cancelled): the 48-hour port-back window after its port."""
    now = now or clock.now()
    rows = []
    for order in (
        PortOrder.objects.filter(migration=migration)
        .exclude(state=PortOrder.State.CANCELLED)
        .select_related("carrier_account")
        .order_by("pk")
    ):
        if order.ported_at:
            closes = order.ported_at + PORT_BACK_WINDOW
            rows.append(PortBackWindow(order, order.ported_at, closes, closes - now))
        else:
            rows.append(PortBackWindow(order, None, None, None))
    return rows
