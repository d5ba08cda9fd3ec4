"""Dated cutover steps: generated from each port order's FOC (docs/cutover-steps.md).

Steps live in the database with their `due_at`; `cutover.tasks.run_due_steps` (Celery
beat, every minute) marks them due and escalates them. Nothing days ahead goes into the
broker.

Three kinds of step:
- per port order: FOC -7 days … FOC +48 hours (keyed by order and code);
- per site: the 933 test call at +60 minutes from the earliest FOC of the orders that
  port the site's numbers (keyed by site, no order);
- per carrier account: cancel the old account 30 days after the FOC of the account's
  last order (attached to that order; it follows whichever order is last).

Generation is idempotent: it creates what is missing and moves what is still open
(pending, due, overdue; a cancelled step comes back) when the FOC moved. Done and
skipped steps are never touched."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from cutover.models import CutoverPlan, Step
from cutover.steps.selectors import order_zone
from cutover.steps.timeline import (
    ACCOUNT_STEP,
    FINISHED,
    MOVABLE,
    OPEN,
    ORDER_STEPS,
    SITE_STEP,
    moment,
    plan_hours,
    zone_named,
)
from porting.models import PortOrder
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import DEFAULT_WRITE_ROLES, require_role


def ensure_plan(migration, *, by=None) -> CutoverPlan:
    """The migration's cutover plan, created (with defaults) when it has none."""
    plan = CutoverPlan.objects.filter(migration=migration).first()
    if plan is None:
        plan = save_with_history(
            CutoverPlan.new_for(migration), by=by, reason="cutover plan created for its steps"
        )
    return plan


def _locked_plan(migration, *, by):
    """The plan, row-locked: step generation for one migration runs one at a time, so
    two FOC changes at once cannot create a site's or an account's step twice (those
    keys contain NULLs, which a unique constraint does not compare)."""
    plan = ensure_plan(migration, by=by)
    return CutoverPlan.objects.select_for_update().get(pk=plan.pk)


def _order_sites(order) -> list:
    """Sites of the order's numbers; else the migration's first site; else none."""
    sites = {n.site_id: n.site for n in order.numbers.select_related("site") if n.site_id}
    if sites:
        return [sites[k] for k in sorted(sites)]
    first = order.migration.sites.order_by("pk").first()
    return [first] if first else []


def anchor_orders(migration):
    """Orders whose FOC anchors steps: every order with an FOC that is not cancelled."""

    return list(
        PortOrder.objects.filter(migration=migration, foc_at__isnull=False)
        .exclude(state=PortOrder.State.CANCELLED)
        .select_related("migration", "carrier_account")
        .order_by("pk")
    )


def _place(step, due_at, *, by, reason, **changes):
    """Move an open (or cancelled) step to `due_at`: pending again, to be notified anew."""
    fields = {"due_at": due_at, **changes}
    if all(getattr(step, k) == v for k, v in fields.items()) and step.status in OPEN:
        return False
    for name, value in fields.items():
        setattr(step, name, value)
    if step.status == Step.Status.CANCELLED or step.due_at != step._loaded_due_at:
        step.status = Step.Status.PENDING
        step.notified_due_at = None
        step.escalated_at = None
    save_with_history(step, by=by, reason=reason)
    return True


def _remember(steps):
    """Lock the steps (in primary-key order, after the plan) and note their due time: a
    step completed or skipped meanwhile is seen as such, and a move never saves a stale
    copy over it (complete_step locks the same row)."""
    steps = list(steps.select_for_update(of=("self",)).order_by("pk"))
    for step in steps:
        step._loaded_due_at = step.due_at
    return steps


def _new_step(plan, spec, due_at, *, by, reason, port_order=None, site=None, title=None):
    step = Step(
        plan=plan, port_order=port_order, site=site, code=spec.code,
        title=title or spec.title, offset_minutes=spec.offset_minutes, due_at=due_at,
        owner=plan.migration.owner,
    )  # fmt: skip
    return save_with_history(step, by=by, reason=reason)


@transaction.atomic
def generate_steps(order, *, by=None) -> list[Step]:
    """Create the order's missing steps, move its open ones to its current FOC, and bring
    the site (933) and carrier-account steps that depend on it up to date. Returns the
    order's own steps. Without an FOC, or for a cancelled order, nothing is scheduled."""

    if not order.foc_at or order.state == PortOrder.State.CANCELLED:
        return []
    plan = _locked_plan(order.migration, by=by)
    foc = order.foc_at
    zone = order_zone(order)
    reason = f"port order #{order.pk}: FOC {foc:%Y-%m-%d %H:%M} UTC"
    existing = {
        s.code: s
        for s in _remember(Step.objects.filter(plan=plan, port_order=order, site__isnull=True))
    }
    for spec in ORDER_STEPS:
        due_at = moment(spec, foc, zone, plan_hours(plan))
        step = existing.get(spec.code)
        if step is None:
            existing[spec.code] = _new_step(plan, spec, due_at, by=by, reason=reason,
                                            port_order=order)  # fmt: skip
        elif step.status in MOVABLE:
            _place(step, due_at, by=by, reason=f"moved: {reason}")
    _sync_site_steps(plan, by=by, reason=reason)
    _sync_account_step(plan, order.carrier_account, by=by, reason=reason)
    return [existing[spec.code] for spec in ORDER_STEPS]


@transaction.atomic
def cancel_steps(order, *, by=None) -> int:
    """The order was cancelled: its open steps are cancelled (done and skipped ones stay
    as they were); the 933 and account steps follow the orders that remain."""
    plan = CutoverPlan.objects.filter(migration_id=order.migration_id).first()
    if plan is None:
        return 0
    plan = _locked_plan(order.migration, by=by)
    reason = f"port order #{order.pk} cancelled"
    count = 0
    for step in _remember(
        Step.objects.filter(plan=plan, port_order=order, status__in=OPEN).exclude(
            code=ACCOUNT_STEP.code
        )
    ):
        step.status = Step.Status.CANCELLED
        save_with_history(step, by=by, reason=reason)
        count += 1
    _sync_site_steps(plan, by=by, reason=reason)
    _sync_account_step(plan, order.carrier_account, by=by, reason=reason)
    return count


def _sync_site_steps(plan, *, by, reason):
    """One 933 step per site whose numbers port, at +60 min from the earliest FOC."""
    earliest = {}
    sites = {}
    for order in anchor_orders(plan.migration):
        for site in _order_sites(order):
            sites[site.pk] = site
            if site.pk not in earliest or order.foc_at < earliest[site.pk]:
                earliest[site.pk] = order.foc_at
    existing = {
        s.site_id: s
        for s in _remember(
            Step.objects.filter(plan=plan, port_order__isnull=True, code=SITE_STEP.code)
        )
    }
    for site_pk, foc in earliest.items():
        step = existing.get(site_pk)
        title = f"933 test call at {sites[site_pk].name}"
        due_at = moment(SITE_STEP, foc, zone_named(sites[site_pk].timezone))
        if step is None:
            _new_step(plan, SITE_STEP, due_at, by=by, reason=reason,
                      site=sites[site_pk], title=title)  # fmt: skip
        elif step.status in MOVABLE:
            _place(step, due_at, by=by, reason=f"moved: {reason}")
    for site_pk, step in existing.items():
        if site_pk not in earliest and step.status in OPEN:
            step.status = Step.Status.CANCELLED
            save_with_history(step, by=by, reason=f"no port left at this site: {reason}")


def _sync_account_step(plan, account, *, by, reason):
    """Cancel the old carrier account 30 days after its last order's FOC; the step hangs
    on that order and moves to whichever order of the account is last."""
    orders = [o for o in anchor_orders(plan.migration) if o.carrier_account_id == account.pk]
    steps = _remember(
        Step.objects.filter(plan=plan, code=ACCOUNT_STEP.code, port_order__carrier_account=account)
    )
    if any(s.status in FINISHED for s in steps):
        return
    step = steps[0] if steps else None
    if not orders:
        if step is not None and step.status in OPEN:
            step.status = Step.Status.CANCELLED
            save_with_history(step, by=by, reason=f"no port left on the account: {reason}")
        return
    last = max(orders, key=lambda o: (o.foc_at, o.pk))
    due_at = moment(ACCOUNT_STEP, last.foc_at, order_zone(last), plan_hours(plan))
    title = f"Cancel the old carrier account ({account.carrier_name} {account.account_number})"
    if step is None:
        _new_step(plan, ACCOUNT_STEP, due_at, by=by, reason=reason, port_order=last,
                  title=title)  # fmt: skip
    else:
        _place(step, due_at, by=by, reason=f"moved: {reason}", port_order=last)


def _require_writer(step, by, action):

    roles = getattr(Step, "write_roles", DEFAULT_WRITE_ROLES)
    require_role(step.organization_id, by, roles, action)


@transaction.atomic
def complete_step(step: Step, *, by, evidence: str = "") -> Step:
    """Mark a step done, with what shows it (call log, ticket, test result)."""
    _require_writer(step, by, "Completing a cutover step")
    locked = Step.objects.select_for_update().get(pk=step.pk)
    if locked.status in (*FINISHED, Step.Status.CANCELLED):
        raise ValidationError(f"This step is already {locked.get_status_display().lower()}.")
    locked.status = Step.Status.DONE
    locked.done_at = clock.now()
    locked.done_by = by
    locked.evidence = evidence.strip()
    return save_with_history(locked, by=by, reason="step done")


@transaction.atomic
def skip_step(step: Step, *, by, reason: str) -> Step:
    """Skip a step; the reason is required and kept."""
    _require_writer(step, by, "Skipping a cutover step")
    if not (reason or "").strip():
        raise ValidationError("Say why the step is skipped.")
    locked = Step.objects.select_for_update().get(pk=step.pk)
    if locked.status in (*FINISHED, Step.Status.CANCELLED):
        raise ValidationError(f"This step is already {locked.get_status_display().lower()}.")
    locked.status = Step.Status.SKIPPED
    locked.skip_reason = reason.strip()[:300]
    locked.done_at = clock.now()
    locked.done_by = by
    return save_with_history(locked, by=by, reason=f"step skipped: {reason.strip()}")
