"""Writes of the cutover plan: the plan itself, its waves, and the 24-hour forwarding
of each ported number to the old system. Roles are checked here (browser, API and CLI
agree); every change writes a history row with the actor and the reason. The rules
(cutover.plan.selectors.plan_warnings) warn; they never refuse."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from cutover.models import CutoverPlan, Forwarding, Wave
from cutover.steps.services import anchor_orders, generate_steps
from porting.numbers import e164, parse_nanp
from tenancy.history import save_with_history
from tenancy.roles import DEFAULT_WRITE_ROLES, require_role

PLAN_FIELDS = ("model", "per_day_cap", "has_sbc", "business_hours_start",
               "business_hours_end", "notes")  # fmt: skip


FORWARDING_HOURS = 24


@transaction.atomic
def save_plan(migration, *, by, reason="", **fields) -> CutoverPlan:
    """Create the migration's plan or update it with `fields` (any of PLAN_FIELDS)."""
    require_role(migration.organization_id, by, DEFAULT_WRITE_ROLES, "Changing the cutover plan")
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Not plan fields: {', '.join(sorted(unknown))}.")
    plan = CutoverPlan.objects.select_for_update().filter(migration=migration).first()
    created = plan is None
    if created:
        plan = CutoverPlan.new_for(migration)
    hours_before = (plan.business_hours_start, plan.business_hours_end)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean(validate_unique=False)
    if plan.business_hours_end <= plan.business_hours_start:
        raise ValidationError({"business_hours_end": "Business hours must end after they start."})
    if plan.per_day_cap < 1:
        raise ValidationError({"per_day_cap": "At least one number a day."})
    default = "Cutover plan created" if created else "Cutover plan changed"
    plan = save_with_history(plan, by=by, reason=reason or default)
    if not created and (plan.business_hours_start, plan.business_hours_end) != hours_before:
        # People steps keep to the new hours (done and skipped steps stay as they were).
        for order in anchor_orders(migration):
            generate_steps(order, by=by)
    return plan


def _foreign(objects, migration_id) -> list:
    return [o for o in objects if o.migration_id != migration_id]


@transaction.atomic
def add_wave(plan, *, by, name, window_start, window_end, site=None, numbers=(), endpoints=(),
             port_orders=(), reason="") -> Wave:  # fmt: skip
    """A batch that cuts over together in one window. Its site, numbers, endpoints and
    port orders must belong to the plan's migration."""
    require_role(plan.organization_id, by, DEFAULT_WRITE_ROLES, "Adding a wave")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Name the wave (e.g. “Back office”)."
    if window_start is None or window_end is None:
        errors["window_end"] = "The window needs a start and an end."
    elif window_end <= window_start:
        errors["window_end"] = "The window must end after it starts."
    migration_id = plan.migration_id
    if site is not None and site.migration_id != migration_id:
        errors["site"] = "The site is not in this migration."
    numbers, endpoints, port_orders = list(numbers), list(endpoints), list(port_orders)
    for field_name, objs in (("numbers", numbers), ("endpoints", endpoints),
                             ("port_orders", port_orders)):  # fmt: skip
        if _foreign(objs, migration_id):
            errors[field_name] = "Some are not in this migration."
    if errors:
        raise ValidationError(errors)
    wave = Wave(plan=plan, name=name[:100], window_start=window_start, window_end=window_end,
                site=site)  # fmt: skip
    wave.full_clean()
    save_with_history(wave, by=by, reason=reason or "Wave added")
    wave.numbers.set(numbers)
    wave.endpoints.set(endpoints)
    wave.port_orders.set(port_orders)
    return wave


@transaction.atomic
def record_forwarding(number, *, by, forward_to, starts_at, reason="") -> Forwarding:
    """After the port snaps, `number` forwards to the old system (`forward_to`) for 24
    hours: ends_at = starts_at + 24 h, so a misrouted call still reaches a human."""
    require_role(number.organization_id, by, DEFAULT_WRITE_ROLES, "Recording forwarding")
    if starts_at is None:
        raise ValidationError({"starts_at": "When does the forwarding start?"})
    try:
        target = e164(parse_nanp(forward_to))
    except ValidationError as exc:
        raise ValidationError({"forward_to": exc.messages}) from None
    if target == str(number.number):
        raise ValidationError({"forward_to": "A number cannot forward to itself."})
    forwarding = Forwarding(
        number=number, forward_to=target, starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=FORWARDING_HOURS), recorded_by=by,
    )  # fmt: skip
    forwarding.full_clean()
    return save_with_history(forwarding, by=by, reason=reason or "24-hour forwarding recorded")
