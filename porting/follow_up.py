"""The daily follow-up: which open orders need chasing today (a port stuck in pending
gets a daily follow-up; docs/domain-rules.md). Pure reads; the task records and emails
them."""

from dataclasses import dataclass
from datetime import date

from .models import FollowUp, PortOrder
from .planner import FOC_INTERVALS, add_business_days, business_days_between
from .zones import local_date, order_zones

NEAR_DATE_BUSINESS_DAYS = 3
UNCONFIRMED = (PortOrder.State.LOA_PENDING, PortOrder.State.LOA_SUBMITTED, PortOrder.State.REJECTED)


@dataclass(frozen=True)
class Flag:
    order: PortOrder
    kind: str
    message: str


def flags_for(orders, *, today: date) -> list[Flag]:
    """Flags for the given orders (select_related migration and carrier_account)."""
    flags = []
    orders = list(orders)
    zones = order_zones(orders)
    horizon = add_business_days(today, NEAR_DATE_BUSINESS_DAYS)
    for order in orders:
        account = order.carrier_account
        if order.state == PortOrder.State.LOA_SUBMITTED and order.loa_submitted_at:
            submitted_on = local_date(order.loa_submitted_at, zones[order.pk])
            waited = business_days_between(submitted_on, today)
            low, high = FOC_INTERVALS[account.carrier_type]
            if waited > high:
                flags.append(
                    Flag(
                        order,
                        FollowUp.Kind.STUCK,
                        f"#{order.pk} {account.carrier_name}: LOA submitted "
                        f"{waited} business days ago, past the {low}–{high} day interval "
                        f"for a {account.get_carrier_type_display()}: call the winning "
                        "carrier's porting team today.",
                    )
                )
        planned = order.requested_date or order.migration.target_start
        if order.state in UNCONFIRMED and planned and planned <= horizon:
            flags.append(
                Flag(
                    order,
                    FollowUp.Kind.NO_FOC,
                    f"#{order.pk} {account.carrier_name}: planned for {planned:%Y-%m-%d} "
                    f"({'past' if planned < today else 'within 3 business days'}) and still "
                    f"no confirmed FOC ({order.get_state_display().lower()}): move the date "
                    "or narrow the scope.",
                )
            )
    return flags


def open_orders():
    return PortOrder.objects.filter(state__in=PortOrder.OPEN_STATES).select_related(
        "migration__owner", "carrier_account"
    )
