"""Writes of go / no-go: sign-offs of the manual items, and the decision, recorded with a
snapshot of the items; a "go" over a failing item or a missing sign-off is refused unless
an owner gives an override reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from customers.models import Migration
from cutover.go.selectors import DEFERRABLE, go_no_go, snapshot
from cutover.models import GoNoGoDecision, SignOff
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.models import Membership
from tenancy.roles import OWNER_PM, Role, require_role
from tenancy.rules import TransitionRefused
from webhooks.events import EventType
from webhooks.services import emit


def _lock_migration(migration):
    """Sign-offs and decisions of one migration run one at a time: a decision records the
    items as they stand once the sign-offs before it committed, never a mix (the
    migration's row is the lock; docs/architecture.md, "Where logic lives")."""
    Migration.objects.select_for_update().filter(pk=migration.pk).first()


def _role(migration, user):
    membership = Membership.objects.filter(
        user=user, organization_id=migration.organization_id
    ).first()
    return membership.role if membership else None


@transaction.atomic
def sign_off(migration, *, item, by, note="", deferred=False, confirmed=True) -> SignOff:
    """Sign off (or explicitly defer, or withdraw with confirmed=False) one manual item.
    Owners and project managers only."""
    require_role(migration.organization_id, by, OWNER_PM, "Signing off a go/no-go item")
    if item not in SignOff.Item.values:
        raise ValidationError(f"Unknown go/no-go item {item!r}.")
    note = (note or "").strip()
    if deferred and item not in DEFERRABLE:
        raise ValidationError(
            f"“{SignOff.Item(item).label}” cannot be deferred: it is signed off or the date moves."
        )
    if deferred and not note:
        raise ValidationError("Say what is deferred and until when.")
    _lock_migration(migration)
    row = SignOff(
        migration=migration, item=item, confirmed=bool(confirmed and not deferred),
        deferred=bool(deferred), note=note, signed_by=by, signed_at=clock.now(),
    )  # fmt: skip
    row.full_clean()
    verb = "deferred" if deferred else ("signed off" if confirmed else "withdrawn")
    return save_with_history(row, by=by, reason=f"go/no-go {item} {verb}")


@transaction.atomic
def decide(migration, *, decision, by, reason, override_reason="") -> GoNoGoDecision:
    """Record go or no-go with the items as they stand. A "go" while an item fails is
    refused (rule go_blocked, naming them) unless an owner gives an override reason."""
    require_role(migration.organization_id, by, OWNER_PM, "Deciding go/no-go")
    if decision not in GoNoGoDecision.Decision.values:
        raise ValidationError(f"Unknown decision {decision!r}: go or no_go.")
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    if not reason:
        raise ValidationError("Say why (the decision is recorded with its reason).")
    if override_reason and _role(migration, by) != Role.OWNER:
        raise TransitionRefused("override_owner_only", "Only an owner can override go/no-go.")
    _lock_migration(migration)
    result = go_no_go(migration)
    failing = result.failing
    if decision == GoNoGoDecision.Decision.GO and failing and not override_reason:
        raise TransitionRefused(
            "go_blocked",
            f"Go refused: {len(failing)} item(s) not ready: "
            + "; ".join(i.title for i in failing)
            + ". Move the date or narrow the scope, or an owner overrides with a reason.",
        )
    if decision != GoNoGoDecision.Decision.GO or not failing:
        override_reason = ""  # nothing was overridden
    row = GoNoGoDecision(
        migration=migration, decision=decision, reason=reason, override_reason=override_reason,
        snapshot=snapshot(result), decided_by=by, decided_at=clock.now(),
    )  # fmt: skip
    row.full_clean()
    why = f"{row.get_decision_display()}: {reason}"
    if override_reason:
        why += f" (owner override: {override_reason})"
    save_with_history(row, by=by, reason=why[:200])
    emit(migration.organization_id, EventType.GO_DECIDED, lambda: {
        "migration": str(migration.uuid), "decision": row.decision, "reason": row.reason,
        "override_reason": row.override_reason, "decided_at": row.decided_at.isoformat(),
        "decided_by": by.get_username() if by else None,
        "failing": [item["code"] for item in row.snapshot if not item.get("ok")],
    })  # fmt: skip
    return row
