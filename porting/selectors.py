"""Reused reads for the porting pages, the API and the command (a fixed number of queries
per page, whatever the number of orders)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count
from django.urls import reverse

from tenancy import clock
from tenancy.checks import Fix
from tenancy.selectors import count_of

from .follow_up import flags_for
from .hooks import ORDER_PAGE, with_loa_rows
from .loa_checks import REJECT_CODES, same_account_number
from .models import CarrierAccount, PhoneNumber, PortOrder
from .numbers import display
from .planner import OrderInput, plan
from .services import available_transitions
from .zones import local_date, order_zones

# States in which the order holds a confirmed FOC (a rejected or failed port does not).
FOC_CONFIRMED = (PortOrder.State.FOC_RECEIVED, PortOrder.State.PORT_DAY, PortOrder.State.COMPLETE)

BOARD_COLUMNS = [
    PortOrder.State.LOA_PENDING,
    PortOrder.State.LOA_SUBMITTED,
    PortOrder.State.FOC_RECEIVED,
    PortOrder.State.PORT_DAY,
    PortOrder.State.REJECTED,
    PortOrder.State.PORT_FAILED,
    PortOrder.State.COMPLETE,
    PortOrder.State.CANCELLED,
]


def migration_orders(migration):
    return (
        PortOrder.objects.filter(migration=migration)
        .select_related("carrier_account", "migration")
        .annotate(number_count=Count("numbers", distinct=True))
        .order_by("pk")
    )


def plan_inputs(orders):
    orders = [o for o in orders if o.state != PortOrder.State.CANCELLED]
    zones = order_zones(orders)
    return [
        OrderInput(
            key=str(order.pk),
            label=f"#{order.pk} {order.carrier_account.carrier_name}",
            carrier_type=order.carrier_account.carrier_type,
            # The carrier's business day: the local date where the order is, not UTC's (an
            # LOA submitted on a Friday evening in Chicago is Saturday in UTC).
            loa_submitted_on=local_date(order.loa_submitted_at, zones[order.pk]),
            foc_confirmed_on=(
                local_date(order.foc_at, zones[order.pk])
                if order.foc_at and order.state in FOC_CONFIRMED
                else None
            ),
            requested_foc_on=(
                local_date(order.requested_foc_at, zones[order.pk])
                if order.requested_foc_at
                else None
            ),
        )
        for order in orders
    ]


def migration_plan(migration, *, today=None, orders=None):
    orders = list(orders if orders is not None else migration_orders(migration))
    requested = migration.target_start
    return plan(plan_inputs(orders), today=today or clock.today(), requested_go_live=requested)


def porting_board(migration, *, now):
    orders = list(migration_orders(migration))
    columns = {state: [] for state in BOARD_COLUMNS}
    for order in orders:
        order.days_in_stage = (now - order.state_changed_at).days
        order.foc_in = (order.foc_at - now) if order.foc_at else None
        columns[order.state].append(order)
    return {
        "orders": orders,
        "follow_ups": flags_for([o for o in orders if o.is_open], today=now.date()),
        "columns": [
            (state, PortOrder.State(state).label, columns[state]) for state in BOARD_COLUMNS
        ],
        "plan": migration_plan(migration, today=now.date(), orders=orders),
    }


def order_page(order, *, user):
    loas = list(with_loa_rows(order.loas.order_by("-version")))
    order._current_loa = loas[0] if loas else None
    numbers = list(order.numbers.select_related("site", "endpoint").order_by("number"))
    lines = order.passing_lines()
    for number in numbers:
        number.passing_lines = len(lines.get(number.pk, ()))
    findings = order.loa_findings()
    timeline = [
        record
        for record, previous in _with_previous(
            order.history.select_related("history_user").order_by("history_id")
        )
        if previous is None or previous.state != record.state
    ]
    findings = [ShownFinding(f, finding_fix(order, f)) for f in findings]
    # A transition the user's role may never take is not offered; one that only waits
    # for something says why, and where that is done.
    transitions = [
        row for row in available_transitions(order, by=user, as_text=False)
        if not (row[2] is not None and row[2].rule == "role")
    ]  # fmt: skip
    main = [row for row in transitions if row[0] not in DESTRUCTIVE_TRANSITIONS]
    context = {
        "loa": loas[0] if loas else None,
        "loas": loas,
        "numbers": numbers,
        "findings": findings,
        "blockers": [f for f in findings if f.severity == "blocker"],
        "warnings": [f for f in findings if f.severity == "warning"],
        "transitions": transitions,
        "main_transitions": main,
        "destructive_transitions": [r for r in transitions if r[0] in DESTRUCTIVE_TRANSITIONS],
        "next_action": next_action(order, loas[0] if loas else None, findings, main),
        "timeline": timeline,
        "foc_changes": list(order.foc_changes.select_related("changed_by")),
        "rejections": list(order.rejections.all()),
        "children": list(order.children.all()),
        "test_calls": list(
            order.test_calls.select_related("number", "tested_by").order_by("-tested_at")[:50]
        ),
    }
    for extra in ORDER_PAGE(order, user=user, loas=loas):
        context.update(extra)
    return context


# Transitions that end or undo the work: offered apart, and confirmed before they run.
DESTRUCTIVE_TRANSITIONS = ("cancel", "reject", "fail_port")


class ShownFinding:
    """A finding as a page shows it: the finding, and where it is cleared."""

    def __init__(self, finding, fix_link):
        self.finding = finding
        self.fix_link = fix_link

    def __getattr__(self, name):
        return getattr(self.finding, name)


@dataclass(frozen=True)
class NextAction:
    text: str
    fix: Fix | None = None


def next_action(order, loa, findings, transitions) -> NextAction | None:
    """What to do next on this order, in words, with where it is done: the first step the
    order can take now, else what holds the first one back."""
    here = order.get_absolute_url()
    if order.state in order.LOA_EDITABLE_STATES and loa is None:
        return NextAction("Prepare the LOA: it is filled in from the CSR and the account.",
                          Fix("Prepare the LOA", f"{here}#prepare-loa"))  # fmt: skip
    blockers = [f for f in findings if f.severity == "blocker"]
    if order.state in order.LOA_EDITABLE_STATES and blockers and not loa.is_signed:
        # Nothing can be sent for signature while the carrier would reject the letter.
        first = blockers[0]
        count = f"{len(blockers)} blocker{'s' if len(blockers) != 1 else ''}"
        return NextAction(
            f"Fix the LOA check's {count} before sending it for signature, starting with "
            f"{first.field or first.code}: {first.reject_reason}.",
            first.fix_link or Fix("Open the findings", f"{here}#findings"),
        )
    for _name, label, refused in transitions:
        if refused is None:
            return NextAction(f"{label}.", Fix(label, f"{here}#next-steps"))
    for _name, _label, refused in transitions:
        if refused.rule != "state":
            return NextAction(refused.message, refused.fix)
    return None


def finding_fix(order, finding) -> Fix | None:
    """Where an LOA-check finding is cleared: the carrier account (its CSR, its PIN), the
    order's numbers, or a new LOA version."""
    slug = order.organization.slug
    account_edit = reverse("carrier-account-update", args=[slug, order.carrier_account_id])
    here = order.get_absolute_url()
    if finding.code == "PIN_REQUIRED":
        return Fix("Add the PIN to the carrier account", f"{account_edit}#id_pin")
    if finding.code.startswith("CSR_"):
        return Fix("Update the CSR on the carrier account", account_edit)
    if finding.code in NUMBER_FINDINGS:
        return Fix("Change the order's numbers", reverse("port-order-numbers",
                                                          args=[slug, order.pk]))  # fmt: skip
    if finding.code in ("SIGNATURE_INVALID",):
        return Fix("Have it signed again", f"{here}#signature")
    if finding.field:
        return Fix("Correct it in a new LOA version", f"{here}#prepare-loa")
    return None


# Findings about which numbers are on the order (cleared by changing them).
NUMBER_FINDINGS = frozenset({
    "NO_NUMBERS", "TN_NOT_ON_ACCOUNT", "BTN_PARTIAL_PORT", "PENDING_ORDER", "TOLL_FREE_MIXED",
    "TN_DISCONNECTED", "HUNT_PILOT", "FAX_LINE", "ALARM_LINE", "ELEVATOR_LINE", "DATA_LINE",
})  # fmt: skip


def _with_previous(records):
    previous = None
    for record in records:
        yield record, previous
        previous = record


def reject_code_choices():
    return sorted((code, entry.title) for code, entry in REJECT_CODES.items())


def loa_document(loa) -> dict:
    """Everything the LOA document shows, from the LOA version, its order and account."""

    order = loa.port_order
    account = order.carrier_account
    organization = order.organization
    return {
        "document_id": f"LOA-{organization.slug}-{order.pk}-v{loa.version}",
        "version": loa.version,
        "organization_name": organization.name,
        "brand_color": organization.brand_color,
        "logo": organization.logo_data_uri(),
        "business_name": loa.business_name,
        "service_line1": loa.service_line1,
        "service_line2": loa.service_line2,
        "service_city": loa.service_city,
        "service_state": loa.service_state,
        "service_postal_code": loa.service_postal_code,
        "losing_carrier": account.carrier_name,
        "account_number": loa.account_number,
        "btn": display(str(loa.btn)),
        "winning_carrier": order.winning_carrier,
        "authorized_person": loa.authorized_person,
        "authorized_title": loa.authorized_title,
        "numbers": [display(e164) for e164 in loa.numbers],
        # The version's own date, so the document (and its hash) is the same on every view.
        "date": (loa.signed_at or loa.created_at or clock.now()).date(),
        "signed": loa.status == loa.Status.SIGNED and bool(loa.signed_by_name),
        "signed_by_name": loa.signed_by_name,
        "signed_at": loa.signed_at,
    }


def with_number_counts(migrations):
    """The migration lists' number count (customers.hooks.MIGRATION_COUNTS)."""
    return migrations.annotate(number_count=count_of(PhoneNumber, migration="pk"))


# -- what the command line (and later pages) look up by name ------------------------------


def numbers_in_migration(migration, e164_numbers) -> dict[str, PhoneNumber]:
    """The migration's numbers among `e164_numbers`, by E.164."""
    rows = PhoneNumber.objects.filter(migration=migration, number__in=list(e164_numbers))
    return {str(n.number): n for n in rows}


def carrier_accounts_named(migration, carrier_name: str, account_number: str = "") -> list:
    """The migration's accounts at `carrier_name` (any case), and with `account_number`
    when given, compared the way the LOA check compares account numbers."""
    matches = CarrierAccount.objects.filter(
        migration=migration, carrier_name__iexact=carrier_name.strip()
    )
    if account_number:
        return [a for a in matches if same_account_number(a.account_number, account_number)]
    return list(matches)


def winning_carriers(migration) -> set[str]:
    """The winning carriers the migration's orders name (cancelled orders aside)."""
    return set(
        PortOrder.objects.filter(migration=migration)
        .exclude(state=PortOrder.State.CANCELLED)
        .values_list("winning_carrier", flat=True)
    )


def open_orders(migration) -> list[PortOrder]:
    return list(
        PortOrder.objects.filter(migration=migration, state__in=PortOrder.OPEN_STATES)
        .select_related("carrier_account", "migration")
        .order_by("pk")
    )


# The customer's tasks that feed porting (signing the LOA, the bill, the questionnaire,
# the site contacts) are due this many days before the migration's window opens.
CUSTOMER_TASK_LEAD = timedelta(days=21)


def customer_task_due(migration):
    """When the customer's porting tasks are due, or None while the window is not set."""
    return migration.target_start - CUSTOMER_TASK_LEAD if migration.target_start else None
