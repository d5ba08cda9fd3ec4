"""Porting writes, shared by the browser, the API and the `porting` command."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import ConcurrentTransition, can_proceed

from tenancy import clock
from tenancy.enqueue import send_after_commit
from tenancy.history import bulk_update_with_reason, save_with_history
from tenancy.roles import ON_SITE, OWNER_PM, Role, membership_of, require_role
from tenancy.rules import TransitionConflict, TransitionRefused, first_refusal
from tenancy.services import save_org_object

from . import events
from .hooks import FOC_SET, LOA_PREPARED, ORDER_CANCELLED
from .loa_checks import REJECT_CODES
from .models import (
    CarrierAccount,
    FocChange,
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
    Rejection,
)
from .numbers import display
from .tasks import escalate_port_failure

# Transitions a person may trigger by hand on a number until port orders drive them.
MANUAL_NUMBER_TRANSITIONS = ("start_porting", "abandon_port", "mark_ported", "go_live")


@transaction.atomic
def transition_number(number: PhoneNumber, name: str, *, by=None, reason: str = ""):
    """Apply one status transition, with the row locked against a concurrent change."""
    if name not in MANUAL_NUMBER_TRANSITIONS:
        raise PermissionDenied(f"'{name}' is not a transition you can apply by hand.")
    locked = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    problem = _manual_transition_problem(locked, name, open_orders_of([locked]))
    if problem:
        raise ValidationError(problem)
    getattr(locked, name)()
    return save_with_history(locked, by=by, reason=reason)


def open_orders_of(numbers) -> dict[int, int]:
    """Number pk -> the open port order that drives its status (one query)."""
    through = PortOrder.numbers.through
    rows = through.objects.filter(
        phonenumber_id__in=[n.pk for n in numbers], portorder__state__in=PortOrder.OPEN_STATES
    ).values_list("phonenumber_id", "portorder_id")
    return dict(rows)


def _manual_transition_problem(number: PhoneNumber, name: str, open_orders: dict) -> str:
    """Why a number cannot take a transition by hand, or "" when it can. A number on an
    open port order follows the order: changing it by hand would contradict the order."""
    label = name.replace("_", " ")
    if number.pk in open_orders:
        return (
            f"Cannot {label} {number.display}: it is on open port order #{open_orders[number.pk]}, "
            "whose steps set its status."
        )
    if not can_proceed(getattr(number, name)):
        return f"Cannot {label} {number.display}: it is {number.get_status_display().lower()}."
    return ""


@transaction.atomic
def bulk_edit_numbers(migration, numbers, *, purpose="", transition="", by=None, reason=""):
    """Set the purpose of many numbers and/or apply one status transition to each, all or
    nothing: if any number cannot take the change, nothing changes and the refusal lists
    every such number. One history row per number."""
    require_role(migration.organization_id, by, OWNER_PM, "Editing numbers in bulk")
    if not purpose and not transition:
        raise ValidationError("Choose a purpose or a status change to apply.")
    if transition and transition not in MANUAL_NUMBER_TRANSITIONS:
        raise ValidationError(f"'{transition}' is not a status change you can apply by hand.")
    locked = list(
        PhoneNumber.objects.select_for_update()
        .filter(migration=migration, pk__in=[n.pk for n in numbers])
        .order_by("pk")
    )
    if not locked:
        raise ValidationError("Choose at least one number.")
    if transition:
        open_orders = open_orders_of(locked)
        problems = [_manual_transition_problem(n, transition, open_orders) for n in locked]
        if any(problems):
            raise ValidationError([p for p in problems if p])
    for number in locked:
        if purpose:
            number.purpose = purpose
        if transition:
            getattr(number, transition)()
    fields = [name for name, wanted in (("purpose", purpose), ("status", transition)) if wanted]
    bulk_update_with_reason(PhoneNumber, locked, fields, by=by, reason=reason or "bulk edit")
    return locked


# -- creating orders -------------------------------------------------------------------


@transaction.atomic
def create_port_order(
    carrier_account: CarrierAccount,
    numbers,
    *,
    winning_carrier: str,
    requested_date=None,
    connection=None,
    by=None,
    reason: str = "",
) -> PortOrder:
    """One order per carrier account. Refuses, with the reason, numbers from another
    account or carrier, toll-free mixed with geographic numbers, and numbers already on
    another open order."""
    require_role(carrier_account.organization_id, by, OWNER_PM, "Creating a port order")
    # Locked before they are checked: two orders created at once cannot both take a
    # number, and a number edited meanwhile is saved from what that edit committed.
    numbers = _locked_numbers(numbers)
    problems = order_number_problems(carrier_account, numbers)
    if connection is not None and (
        connection.organization_id != carrier_account.organization_id or not connection.is_active
    ):
        problems.append("The carrier connection is not an active one of this organization.")
    if problems:
        raise ValidationError(problems)
    order = PortOrder(
        migration=carrier_account.migration,
        carrier_account=carrier_account,
        winning_carrier=winning_carrier,
        requested_date=requested_date,
        connection=connection,
    )
    order.full_clean()
    save_with_history(order, by=by, reason=reason or "port order created")
    for number in numbers:
        if number.carrier_account_id is None:
            number.carrier_account = carrier_account
            save_with_history(
                number, by=by, reason=f"on {carrier_account}", update_fields=["carrier_account"]
            )
    order.numbers.set(numbers)
    return order


def _locked_numbers(numbers) -> list[PhoneNumber]:
    """The numbers again, row-locked, in primary-key order (the lock order)."""
    pks = [n.pk for n in numbers]
    if not pks:
        return []
    return list(
        PhoneNumber.objects.select_for_update(of=("self",))
        .select_related("carrier_account")
        .filter(pk__in=pks)
        .order_by("pk")
    )


def order_number_problems(
    carrier_account: CarrierAccount, numbers, *, exclude_order=None
) -> list[str]:
    problems = []
    if not numbers:
        return ["A port order needs at least one number."]
    csr_accounts = _csr_accounts(carrier_account)
    for number in numbers:
        shown = display(str(number.number))
        listed_on = csr_accounts.get(str(number.number), [])
        if number.migration_id != carrier_account.migration_id:
            problems.append(f"{shown} is not part of this migration.")
        elif number.carrier_account_id and number.carrier_account_id != carrier_account.pk:
            other = number.carrier_account
            problems.append(
                f"{shown} is on {other.carrier_name} account {other.account_number}, not "
                f"{carrier_account.carrier_name} account {carrier_account.account_number}: "
                "one port order (and one LOA) per carrier account."
            )
        elif (
            not number.carrier_account_id
            and listed_on
            and carrier_account.pk not in {a.pk for a in listed_on}
        ):
            others = ", ".join(f"{a.carrier_name} account {a.account_number}" for a in listed_on)
            problems.append(
                f"{shown} is on the CSR of {others}, not of {carrier_account.carrier_name} "
                f"account {carrier_account.account_number}: put it on that account's order "
                "(one port order and one LOA per carrier account)."
            )
    toll_free = [n for n in numbers if n.kind == PhoneNumber.Kind.TOLL_FREE]
    geographic = [n for n in numbers if n.kind != PhoneNumber.Kind.TOLL_FREE]
    if toll_free and geographic:
        problems.append(
            "Toll-free numbers always get their own order (a RespOrg change): "
            f"{', '.join(display(str(n.number)) for n in toll_free)} cannot share an order "
            "with geographic numbers."
        )
    is_resporg = carrier_account.carrier_type == CarrierAccount.CarrierType.TOLL_FREE
    if is_resporg and geographic:
        problems.append("A toll-free RespOrg account can only port toll-free numbers.")
    if toll_free and not is_resporg:
        problems.append(
            "Toll-free numbers port through a RespOrg change: put them on a carrier account "
            "of type 'Toll-free RespOrg'."
        )
    open_elsewhere = (
        PortOrder.objects.filter(numbers__in=numbers, state__in=PortOrder.OPEN_STATES)
        .exclude(pk=getattr(exclude_order, "pk", None))
        .values_list("numbers__number", "pk")
        .distinct()
    )
    wanted = {str(n.number) for n in numbers}
    for e164, order_pk in open_elsewhere:
        if str(e164) in wanted:
            problems.append(f"{display(str(e164))} is already on open port order #{order_pk}.")
    return problems


def _csr_accounts(carrier_account: CarrierAccount) -> dict[str, list[CarrierAccount]]:
    """Number (E.164) -> the migration's carrier accounts whose CSR lists it."""
    listed = {}
    for account in CarrierAccount.objects.filter(migration_id=carrier_account.migration_id):
        for e164_text in account.csr_numbers or []:
            listed.setdefault(str(e164_text), []).append(account)
    return listed


# -- LOA versions ----------------------------------------------------------------------

LOA_FIELDS = (
    "business_name", "service_line1", "service_line2", "service_city", "service_state",
    "service_postal_code", "account_number", "btn", "authorized_person", "authorized_title",
)  # fmt: skip


def loa_defaults(order: PortOrder) -> dict:
    """First draft. The CSR is the source of truth for an LOA (the losing carrier checks
    the LOA against it; docs/domain-rules.md), so its text is
    copied as it stands; what the CSR lacks comes from the customer and the site. The
    check then flags every difference a person introduces, and every gap in the CSR."""
    account, customer = order.carrier_account, order.migration.customer
    site = next((n.site for n in order.numbers.all() if n.site_id), None)
    site = site or order.migration.sites.order_by("pk").first()
    if account.csr_address_line1:
        address = (
            account.csr_address_line1, account.csr_address_line2, account.csr_city,
            account.csr_state, account.csr_postal_code,
        )  # fmt: skip
    elif site:
        address = (site.address_line1, site.address_line2, site.city, site.state, site.postal_code)
    else:
        address = ("", "", "", "", "")
    line1, line2, city, state, postal_code = address
    return {
        "business_name": account.csr_account_name or customer.legal_name,
        "service_line1": line1,
        "service_line2": line2,
        "service_city": city,
        "service_state": state,
        "service_postal_code": postal_code,
        "account_number": account.account_number,
        "btn": account.btn,
        "authorized_person": account.csr_authorized_person or customer.main_contact_name,
        "authorized_title": "",
    }


@transaction.atomic
def prepare_loa(order: PortOrder, *, by=None, reason: str = "", **changes) -> LetterOfAuthorization:
    """A new LOA version (draft) for the order: the previous version's fields with
    `changes` applied, and the order's current numbers. Older drafts are superseded;
    signed versions stay as they were (kept, read-only)."""
    # The order's lock serializes versions (two at once would take the same number); the
    # superseded versions are locked too, as the signer's portal writes them (lock order:
    # port order, then its LOAs).
    PortOrder.objects.select_for_update().filter(pk=order.pk).first()
    previous = order.loas.order_by("-version").first()
    fields = (
        {name: getattr(previous, name) for name in LOA_FIELDS} if previous else loa_defaults(order)
    )
    unknown = set(changes) - set(LOA_FIELDS)
    if unknown:
        raise ValidationError(f"Not LOA fields: {', '.join(sorted(unknown))}.")
    fields.update(changes)
    Status = LetterOfAuthorization.Status
    superseded = order.loas.select_for_update().filter(status__in=[Status.DRAFT, Status.SIGNED])
    for old in superseded.order_by("pk"):
        # A signed version is kept as it was, with its signature and sealed PDF; it just
        # stops being the one the carrier gets. Its signing links die with it.
        was = old.get_status_display().lower()
        old.status = Status.SUPERSEDED
        save_with_history(
            old, by=by, reason=f"superseded by a new version (was {was})", update_fields=["status"]
        )
    loa = LetterOfAuthorization(
        port_order=order,
        version=(previous.version + 1) if previous else 1,
        numbers=sorted(str(n.number) for n in order.numbers.all()),
        **fields,
    )
    loa.full_clean()
    save_with_history(loa, by=by, reason=reason or "LOA prepared")
    LOA_PREPARED(order, loa, by=by)
    order.forget_cached()
    return loa


@transaction.atomic
def supersede_stale_signed_loa(order: PortOrder, *, by=None) -> LetterOfAuthorization | None:
    """Before submission, a signed current LOA whose numbers, account number or BTN no
    longer match the order becomes superseded (kept, with its signature). The order then
    needs a new version signed before `loa_submitted`."""
    if order.state not in PortOrder.LOA_EDITABLE_STATES:
        return None
    loa = (
        order.loas.select_for_update()
        .filter(status=LetterOfAuthorization.Status.SIGNED)
        .order_by("-version")
        .first()
    )
    if (
        loa is None
        or loa.version != order.loas.order_by("-version").values("version")[0]["version"]
    ):
        return None
    stale = loa.stale_fields()
    if not stale:
        return None
    loa.status = LetterOfAuthorization.Status.SUPERSEDED
    save_with_history(
        loa, by=by, reason=f"superseded: {', '.join(stale)} changed after signing",
        update_fields=["status"],
    )  # fmt: skip
    order.forget_cached()
    return loa


@transaction.atomic
def save_carrier_account(
    account: CarrierAccount, *, organization, by=None, reason: str = "", fields=None
):
    """Save a carrier account (page, API, admin): validated, with history; a signed LOA
    whose account number or BTN no longer matches is superseded at once. `fields`: as
    `save_org_object` (what the caller changed; the rest is kept as others left it)."""
    account = save_org_object(
        account, organization=organization, by=by, reason=reason, fields=fields
    )
    after_carrier_account_saved(account, by=by)
    return account


def after_carrier_account_saved(account: CarrierAccount, *, by=None) -> None:
    """What every save of an account entails (the admin saves the row itself)."""
    for order in account.port_orders.filter(state__in=PortOrder.LOA_EDITABLE_STATES):
        supersede_stale_signed_loa(order, by=by)


@transaction.atomic
def change_order_numbers(order: PortOrder, *, add=(), remove=(), by=None, reason: str = ""):
    """Add numbers to an order or take them off, before it is submitted. A signed LOA
    that no longer lists exactly the order's numbers is superseded."""
    require_role(order.organization_id, by, OWNER_PM, "Changing an order's numbers")
    order = PortOrder.objects.select_for_update().get(pk=order.pk)
    if order.state not in PortOrder.LOA_EDITABLE_STATES:
        raise ValidationError(
            f"The numbers of an order can change only before it is submitted (this one is "
            f"{order.get_state_display().lower()})."
        )
    add, remove = list(add), list(remove)
    if add:
        problems = order_number_problems(order.carrier_account, add, exclude_order=order)
        problems += _not_on_the_csr(order.carrier_account, add)
        if problems:
            raise ValidationError(problems)
    remaining = {n.pk for n in order.numbers.all()} - {n.pk for n in remove}
    if not remaining and not add:
        raise ValidationError("An order keeps at least one number: cancel it instead.")
    if add:
        order.numbers.add(*add)
    if remove:
        order.numbers.remove(*remove)
    save_with_history(order, by=by, reason=reason or "numbers changed")
    supersede_stale_signed_loa(order, by=by)
    order.forget_cached()
    if order.loas.exists():
        # The letter lists the numbers: a new version lists the order's numbers now.
        prepare_loa(order, by=by, reason=reason or "numbers changed: new version to sign")
    return order


def _not_on_the_csr(account: CarrierAccount, numbers) -> list[str]:
    """A number added to an existing order must be on its account's CSR when the CSR's
    numbers are recorded: the carrier rejects an LOA listing one it does not hold."""
    listed = {str(e164) for e164 in account.csr_numbers or []}
    if not listed:
        return []
    return [
        f"{display(str(n.number))} is not on the CSR of {account.carrier_name} account "
        f"{account.account_number}: if the carrier lists it there, add it to the CSR first."
        for n in numbers
        if str(n.number) not in listed
    ]


# Reject codes that name LOA fields: recording one prepares a new version whose named
# fields are copied again from the CSR (the source of truth; correct the CSR first if
# the carrier's record differs). SIGNATURE_INVALID names none: same text, new signature.
_ADDRESS = ("service_line1", "service_line2", "service_city", "service_state",
            "service_postal_code")  # fmt: skip
REJECT_CODE_FIELDS = {
    "NAME_MISMATCH": ("business_name",),
    "NAME_FORMAT": ("business_name",),
    "ADDRESS_MISMATCH": _ADDRESS,
    "ADDRESS_FORMAT": _ADDRESS,
    "ACCOUNT_MISMATCH": ("account_number",),
    "BTN_MISMATCH": ("btn",),
    "AUTH_NAME_MISMATCH": ("authorized_person",),
    "SIGNATURE_INVALID": (),
}


def _prepare_corrected_loa(order, code, *, by):
    fields = REJECT_CODE_FIELDS[code]
    from_csr = loa_defaults(order)
    return prepare_loa(
        order, by=by, reason=f"corrected after rejection {code}: needs a new signature",
        **{name: from_csr[name] for name in fields},
    )  # fmt: skip


@transaction.atomic
def acknowledge_warnings(order: PortOrder, *, by, reason: str = "") -> list[str]:
    """Record that `by` read the check's warnings on the current LOA and accepts them."""
    order.forget_cached()  # a cached LOA may predate its signature: never save a stale copy
    loa = order.loas.select_for_update().order_by("-version").first()
    if loa is None:
        raise ValidationError("There is no LOA to acknowledge warnings on.")
    order._current_loa = loa
    codes = sorted({f.code for f in order.loa_findings() if f.severity == "warning"})
    loa.acknowledged_warnings = codes
    loa.acknowledged_by = by
    loa.acknowledged_at = clock.now()
    save_with_history(
        loa, by=by, reason=reason or f"warnings acknowledged: {', '.join(codes)}",
        update_fields=["acknowledged_warnings", "acknowledged_by", "acknowledged_at"],
    )  # fmt: skip
    order.forget_cached()
    return codes


# -- transitions -----------------------------------------------------------------------

TRANSITION_ROLES = {
    "submit_loa": OWNER_PM,
    "record_foc": OWNER_PM,
    "reject": OWNER_PM,
    "reopen": OWNER_PM,
    "start_port_day": ON_SITE,
    "fail_port": ON_SITE,
    "reschedule": OWNER_PM,
    "complete": OWNER_PM,
    "cancel": OWNER_PM,
}
TRANSITION_LABELS = {
    "submit_loa": "Submit LOA",
    "record_foc": "Record FOC",
    "reject": "Record rejection",
    "reopen": "Back to LOA pending",
    "start_port_day": "Start port day",
    "fail_port": "Port failed",
    "reschedule": "Reschedule",
    "complete": "Complete",
    "cancel": "Cancel order",
}


@dataclass
class TransitionResult:
    order: PortOrder
    name: str


def _membership(order, user):
    return membership_of(order.organization_id, user)


def refusal(order: PortOrder, name: str, *, by, **context) -> TransitionRefused | None:
    """Why `by` may not apply transition `name` now (the first rule that refuses), or None."""
    return _gate_refusal(order, name, by=by, **context) or _rule_refusal(order, name, context)


def _gate_refusal(order, name, *, by, **context):
    """Role and state: checked before anything the request carries is looked at."""
    if name not in TRANSITION_ROLES:
        return TransitionRefused("unknown_transition", f"'{name}' is not a port order transition.")
    # A carrier's own fact, from a verified event or read from its API (porting.carriers):
    # no person's role is involved; every rule below still holds.
    carrier = bool(context.get("carrier_source"))
    membership = None if carrier else _membership(order, by)
    if not carrier and (membership is None or membership.role not in TRANSITION_ROLES[name]):
        role = membership.get_role_display() if membership else "no role"
        return TransitionRefused(
            "role", f"{TRANSITION_LABELS[name]} is not open to your role ({role})."
        )
    if context.get("override_reason") and (membership is None or membership.role != Role.OWNER):
        return TransitionRefused("override_owner_only", "Only an owner can override a rule.")
    if getattr(order, name)._django_fsm.get_transition(order.state) is None:
        return TransitionRefused(
            "state", f"{TRANSITION_LABELS[name]} is not possible while the order is "
            f"{order.get_state_display().lower()}.",
        )  # fmt: skip
    return None


def _rule_refusal(order, name, context):
    order.transition_context = context
    spec = getattr(order, name)._django_fsm.get_transition(order.state)
    return first_refusal(spec.conditions, order)


def available_transitions(
    order: PortOrder, *, by, as_text: bool = True
) -> list[tuple[str, str, str | TransitionRefused | None]]:
    """(name, label, refusal or None) for each transition from the current state: the
    refusal as one line of text, or with `as_text=False` the TransitionRefused itself (a
    page shows its message and its rule apart)."""
    rows = []
    for spec in order.get_all_state_transitions():
        if spec.source != order.state or spec.name not in TRANSITION_ROLES:
            continue
        refused = refusal(order, spec.name, by=by)
        shown = str(refused) if as_text and refused else refused
        rows.append((spec.name, TRANSITION_LABELS[spec.name], shown))
    return rows


def transition_order(
    order: PortOrder,
    name: str,
    *,
    by,
    reason: str = "",
    expected_state: str | None = None,
    **context,
) -> PortOrder:
    """Apply a transition for `by`, or raise TransitionRefused naming the rule, or
    TransitionConflict when someone else moved the order first."""
    try:
        with transaction.atomic():
            # Locked as it is read: a second writer (a transition, an FOC change, an edit)
            # waits, then decides from what this one committed; never a stale full save.
            fresh = PortOrder.objects.select_for_update().get(pk=order.pk)
            if expected_state and fresh.state != expected_state:
                raise TransitionConflict(
                    f"Someone else changed this order to {fresh.get_state_display()} "
                    f"at {fresh.state_changed_at:%Y-%m-%d %H:%M} UTC: reload and check."
                )
            refused = _gate_refusal(fresh, name, by=by, **context)
            if refused:
                raise refused
            previous_foc_at = fresh.foc_at
            _before(fresh, name, context, by=by, reason=reason)
            refused = _rule_refusal(fresh, name, context)
            if refused:
                raise refused
            previous_state = fresh.state
            getattr(fresh, name)()
            fresh.state_changed_at = context.get("now") or clock.now()
            label = TRANSITION_LABELS[name]
            save_with_history(fresh, by=by, reason=f"{label}: {reason}" if reason else label)
            _after(fresh, name, by=by, reason=reason, context=context)
            events.order_transitioned(
                fresh, previous_state=previous_state, previous_foc_at=previous_foc_at,
                transition=name, reason=reason,
            )  # fmt: skip
    except ConcurrentTransition as exc:  # defence in depth: the row lock prevents it
        raise TransitionConflict(
            "Someone else changed this order at the same moment: reload and check."
        ) from exc
    return fresh


def _before(order, name, context, *, by=None, reason=""):
    if name == "reschedule" and context.get("foc_at") and context["foc_at"] != order.foc_at:
        # A new FOC after a failed port is a supplemental order: keep old and new.
        _record_foc_change(
            order, previous=order.foc_at, new_foc_at=context["foc_at"],
            reason=reason or "rescheduled after a failed port", by=by,
            confirmation_number=context.get("confirmation_number", ""),
        )  # fmt: skip
    if name in ("record_foc", "reschedule"):
        if context.get("foc_at"):
            order.foc_at = context["foc_at"]
        if context.get("foc_timezone"):
            order.foc_timezone = context["foc_timezone"]
        if context.get("confirmation_number"):
            order.foc_confirmation_number = context["confirmation_number"]
    if name == "reject" and not (context.get("code") and context.get("carrier_text")):
        raise TransitionRefused(
            "rejection_details", "A rejection needs the carrier's reason code and its text."
        )
    if name == "reject" and context["code"] not in REJECT_CODES:
        raise TransitionRefused(
            "rejection_details",
            f"Unknown reject code {context['code']!r}: use one of the catalog's codes "
            "(docs/loa-checks.md) and put the carrier's own words in the text.",
        )
    if name == "cancel" and not context.get("cancel_reason", "").strip():
        raise TransitionRefused("cancel_reason", "Say why the order is cancelled.")
    if name == "submit_loa" and order.connection_id and not context.get("carrier_source"):
        raise TransitionRefused(
            "submit_through_carrier",
            f"This order goes through the carrier connection {order.connection}: use "
            '"Submit to carrier", which sends the signed LOA and the bill and records the '
            "submission.",
        )


def _set_numbers(order, transition_name, *, by, reason):
    for number in _locked_numbers(order.numbers.all()):
        method = getattr(number, transition_name)
        if can_proceed(method):
            method()
            save_with_history(number, by=by, reason=reason)


def _after(order, name, *, by, reason, context):
    why = f"port order #{order.pk}: {TRANSITION_LABELS[name].lower()}"
    if name == "submit_loa":
        _set_numbers(order, "start_porting", by=by, reason=why)
    elif name == "complete":
        _set_numbers(order, "mark_ported", by=by, reason=why)
    elif name == "cancel":
        _set_numbers(order, "abandon_port", by=by, reason=why)
        ORDER_CANCELLED(order, by=by)
    elif name in ("record_foc", "reschedule"):
        FOC_SET(order, by=by)
    elif name == "reject":
        rejection = Rejection(
            port_order=order,
            loa_version=order.rejected_loa_version,
            code=context["code"],
            provider_code=context.get("provider_code", ""),
            carrier_text=context["carrier_text"],
            recorded_by=by,
        )
        save_with_history(rejection, by=by, reason=reason)
        if context["code"] in REJECT_CODE_FIELDS:
            _prepare_corrected_loa(order, context["code"], by=by)
    elif name == "fail_port":
        failed_at = order.state_changed_at.isoformat()
        send_after_commit(escalate_port_failure, order.pk, failed_at)  # broker down: runs here


def _record_foc_change(order, *, previous, new_foc_at, reason, by, confirmation_number=""):
    change = FocChange(
        port_order=order,
        previous_foc_at=previous,
        new_foc_at=new_foc_at,
        confirmation_number=confirmation_number,
        reason=reason,
        changed_by=by,
    )
    return save_with_history(change, by=by, reason=reason)


@transaction.atomic
def change_foc(
    order: PortOrder,
    *,
    new_foc_at,
    reason: str,
    by,
    confirmation_number: str = "",
    foc_timezone: str = "",
    carrier_source: str = "",
):
    """The carrier moved the FOC (a supplemental order): keep old and new, and the reason.
    The order stays in its state; everything scheduled from the FOC follows it.
    `carrier_source` names the provider's event that told it (no person's role then)."""
    if not reason.strip():
        raise ValidationError("Say why the FOC moved (the carrier's words).")
    if not carrier_source:
        require_role(order.organization_id, by, OWNER_PM, "Changing the FOC")
    # The state is judged on the locked row: a transition committed meanwhile (a cancel,
    # a port day) is seen, and the FOC never moves on an order that left these states.
    locked = PortOrder.objects.select_for_update().get(pk=order.pk)
    if locked.state not in (PortOrder.State.FOC_RECEIVED, PortOrder.State.PORT_FAILED):
        raise ValidationError(
            f"The FOC can only change once it was received (the order is "
            f"{locked.get_state_display().lower()})."
        )
    previous = locked.foc_at
    _record_foc_change(
        locked, previous=locked.foc_at, new_foc_at=new_foc_at, reason=reason, by=by,
        confirmation_number=confirmation_number,
    )  # fmt: skip
    locked.foc_at = new_foc_at
    if foc_timezone:
        locked.foc_timezone = foc_timezone
    if confirmation_number:
        locked.foc_confirmation_number = confirmation_number
    save_with_history(locked, by=by, reason=f"FOC changed: {reason}")
    FOC_SET(locked, by=by)  # everything scheduled from the FOC moves with it
    events.foc_changed(locked, previous_foc_at=previous, reason=reason)
    return locked


@transaction.atomic
def record_test_call(order: PortOrder, number: PhoneNumber, *, called_from, passed: bool, by,
                     note: str = "") -> PostPortTestCall:  # fmt: skip
    order = PortOrder.objects.select_for_update().get(pk=order.pk)
    if order.state != PortOrder.State.PORT_DAY:
        raise ValidationError("Test calls are recorded on port day.")
    if not order.numbers.filter(pk=number.pk).exists():
        raise ValidationError(f"{number} is not on this order.")
    call = PostPortTestCall(
        port_order=order, number=number, called_from=called_from, passed=passed, note=note,
        tested_by=by,
    )  # fmt: skip
    call.full_clean()
    save_with_history(call, by=by, reason="post-port test call")
    if not passed:
        # A number that does not answer after the port: calls may be reaching nobody.
        # Start the port-failed path at once (it emails the owner: keep the old system
        # running, call the porting NOC).
        transition_order(
            order, "fail_port", by=by,
            reason=f"test call to {number.display} from {display(str(call.called_from))} "
            f"failed{': ' + note if note else ''}",
        )  # fmt: skip
    return call


@transaction.atomic
def split_partial_port(order: PortOrder, *, moved, by, reason: str = "") -> PortOrder:
    """Partial port: the numbers that did not move leave this order for a new linked
    child order (back to LOA pending); this order keeps the ones that moved."""
    order = PortOrder.objects.select_for_update().get(pk=order.pk)
    if order.state != PortOrder.State.PORT_DAY:
        raise ValidationError("A partial port is recorded on port day.")
    moved_ids = {n.pk for n in moved}
    remaining = [n for n in order.numbers.all() if n.pk not in moved_ids]
    if not moved_ids or not remaining:
        raise ValidationError("Name the numbers that moved; at least one must not have.")
    child = PortOrder(
        migration=order.migration,
        carrier_account=order.carrier_account,
        parent=order,
        winning_carrier=order.winning_carrier,
        requested_date=order.requested_date,
    )
    save_with_history(child, by=by, reason=f"partial port of #{order.pk}: {reason}")
    child.numbers.set(remaining)
    order.numbers.remove(*remaining)
    why = f"did not port on #{order.pk}; now on #{child.pk}"
    for number in _locked_numbers(remaining):
        number.abandon_port()
        save_with_history(number, by=by, reason=why)
    save_with_history(
        order, by=by, reason=f"partial port: {len(remaining)} number(s) to #{child.pk}"
    )
    return child


OLD_ACCOUNT_KEPT = timedelta(days=30)


def old_service_cancel_refusal(account: CarrierAccount, *, now=None) -> TransitionRefused | None:
    """Cancelling the old carrier's service before every number has ported loses the
    numbers for good (they go back to the carrier's pool): keep the account until 30 days
    after the last port."""
    now = now or clock.now()
    orders = list(account.port_orders.exclude(state=PortOrder.State.CANCELLED))
    if not orders:
        return TransitionRefused(
            "no_completed_port", "No port order on this account has completed."
        )
    unfinished = [o for o in orders if o.state != PortOrder.State.COMPLETE]
    if unfinished:
        listed = ", ".join(f"#{o.pk} ({o.get_state_display().lower()})" for o in unfinished)
        return TransitionRefused(
            "ports_not_complete",
            f"Orders still open on this account: {listed}. Cancelling now would send their "
            "numbers back to the carrier's pool, possibly for good.",
        )
    last = max(o.completed_at for o in orders)
    if now < last + OLD_ACCOUNT_KEPT:
        return TransitionRefused(
            "thirty_days_after_last_port",
            f"Keep the old account until {last + OLD_ACCOUNT_KEPT:%Y-%m-%d}: 30 days after the "
            "last port, reversals and forgotten numbers still happen.",
        )
    return None


@transaction.atomic
def record_old_service_cancelled(account: CarrierAccount, *, by, reason: str = "", now=None):
    account = CarrierAccount.objects.select_for_update().get(pk=account.pk)
    refused = old_service_cancel_refusal(account, now=now)
    if refused:
        raise refused
    account.old_service_cancelled_at = now or clock.now()
    return save_with_history(account, by=by, reason=reason or "old carrier service cancelled",
                             update_fields=["old_service_cancelled_at"])  # fmt: skip
