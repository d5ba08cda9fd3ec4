"""The rollback plan per migration (never disconnect the old service before the port
completes; docs/cutover-go-and-rollback.md, docs/domain-rules.md): ordered steps with
owners; decommissioning an order's old PSTN trunk waits until 48 hours after its port (the
port-back window), and cancelling the old carrier account until 30 days after the
account's last port (`porting.services.old_service_cancel_refusal`, recorded through
`record_old_service_cancelled` so the account and the step agree)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from cutover.models import RollbackStep
from cutover.rollback.selectors import done_refusal
from porting.models import PortOrder
from porting.services import record_old_service_cancelled
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import OWNER_PM, require_role

Kind = RollbackStep.Kind


# The general steps of a default plan, in order.
DEFAULT_STEPS = (
    "Keep the old PSTN trunk live and its routing unchanged until 48 hours after each port",
    "Verify access to the consoles: the old PBX or carrier portal and the new platform's "
    "admin (log in with the credentials on file)",
    "Keep the old phones racked, powered and configured until every port completes",
    "If calls fail: re-point the numbers to the old trunk, or request an emergency port-back "
    "from the losing carrier within 48 hours of the port",
    "Forward each ported number to the old system for 24 hours after the snap",
    "Tell the customer and the support desk: what rolled back, and the new date",
)


def _require(migration, by, action):
    require_role(migration.organization_id, by, OWNER_PM, action)


def _next_position(migration) -> int:
    top = RollbackStep.objects.filter(migration=migration).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


@transaction.atomic
def add_step(migration, *, title, by, owner=None, kind=Kind.GENERAL, port_order=None,
             carrier_account=None, note="") -> RollbackStep:  # fmt: skip
    _require(migration, by, "Editing the rollback plan")
    title = (title or "").strip()
    if not title:
        raise ValidationError("A rollback step needs a title.")
    if kind == Kind.DECOMMISSION_TRUNK and port_order is None:
        raise ValidationError("Decommissioning a trunk names its port order.")
    if kind == Kind.CANCEL_ACCOUNT and carrier_account is None:
        raise ValidationError("Cancelling an account names the carrier account.")
    for parent in (port_order, carrier_account):
        if parent is not None and parent.migration_id != migration.pk:
            raise ValidationError(f"{parent} is not part of this migration.")
    step = RollbackStep(
        migration=migration, position=_next_position(migration), title=title[:200], kind=kind,
        port_order=port_order, carrier_account=carrier_account, owner=owner, note=note,
    )  # fmt: skip
    step.full_clean()
    return save_with_history(step, by=by, reason="rollback step added")


@transaction.atomic
def default_rollback_plan(migration, *, by) -> list[RollbackStep]:
    """The general steps (when the plan is empty), then one "decommission the old trunk"
    step per port order and one "cancel the old account" step per carrier account that
    does not have one yet. Owner: the migration's owner. Returns the steps added."""
    _require(migration, by, "Editing the rollback plan")
    owner = migration.owner
    existing = list(RollbackStep.objects.filter(migration=migration))
    added = []
    if not existing:
        for title in DEFAULT_STEPS:
            added.append(add_step(migration, title=title, by=by, owner=owner))
    have_orders = {s.port_order_id for s in existing if s.kind == Kind.DECOMMISSION_TRUNK}
    have_accounts = {s.carrier_account_id for s in existing if s.kind == Kind.CANCEL_ACCOUNT}
    orders = (
        PortOrder.objects.filter(migration=migration)
        .exclude(state=PortOrder.State.CANCELLED)
        .select_related("carrier_account")
        .order_by("pk")
    )
    accounts = {}
    for order in orders:
        accounts.setdefault(order.carrier_account_id, order.carrier_account)
        if order.pk not in have_orders:
            added.append(add_step(
                migration, by=by, owner=owner, kind=Kind.DECOMMISSION_TRUNK, port_order=order,
                title=f"Decommission the old PSTN trunk of order #{order.pk} "
                      f"({order.carrier_account.carrier_name}), 48 hours after its port",
            ))  # fmt: skip
    for account_id, account in accounts.items():
        if account_id not in have_accounts:
            added.append(add_step(
                migration, by=by, owner=owner, kind=Kind.CANCEL_ACCOUNT, carrier_account=account,
                title=f"Cancel the old {account.carrier_name} account {account.account_number}, "
                      "30 days after its last port",
            ))  # fmt: skip
    return added


@transaction.atomic
def move_step(step, *, direction, by) -> RollbackStep:
    """Swap the step with its neighbour ("up" or "down")."""
    _require(step.migration, by, "Editing the rollback plan")
    steps = list(
        RollbackStep.objects.select_for_update()
        .filter(migration_id=step.migration_id)
        .order_by("position", "pk")
    )
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down"):
        raise ValidationError("Move a step up or down.")
    if not 0 <= other < len(steps):
        return steps[index]
    steps[index], steps[other] = steps[other], steps[index]
    for position, row in enumerate(steps, start=1):
        if row.position != position:
            row.position = position
            save_with_history(row, by=by, reason="rollback plan reordered")
    return next(s for s in steps if s.pk == step.pk)


@transaction.atomic
def set_owner(step, *, owner, by) -> RollbackStep:
    _require(step.migration, by, "Editing the rollback plan")
    # Locked: marking it done at the same moment is kept, not reverted by this save.
    step = RollbackStep.objects.select_for_update().get(pk=step.pk)
    step.owner = owner
    return save_with_history(step, by=by, reason="rollback step owner set", update_fields=["owner"])


@transaction.atomic
def mark_done(step, *, by, note="", now=None) -> RollbackStep:
    """Mark a step done, or raise TransitionRefused naming the rule (a trunk before the
    port-back window closes; an account before 30 days after its last port)."""
    _require(step.migration, by, "Completing a rollback step")
    # The row only: PostgreSQL cannot lock the nullable side of an outer join.
    step = RollbackStep.objects.select_for_update().get(pk=step.pk)
    now = now or clock.now()
    refused = done_refusal(step, now=now)
    if refused:
        raise refused
    if step.kind == Kind.CANCEL_ACCOUNT and step.carrier_account.old_service_cancelled_at is None:
        record_old_service_cancelled(
            step.carrier_account, by=by, now=now,
            reason=f"rollback plan step {step.position}: {note}".strip().rstrip(":"),
        )  # fmt: skip
    step.done_at = now
    step.done_by = by
    if note:
        step.note = note[:500]
    return save_with_history(step, by=by, reason="rollback step done")
