"""Carrier writes: the services the pages, the API, the command line and the beat task
share (docs/carriers.md). Each checks the role first, calls the adapter outside any
database transaction (every exchange is logged as it happens, even when the step fails),
and only then changes the order locally, in one transaction, through porting.services
and the order's state machine: a provider failure leaves nothing half-created here.

Transient failures (5xx, timeouts, 429) are retried after `CARRIER_RETRY_DELAYS`; every
other failure is told at once. A provider order is never created twice for one port
order: each attempt first looks the order up by its reference (our idempotency key)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tenancy import clock
from tenancy.history import save_with_history
from tenancy.portal import portal_base_url
from tenancy.roles import ON_SITE, OWNER_PM, require_role
from tenancy.rules import TransitionRefused

from ..hooks import LOA_SEALED_PDF
from ..models import (
    CarrierAccount,
    CarrierConnection,
    CarrierEvent,
    CarrierExchange,
    OrderNote,
    PhoneNumber,
    PortOrder,
)
from ..numbers import display, e164, parse_nanp
from .base import (
    CarrierError,
    Document,
    NotOffered,
    Operation,
    ProviderEvent,
    ProviderOrder,
    RateLimited,
    Submission,
    Transient,
)
from .http import check_base_url
from .registry import MANUAL, adapter_for
from .telnyx import EXCEPTION_CODES

logger = logging.getLogger(__name__)
State = PortOrder.State
EventStatus = CarrierEvent.Status


# -- plumbing --------------------------------------------------------------------------------


def _logger(connection, *, order=None, account=None):
    """Write each exchange as it happens (autocommit: kept even if a later step fails)."""

    def log(**exchange):
        CarrierExchange.objects.create(
            organization_id=connection.organization_id,
            connection=connection,
            port_order=order,
            carrier_account=account,
            at=clock.now(),
            operation=str(exchange.get("operation") or "")[:40],
            method=exchange.get("method") or "",
            path=str(exchange.get("path") or "")[:300],
            status_code=exchange.get("status_code"),
            ms=exchange.get("ms") or 0,
            request_id=str(exchange.get("request_id") or "")[:100],
            request_body=exchange.get("request_body") or "",
            response_body=exchange.get("response_body") or "",
            error=str(exchange.get("error") or "")[:500],
        )

    return log


def adapter(connection, *, order=None, account=None):
    return adapter_for(
        connection, log=_logger(connection, order=order, account=account) if connection else None
    )


def _need(adapter_, operation: Operation):
    if not adapter_.offered(operation):
        adapter_.refuse(operation)


def retrying(call):
    """`call()`, again after each pause of CARRIER_RETRY_DELAYS while it fails for a
    transient reason (a 429 waits what the provider asks, up to 30 s)."""
    delays = tuple(settings.CARRIER_RETRY_DELAYS)
    for attempt in range(len(delays) + 1):
        try:
            return call()
        except (Transient, RateLimited) as exc:
            if attempt >= len(delays):
                raise
            pause = delays[attempt]
            if isinstance(exc, RateLimited) and exc.retry_after:
                pause = max(pause, exc.retry_after)
            logger.info("carrier call failed (%s); retrying in %ss", exc, pause)
            time.sleep(min(pause, 30))
    raise AssertionError("unreachable")


def _order_failed(order, exc):
    PortOrder.objects.filter(pk=order.pk).update(
        provider_error=str(exc)[:2000], provider_error_at=clock.now()
    )


def webhook_url(connection) -> str:
    """Where the provider sends this connection's events (only with PUBLIC_BASE_URL: a
    provider cannot reach a host name that only resolves here)."""
    if not settings.PUBLIC_BASE_URL:
        return ""
    return portal_base_url().rstrip("/") + connection.webhook_path


# -- connections -----------------------------------------------------------------------------

CONNECTION_FIELDS = ("provider", "name", "api_key", "webhook_public_key", "base_url", "is_active")


def _check_connection(connection):
    from .registry import ADAPTERS

    if connection.provider not in ADAPTERS or connection.provider == MANUAL:
        raise ValidationError({"provider": "Choose a carrier with an API."})
    if connection.base_url:
        hosts = getattr(ADAPTERS[connection.provider], "PROVIDER_HOSTS", ())
        try:
            connection.base_url = check_base_url(connection.base_url, provider_hosts=hosts)
        except ValidationError as exc:
            raise ValidationError({"base_url": exc.messages}) from exc
    key = (connection.webhook_public_key or "").strip()
    if key:
        import base64
        import binascii

        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({"webhook_public_key": "Not base64."}) from exc
        if len(raw) != 32:
            raise ValidationError(
                {"webhook_public_key": "An Ed25519 public key is 32 bytes (44 base64 characters)."}
            )
    connection.webhook_public_key = key


@transaction.atomic
def save_connection(connection: CarrierConnection, *, by, reason: str = "", api_key=None):
    """Create or change a connection. `api_key` None keeps the stored key (write-only:
    it is never shown back); "" removes it."""
    require_role(connection.organization_id, by, OWNER_PM, "Changing a carrier connection")
    if api_key is not None:
        connection.api_key = api_key
    if connection.created_by_id is None and connection.pk is None:
        connection.created_by = by
    _check_connection(connection)
    connection.full_clean(exclude=["api_key"])
    what = "changed" if connection.pk else "added"
    return save_with_history(connection, by=by, reason=reason or f"carrier connection {what}")


@transaction.atomic
def set_order_connection(order: PortOrder, connection, *, by, reason: str = "") -> PortOrder:
    """Name the order's carrier connection (None: by hand), before it is at a carrier."""
    require_role(order.organization_id, by, OWNER_PM, "Choosing the order's carrier connection")
    locked = PortOrder.objects.select_for_update().get(pk=order.pk)
    if connection is not None:
        _usable(connection, order.organization_id)
    if locked.provider_order_id and connection != locked.connection:
        raise TransitionRefused(
            "at_carrier",
            f"The order is already at {locked.connection} (order "
            f"{locked.provider_order_id}): cancel it there first.",
        )
    if locked.state not in PortOrder.LOA_EDITABLE_STATES:
        raise TransitionRefused("state", "The connection is chosen before the order is submitted.")
    locked.connection = connection
    return save_with_history(
        locked, by=by, reason=reason or f"carrier connection: {connection or 'manual'}"
    )


def active_connections(organization, operation: Operation | None = None):
    rows = CarrierConnection.objects.filter(organization=organization, is_active=True)
    rows = [c for c in rows.order_by("name") if c.provider != MANUAL]
    if operation is None:
        return rows
    return [c for c in rows if adapter_for(c).offered(operation)]


def _usable(connection, organization_id):
    if connection is None or connection.organization_id != organization_id:
        raise ValidationError("Choose a carrier connection of this organization.")
    if not connection.is_active:
        raise ValidationError(f"The carrier connection {connection} is disabled.")
    return connection


# -- portability -----------------------------------------------------------------------------


def check_portability(connection, numbers, *, by, order=None):
    """Ask the provider whether each number can port (and port fast); store the answer on
    each number. Returns [(number, result or None)]."""
    numbers = list(numbers)
    if not numbers:
        raise ValidationError("Choose at least one number.")
    organization_id = numbers[0].organization_id
    require_role(organization_id, by, OWNER_PM, "Checking portability")
    _usable(connection, organization_id)
    bound = adapter(connection, order=order)
    _need(bound, Operation.PORTABILITY)
    results = retrying(lambda: bound.check_portability([str(n.number) for n in numbers]))
    by_number = {r.number: r for r in results}
    now = clock.now()
    shown = []
    for number in numbers:
        result = by_number.get(str(number.number))
        if result is not None:
            PhoneNumber.objects.filter(pk=number.pk).update(
                portable=result.portable,
                fast_portable=result.fast_portable,
                not_portable_reason=result.reason[:300],
                portability_checked_at=now,
                portability_source=f"{connection.provider_label} · {connection.name}"[:120],
            )
        shown.append((number, result))
    return shown


def portability_text(rows) -> str:
    portable = [n for n, r in rows if r and r.portable]
    fast = [n for n, r in rows if r and r.portable and r.fast_portable]
    refused = [(n, r) for n, r in rows if r and not r.portable]
    parts = [f"{len(portable)} of {len(rows)} number(s) can port"]
    if fast:
        parts.append(f"{len(fast)} fast (FastPort)")
    text = ", ".join(parts) + "."
    if refused:
        text += (
            " Cannot port: "
            + "; ".join(f"{n.display} ({r.reason or 'no reason given'})" for n, r in refused)
            + "."
        )
    return text


# -- CSR -------------------------------------------------------------------------------------


@dataclass
class CsrOutcome:
    account: CarrierAccount
    status: str
    error: str = ""
    findings: dict = field(default_factory=dict)  # order pk -> the LOA check's findings

    @property
    def text(self) -> str:
        if self.status == "pending":
            return "CSR requested: the carrier has not answered yet; it is fetched again shortly."
        if self.status == "failed":
            return f"The CSR request failed at the carrier: {self.error or 'no reason given'}."
        counts = [
            f"order #{pk}: {sum(f.severity == 'blocker' for f in fs)} blocker(s), "
            f"{sum(f.severity == 'warning' for f in fs)} warning(s)"
            for pk, fs in self.findings.items()
        ]
        checked = f" LOA check: {'; '.join(counts)}." if counts else ""
        return f"CSR received and recorded as the carrier returned it.{checked}"


def request_csr(account: CarrierAccount, connection, *, by) -> CsrOutcome:
    require_role(account.organization_id, by, OWNER_PM, "Requesting a CSR")
    _usable(connection, account.organization_id)
    bound = adapter(connection, account=account)
    _need(bound, Operation.CSR)
    result = retrying(
        lambda: bound.request_csr(
            btn=str(account.btn), account_number=account.account_number, pin=account.pin or ""
        )
    )
    CarrierAccount.objects.filter(pk=account.pk).update(
        csr_request_id=result.request_id[:100],
        csr_request_status=result.status,
        csr_connection=connection,
    )
    if result.status == "pending" and result.request_id:
        result = retrying(lambda: bound.fetch_csr(result.request_id))
    return _apply_csr(account, connection, result, by=by)


def fetch_pending_csr(account: CarrierAccount) -> CsrOutcome | None:
    """The beat task: a CSR requested earlier and not yet returned."""
    connection = account.csr_connection
    if connection is None or not account.csr_request_id:
        return None
    bound = adapter(connection, account=account)
    result = retrying(lambda: bound.fetch_csr(account.csr_request_id))
    return _apply_csr(account, connection, result, by=None)


def _e164_or_raw(value: str) -> str:
    try:
        return e164(parse_nanp(value))
    except ValidationError:
        return value


def _apply_csr(account, connection, result, *, by) -> CsrOutcome:
    from ..checks import findings_for_order
    from ..services import save_carrier_account

    if result.status != "completed" or result.record is None:
        CarrierAccount.objects.filter(pk=account.pk).update(csr_request_status=result.status)
        return CsrOutcome(account, result.status, error=result.error)
    record = result.record
    with transaction.atomic():
        account = CarrierAccount.objects.select_for_update().get(pk=account.pk)
        # Kept as received: the text as the carrier returned it (the LOA check compares
        # the carrier's text), the whole answer beside it.
        account.csr_account_name = record.account_name[:200]
        account.csr_authorized_person = record.authorized_person[:200]
        account.csr_address_line1 = record.address_line1[:200]
        account.csr_address_line2 = record.address_line2[:200]
        account.csr_city = record.city[:100]
        state = record.state.strip()
        account.csr_state = state if len(state) == 2 else ""
        account.csr_postal_code = record.postal_code[:10]
        account.csr_numbers = sorted({_e164_or_raw(n) for n in record.numbers})
        account.csr_date = clock.today()
        account.csr_received_at = clock.now()
        account.csr_source = f"{connection.provider_label} · {connection.name}"[:120]
        account.csr_request_status = "completed"
        account.csr_raw = record.raw or {}
        save_carrier_account(
            account,
            organization=account.organization,
            by=by,
            reason=f"CSR received from {connection.provider_label} ({result.request_id})",
        )
    findings = {}
    for order in account.port_orders.filter(state__in=PortOrder.LOA_EDITABLE_STATES):
        order.forget_cached()
        findings[order.pk] = findings_for_order(order)
    return CsrOutcome(account, "completed", findings=findings)


# -- submission ------------------------------------------------------------------------------


def _reference(order) -> str:
    return order.provider_reference or f"voipmigrate-{order.organization.slug}-{order.pk}"[:80]


def choose_foc(windows, requested_date=None) -> datetime | None:
    """The requested FOC: the start of the first allowed window on or after the order's
    requested date (the first window when none was asked for)."""
    for window in windows:
        if requested_date is None or window.end.date() >= requested_date:
            if requested_date and window.start.date() < requested_date <= window.end.date():
                return max(
                    window.start,
                    window.start.replace(
                        year=requested_date.year, month=requested_date.month, day=requested_date.day
                    ),
                )
            return window.start
    return None


def _submission(order, loa, numbers=None) -> Submission:
    account = order.carrier_account
    return Submission(
        reference=_reference(order),
        numbers=list(numbers or loa.numbers),
        business_name=loa.business_name,
        authorized_person=loa.authorized_person,
        account_number=loa.account_number,
        btn=str(loa.btn),
        pin=account.pin or "",
        address_line1=loa.service_line1,
        address_line2=loa.service_line2,
        city=loa.service_city,
        state=loa.service_state,
        postal_code=loa.service_postal_code,
        webhook_url=webhook_url(order.connection),
    )


def _documents(order, loa) -> list[Document]:
    pdf = LOA_SEALED_PDF.first(loa)
    if not pdf:
        raise TransitionRefused(
            "sealed_loa_missing",
            f"LOA version {loa.version} has no sealed signed PDF to send: have it signed "
            "through the signing link.",
        )
    bill = order.carrier_account.bills.order_by("-uploaded_at", "-pk").first()
    if bill is None:
        raise TransitionRefused(
            "bill_missing",
            "The carrier asks for a recent bill from the losing carrier: have the customer "
            "upload one in their portal first.",
        )
    with bill.file.open("rb") as handle:
        bill_bytes = handle.read()
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(bill.content_type, "jpg")
    slug = order.organization.slug
    return [
        Document("loa", f"loa-{slug}-{order.pk}-v{loa.version}.pdf", "application/pdf", pdf),
        Document("invoice", f"bill-{slug}-{order.pk}.{extension}", bill.content_type, bill_bytes),
    ]


def submit_to_carrier(order: PortOrder, *, by, reason: str = "") -> PortOrder:
    """Create (or find again) the provider's order, upload the sealed signed LOA and the
    bill, choose the requested FOC from the provider's allowed windows, submit, and only
    then record the submission here (`submit_loa`). Provider-side splits become linked
    child orders. Refused, with the rule, before anything is sent when the order could
    not be submitted by hand either (an unsigned LOA, blockers, unread warnings)."""
    require_role(order.organization_id, by, OWNER_PM, "Submitting to the carrier")
    with _submission_lock(order):
        return _submit_to_carrier(order, by=by, reason=reason)


# Two submissions of one order at once (a double click, the page and the API) would each
# look the reference up, find nothing and create: one at a time, per order, across
# processes. A session-level advisory lock, since the provider's calls run outside any
# transaction; held only for the submission.
SUBMISSION_LOCK_CLASS = 17017


@contextlib.contextmanager
def _submission_lock(order):
    from django.db import connection as db

    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [SUBMISSION_LOCK_CLASS, int(order.pk)]
        )
        taken = cursor.fetchone()[0]
    if not taken:
        raise TransitionRefused(
            "submission_in_progress",
            "This order is being submitted to the carrier right now: wait a moment and reload it.",
        )
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [SUBMISSION_LOCK_CLASS, int(order.pk)]
            )


def _submit_to_carrier(order, *, by, reason):
    from ..services import refusal

    order = PortOrder.objects.select_related("connection", "carrier_account", "organization").get(
        pk=order.pk
    )
    connection = order.connection
    if connection is None:
        raise TransitionRefused(
            "no_connection",
            "This order has no carrier connection: choose one on the order, or submit it by "
            "hand (Submit LOA).",
        )
    _usable(connection, order.organization_id)
    bound = adapter(connection, order=order)
    _need(bound, Operation.SUBMIT)
    refused = refusal(order, "submit_loa", by=by, carrier_source="check before sending")
    if refused:
        raise refused
    loa = order.current_loa()
    documents = _documents(order, loa)
    numbers = list(order.numbers.order_by("number"))
    if bound.offered(Operation.PORTABILITY):
        try:
            rows = check_portability(connection, numbers, by=by, order=order)
        except CarrierError as exc:
            _order_failed(order, exc)
            raise
        refused_numbers = [(n, r) for n, r in rows if r is not None and not r.portable]
        if refused_numbers:
            listed = "; ".join(
                f"{n.display}: {r.reason or 'not portable'}" for n, r in refused_numbers
            )
            raise TransitionRefused(
                "numbers_not_portable",
                f"{connection.provider_label} cannot port {listed}. Take the number(s) off the "
                "order before submitting.",
            )
    submission = _submission(order, loa)
    try:
        provider_orders = _provider_orders(order, bound, submission)
        submitted = []
        for provider_order in provider_orders:
            if not _editable(bound, provider_order.status):
                # An earlier attempt submitted it and its answer was lost: record it.
                submitted.append((provider_order, provider_order, {}, None))
                continue
            part = _submission(order, loa, numbers=provider_order.numbers or submission.numbers)
            ids = {}
            for document in documents:
                ids[document.kind] = retrying(lambda d=document: bound.upload_document(d))
            requested = None
            if bound.offered(Operation.FOC_WINDOWS):
                windows = retrying(lambda o=provider_order: bound.allowed_foc_windows(o.id))
                requested = choose_foc(windows, order.requested_date)
            result = retrying(
                _submit_once(
                    bound, provider_order.id, part, documents=ids, requested_foc_at=requested
                )
            )
            submitted.append((provider_order, result, ids, requested))
    except CarrierError as exc:
        _order_failed(order, exc)
        raise
    return _record_submission(order, loa, submitted, by=by, reason=reason)


def _editable(bound, status: str) -> bool:
    """Whether the provider order still takes documents and a submission (draft, or an
    exception being answered); past that, it was submitted already."""
    return bound.status_kind(status) in ("", "draft", "exception")


def _submit_once(bound, order_id, submission, *, documents, requested_foc_at):
    """The submit call for `retrying`: a retry first reads the order, since a submission
    whose answer was lost (a 5xx or a timeout after the fact) must not be sent again."""
    attempts = []

    def call():
        if attempts:
            current = bound.get_order(order_id)
            if not _editable(bound, current.status):
                return current
        attempts.append(1)
        return bound.submit_order(
            order_id, submission, documents=documents, requested_foc_at=requested_foc_at
        )

    return call


def _provider_orders(order, bound, submission) -> list[ProviderOrder]:
    """The provider's order(s) for this port order: the one already known (a
    resubmission), else found by our reference, else created. Each retry looks up first,
    so an answer lost on the way back never makes a second provider order."""
    if order.provider_order_id and (order.provider_documents or order.parent_id):
        # Submitted before (its documents are on record), or a split's child order that
        # follows its own provider order: a resubmission of that order alone.
        return [retrying(lambda: bound.get_order(order.provider_order_id))]

    def find_or_create():
        return bound.find_orders(submission.reference) or bound.create_orders(submission)

    # A first submission, or one that failed part way: every order of our reference
    # (a split at create included), the one already noted first.
    found = retrying(find_or_create)
    if not found:
        raise CarrierError("The provider created no order.")
    found.sort(key=lambda o: o.id != order.provider_order_id)
    PortOrder.objects.filter(pk=order.pk).update(
        provider_order_id=found[0].id,
        provider_reference=submission.reference,
        provider_status=found[0].status,
    )
    return found


@transaction.atomic
def _record_submission(order, loa, submitted, *, by, reason):
    from ..services import transition_order

    main, result, ids, requested = submitted[0]
    label = order.connection.provider_label
    PortOrder.objects.filter(pk=order.pk).update(
        provider_order_id=main.id,
        provider_reference=_reference(order),
        provider_status=result.status or main.status,
        requested_foc_at=requested,
        provider_documents={**ids, "loa_version": loa.version}
        if ids
        else (order.provider_documents or {"loa_version": loa.version}),
        provider_error="",
        provider_error_at=None,
        provider_next_sync_at=clock.now() + POLL_FIRST,
        provider_sync_failures=0,
        provider_quiet_polls=0,
    )
    order = transition_order(
        order,
        "submit_loa",
        by=by,
        reason=reason
        or f"submitted to {label} (order {main.id}) with the sealed LOA "
        f"v{loa.version} and the bill",
        carrier_source=f"{label} order {main.id}",
    )
    for split, split_result, split_ids, split_requested in submitted[1:]:
        _split_child(
            order,
            split.id,
            split.numbers,
            status=split_result.status,
            requested_foc_at=split_requested,
            documents=split_ids,
            by=by,
        )
    return order


def _split_child(
    order,
    provider_order_id,
    numbers,
    *,
    status="",
    requested_foc_at=None,
    documents=None,
    by=None,
    state=None,
):
    """A provider-side split: the numbers it moved leave `order` for a new linked child
    order that follows its own provider order."""
    existing = PortOrder.objects.filter(
        connection=order.connection, provider_order_id=provider_order_id
    ).first()
    if existing is not None:
        return existing
    moving = list(order.numbers.filter(number__in=list(numbers)))
    if not moving:
        return None
    child = PortOrder(
        migration=order.migration,
        carrier_account=order.carrier_account,
        parent=order,
        winning_carrier=order.winning_carrier,
        requested_date=order.requested_date,
        connection=order.connection,
        provider_order_id=provider_order_id,
        provider_reference=order.provider_reference,
        provider_status=status,
        provider_documents=documents or {},
        requested_foc_at=requested_foc_at,
        state=state or order.state,
        loa_submitted_at=order.loa_submitted_at,
        foc_at=order.foc_at,
        foc_timezone=order.foc_timezone,
        provider_next_sync_at=clock.now() + POLL_FIRST,
    )
    label = order.connection.provider_label
    save_with_history(
        child,
        by=by,
        reason=f"{label} split #{order.pk}: {len(moving)} number(s) moved to its order "
        f"{provider_order_id}",
    )
    child.numbers.set(moving)
    order.numbers.remove(*moving)
    save_with_history(order, by=by, reason=f"{label} split {len(moving)} number(s) to #{child.pk}")
    return child


# -- events in and sync ----------------------------------------------------------------------


@dataclass
class Applied:
    status: str
    reason: str


def receive_event(
    connection,
    event: ProviderEvent,
    *,
    source=CarrierEvent.Source.WEBHOOK,
    snapshot: ProviderOrder | None = None,
) -> CarrierEvent:
    """Store the event once (by the provider's id) and apply it. A duplicate (a replay,
    or the same change found by polling) is answered with the stored row, untouched."""
    try:
        with transaction.atomic():
            row, created = CarrierEvent.objects.get_or_create(
                connection=connection,
                provider_event_id=event.id[:120],
                defaults={
                    "organization_id": connection.organization_id,
                    "event_type": event.type[:80],
                    "provider_order_id": event.order_id[:64],
                    "source": source,
                    "occurred_at": event.occurred_at,
                    "payload": event.raw or {},
                },
            )
    except IntegrityError:  # the same event at the same moment: the other one applies it
        row = CarrierEvent.objects.get(connection=connection, provider_event_id=event.id[:120])
        created = False
    row.duplicate = not created
    # Polling sees a flagged change again: it is tried again (a rule that refused it, such
    # as the FOC's hour or an E911 gate, may hold now), still never forced.
    retry_flag = row.status == EventStatus.FLAGGED and row.dismissed_at is None
    if not created and retry_flag and source == CarrierEvent.Source.POLL:
        return apply_event(row, event, snapshot=snapshot)
    if not created and row.status != EventStatus.PENDING:
        return row
    return apply_event(row, event, snapshot=snapshot)


def apply_event(row: CarrierEvent, event: ProviderEvent, *, snapshot=None) -> CarrierEvent:
    connection = row.connection
    order = (
        PortOrder.objects.select_related("connection", "carrier_account")
        .filter(connection=connection, provider_order_id=event.order_id)
        .first()
        if event.order_id
        else None
    )
    if order is None:
        return _settle(
            row,
            None,
            EventStatus.IGNORED,
            f"No port order of this connection has provider order "
            f"{event.order_id or '(none named)'}.",
        )
    bound = adapter(connection, order=order)
    try:
        facts = _facts(bound, order, event, snapshot)
    except CarrierError as exc:
        # The event is kept; the poll applies it once the order can be read.
        return _settle(
            row,
            order,
            EventStatus.PENDING,
            f"Waiting: the order could not be read from the provider ({exc}).",
        )
    if event.kind == "status" and event.status:
        # What the provider says now, kept even when the change itself is refused here.
        PortOrder.objects.filter(pk=order.pk).update(provider_status=event.status[:40])
    try:
        with transaction.atomic():
            outcome = _apply(bound, order, event, facts)
    except TransitionRefused as exc:
        outcome = Applied(EventStatus.FLAGGED, f"Not applied ({exc.rule}): {exc.message}")
    except ValidationError as exc:
        outcome = Applied(EventStatus.FLAGGED, "Not applied: " + " ".join(exc.messages))
    return _settle(row, order, outcome.status, outcome.reason)


def _settle(row, order, status, reason):
    row.status = status
    row.reason = reason
    row.port_order = order
    row.save(update_fields=["status", "reason", "port_order"])
    return row


def _facts(bound, order, event, snapshot):
    """What an event alone does not say, read from the provider: the order (its FOC) for
    a status event, the moved numbers for a split."""
    if event.kind == "status" and bound.status_kind(event.status) in ("foc", "ported"):
        return snapshot or retrying(lambda: bound.get_order(event.order_id))
    if event.kind == "split" and event.split_to:
        return retrying(lambda: bound.order_numbers(event.split_to))
    return snapshot


def _apply(bound, order, event, facts) -> Applied:
    from ..services import change_foc, transition_order

    label = bound.label
    source = f"{label} event {event.id}"
    order = (
        PortOrder.objects.select_for_update(of=("self",))
        .select_related("connection")
        .get(pk=order.pk)
    )
    if event.kind == "comment":
        return _note_from_provider(order, event.note, label)
    if event.kind == "split":
        child = _split_child(order, event.split_to, facts or [], by=None)
        if child is None:
            return Applied(EventStatus.IGNORED, "None of the order's numbers moved.")
        return Applied(EventStatus.APPLIED, f"Split: the moved numbers are on #{child.pk}.")
    if event.kind != "status":
        return Applied(EventStatus.IGNORED, f"Event type {event.type} changes nothing here.")
    kind = bound.status_kind(event.status)
    here = order.get_state_display().lower()

    def flag(what):
        return Applied(
            EventStatus.FLAGGED,
            f"{label} says {what}, but the order is {here} here: check it with "
            f"{label} and record it by hand if it is right.",
        )

    def move(name, why, **context):
        transition_order(
            order, name, by=None, reason=f"{label}: {why}", carrier_source=source, **context
        )
        return Applied(
            EventStatus.APPLIED,
            f"{why}: {order.get_state_display()} → "
            f"{PortOrder.objects.get(pk=order.pk).get_state_display()}.",
        )

    if kind in ("draft", "submitted"):
        if order.state == State.LOA_SUBMITTED or (
            kind == "draft" and order.state == State.LOA_PENDING
        ):
            return Applied(
                EventStatus.APPLIED, f"{label} status {event.status}: nothing to change."
            )
        return flag(f"the order is {event.status}")
    if kind == "exception":
        first = event.exceptions[0] if event.exceptions else None
        provider_code = first.code if first else "OTHER"
        code = EXCEPTION_CODES.get(provider_code, "CARRIER_OTHER")
        text = "; ".join(f"{e.code}: {e.description}" for e in event.exceptions) or event.status
        if (
            order.state == State.REJECTED
            and order.rejections.filter(provider_code=provider_code).exists()
        ):
            return Applied(EventStatus.APPLIED, "Already recorded as rejected.")
        if order.state not in (State.LOA_SUBMITTED, State.FOC_RECEIVED):
            return flag(f"an exception ({provider_code})")
        return move(
            "reject",
            f"exception {provider_code}",
            code=code,
            provider_code=provider_code,
            carrier_text=text,
        )
    if kind == "foc":
        foc_at = facts.foc_at if facts else None
        if foc_at is None:
            return flag("the FOC is confirmed without a date")
        zone = _order_zone(order)
        confirmation = facts.support_key if facts else ""
        if order.state == State.LOA_SUBMITTED:
            return move(
                "record_foc",
                f"FOC confirmed for {foc_at:%Y-%m-%d %H:%M} UTC",
                foc_at=foc_at,
                foc_timezone=zone,
                confirmation_number=confirmation,
            )
        if order.state == State.PORT_FAILED:
            return move(
                "reschedule",
                f"new FOC {foc_at:%Y-%m-%d %H:%M} UTC",
                foc_at=foc_at,
                foc_timezone=zone,
                confirmation_number=confirmation,
            )
        if order.state == State.FOC_RECEIVED:
            if order.foc_at == foc_at:
                return Applied(EventStatus.APPLIED, "The FOC is already on record.")
            change_foc(
                order,
                new_foc_at=foc_at,
                by=None,
                carrier_source=source,
                reason=f"{label} moved the FOC (event {event.id})",
                confirmation_number=confirmation,
            )
            return Applied(
                EventStatus.APPLIED,
                f"FOC moved to {foc_at:%Y-%m-%d %H:%M} UTC; the dated steps moved with it.",
            )
        return flag(f"the FOC is confirmed for {foc_at:%Y-%m-%d %H:%M} UTC")
    if kind == "ported":
        if order.state in (State.PORT_DAY, State.COMPLETE):
            return Applied(EventStatus.APPLIED, "Already on the port-day path.")
        if order.state != State.FOC_RECEIVED:
            return flag("the numbers ported")
        ported_at = event.occurred_at or clock.now()
        return move("start_port_day", "the numbers ported", ported_at=ported_at)
    if kind == "cancel_pending":
        return Applied(EventStatus.APPLIED, f"{label} is processing a cancellation.")
    if kind == "cancelled":
        if order.state == State.CANCELLED:
            return Applied(EventStatus.APPLIED, "Already cancelled.")
        return move(
            "cancel",
            "cancelled at the provider",
            cancel_reason=f"cancelled at {label} (event {event.id})",
        )
    return Applied(EventStatus.IGNORED, f"Unknown {label} status {event.status!r}.")


def _order_zone(order) -> str:
    from ..zones import order_zones

    zone = order_zones([order]).get(order.pk)
    return getattr(zone, "key", "") or order.foc_timezone or "UTC"


def _note_from_provider(order, note, label) -> Applied:
    if note is None or not note.body:
        return Applied(EventStatus.IGNORED, "An empty comment.")
    if note.id and order.notes.filter(provider_note_id=note.id).exists():
        return Applied(EventStatus.APPLIED, "The comment is already a note on the order.")
    OrderNote.objects.create(
        organization_id=order.organization_id,
        port_order=order,
        body=note.body,
        source=OrderNote.Source.PROVIDER,
        provider_note_id=note.id[:100],
        author_name=f"{label} ({note.author or 'porting'})"[:200],
        created_at=note.at or clock.now(),
    )
    return Applied(EventStatus.APPLIED, "Added as a note on the order.")


# Polling: the first look soon after submission, then less often while nothing changes
# (up to every 6 hours), and back off the same way while the provider fails.
POLL_FIRST = timedelta(minutes=15)
POLL_MAX = timedelta(hours=6)


def poll_delay(quiet_or_failed: int) -> timedelta:
    return min(POLL_FIRST * (2 ** min(quiet_or_failed, 6)), POLL_MAX)


def sync_order(order: PortOrder, *, by=None) -> list[CarrierEvent]:
    """Read the provider's order and its comments and apply what changed, exactly as the
    events would have (the fallback for missed webhooks: a lost event delays a change,
    never loses it). `by` None: the beat task."""
    if by is not None:
        require_role(order.organization_id, by, OWNER_PM, "Syncing with the carrier")
    order = PortOrder.objects.select_related("connection").get(pk=order.pk)
    if order.connection is None or not order.provider_order_id:
        raise TransitionRefused(
            "not_at_carrier", "This order has not been submitted through a carrier connection."
        )
    bound = adapter(order.connection, order=order)
    _need(bound, Operation.STATUS)
    try:
        snapshot = retrying(lambda: bound.get_order(order.provider_order_id))
        notes = (
            retrying(lambda: bound.list_notes(order.provider_order_id))
            if bound.offered(Operation.NOTE)
            else []
        )
    except CarrierError as exc:
        failures = order.provider_sync_failures + 1
        PortOrder.objects.filter(pk=order.pk).update(
            provider_sync_failures=failures,
            provider_error=str(exc)[:2000],
            provider_error_at=clock.now(),
            provider_next_sync_at=clock.now() + poll_delay(failures),
        )
        raise
    rows = []
    changed = snapshot.status != order.provider_status
    moved = bound.status_kind(snapshot.status) == "foc" and snapshot.foc_at != order.foc_at
    foc = snapshot.foc_at.isoformat() if snapshot.foc_at else "-"
    # The same facts seen again are one event (the last one seen with them); a change
    # not seen here yet also carries how many events the order had, so a state the
    # order comes back to (a second exception with the same code, the FOC moved back)
    # is a new event, not a duplicate of the first, even within the same second of the
    # provider's `updated_at`; the same poll run twice still makes one event.
    facts = f"poll:{snapshot.id}:{snapshot.status}:{foc}:" + ",".join(
        sorted(e.code for e in snapshot.exceptions)
    )
    # Ids are at most 120 characters: the facts' start, then a digest of the rest.
    prefix = facts[:80]
    if changed or moved:
        seen_before = CarrierEvent.objects.filter(port_order=order).count()
        tail = f"{facts}:{snapshot.raw.get('updated_at') or ''}:{seen_before}"
        event_id = f"{prefix}:{hashlib.sha256(tail.encode()).hexdigest()[:32]}"
    else:
        seen = (
            CarrierEvent.objects.filter(
                connection=order.connection, provider_event_id__startswith=prefix
            )
            .order_by("-received_at", "-pk")
            .values_list("provider_event_id", flat=True)
            .first()
        )
        event_id = seen or f"{prefix}:{hashlib.sha256(facts.encode()).hexdigest()[:32]}"
    event = ProviderEvent(
        id=event_id[:120],
        type="porting_order.status_changed",
        kind="status",
        order_id=snapshot.id,
        status=snapshot.status,
        exceptions=snapshot.exceptions,
        occurred_at=clock.now(),
        raw={"polled": snapshot.raw},
    )
    rows.append(
        receive_event(order.connection, event, source=CarrierEvent.Source.POLL, snapshot=snapshot)
    )
    for note in notes:
        if note.author == "user" or order.notes.filter(provider_note_id=note.id).exists():
            continue  # ours, or already here
        note_event = ProviderEvent(
            id=f"poll-comment:{note.id}",
            type="porting_order.new_comment",
            kind="comment",
            order_id=snapshot.id,
            note=note,
            occurred_at=note.at,
        )
        rows.append(receive_event(order.connection, note_event, source=CarrierEvent.Source.POLL))
    quiet = 0 if changed else order.provider_quiet_polls + 1
    PortOrder.objects.filter(pk=order.pk).update(
        provider_synced_at=clock.now(),
        provider_sync_failures=0,
        provider_quiet_polls=quiet,
        provider_next_sync_at=clock.now() + poll_delay(quiet),
        provider_error="",
        provider_error_at=None,
    )
    return rows


def poll_due(now=None, *, limit: int = 200) -> dict:
    """The beat task: open provider orders whose next look is due, pending CSRs, and
    events that could not be applied yet. One failure never stops the others."""
    now = now or clock.now()
    counts = {"synced": 0, "failed": 0, "csr": 0, "events": 0}
    due = (
        PortOrder.objects.filter(
            state__in=PortOrder.OPEN_STATES, connection__isnull=False, connection__is_active=True
        )
        .exclude(provider_order_id="")
        .filter(models_q_due(now))
        .order_by("provider_next_sync_at", "pk")[:limit]
    )
    for order in due:
        try:
            sync_order(order)
            counts["synced"] += 1
        except Exception:  # one provider order failing must not hold up the others
            logger.warning("carrier sync of port order #%s failed", order.pk, exc_info=True)
            counts["failed"] += 1
    for account in CarrierAccount.objects.filter(csr_request_status="pending").exclude(
        csr_request_id=""
    )[:limit]:
        try:
            fetch_pending_csr(account)
            counts["csr"] += 1
        except Exception:
            logger.warning("CSR fetch for account #%s failed", account.pk, exc_info=True)
    for row in CarrierEvent.objects.filter(status=EventStatus.PENDING).select_related("connection")[
        :limit
    ]:
        try:
            _retry_pending(row)
            counts["events"] += 1
        except Exception:
            logger.warning("carrier event #%s failed to apply", row.pk, exc_info=True)
    return counts


def models_q_due(now):
    from django.db.models import Q

    return Q(provider_next_sync_at__isnull=True) | Q(provider_next_sync_at__lte=now)


def _retry_pending(row):
    """An event stored but not applied yet (its order could not be read then)."""
    if row.source != CarrierEvent.Source.WEBHOOK or not row.payload:
        return
    apply_event(row, adapter_for(row.connection).event_from(row.payload))


# -- notes, cancel, activation ---------------------------------------------------------------


def add_note(order: PortOrder, body: str, *, by) -> OrderNote:
    """A note on the order; sent to the provider as a comment when the order is there."""
    require_role(order.organization_id, by, OWNER_PM, "Adding a note")
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write the note.")
    provider_id = ""
    if order.connection_id and order.provider_order_id:
        bound = adapter(order.connection, order=order)
        if bound.offered(Operation.NOTE):
            note = retrying(lambda: bound.add_note(order.provider_order_id, body))
            provider_id = note.id
    name = (by.get_full_name() or by.get_username()) if by else ""
    return OrderNote.objects.create(
        organization_id=order.organization_id,
        port_order=order,
        body=body,
        source=OrderNote.Source.PM,
        author_name=name[:200],
        provider_note_id=provider_id[:100],
        created_by=by,
    )


def cancel_at_carrier(order: PortOrder, *, by, reason: str) -> str:
    """Ask the provider to cancel; the order is cancelled here when the provider says it
    is (its event, or the next sync)."""
    require_role(order.organization_id, by, OWNER_PM, "Cancelling at the carrier")
    if not reason.strip():
        raise TransitionRefused("cancel_reason", "Say why the order is cancelled.")
    if order.connection is None or not order.provider_order_id:
        raise TransitionRefused("not_at_carrier", "The order is not at a carrier: cancel it here.")
    bound = adapter(order.connection, order=order)
    _need(bound, Operation.CANCEL)
    result = retrying(lambda: bound.cancel_order(order.provider_order_id))
    PortOrder.objects.filter(pk=order.pk).update(provider_status=result.status[:40])
    add_note_local(order, f"Cancellation asked of {bound.label}: {reason}", by=by)
    return result.status


def add_note_local(order, body, *, by=None, source=OrderNote.Source.PM):
    name = (by.get_full_name() or by.get_username()) if by else "system"
    return OrderNote.objects.create(
        organization_id=order.organization_id,
        port_order=order,
        body=body,
        source=source,
        author_name=name[:200],
        created_by=by,
    )


def activate_on_carrier(order: PortOrder, *, by):
    """On port day, where the provider offers on-demand activation: ask it to activate the
    numbers now. The result comes back as the provider's events (ported)."""
    require_role(order.organization_id, by, ON_SITE, "Activating the numbers")
    if order.state not in (State.FOC_RECEIVED, State.PORT_DAY):
        raise TransitionRefused(
            "state", "On-demand activation is for an order with a confirmed FOC, on port day."
        )
    if order.connection is None or not order.provider_order_id:
        raise TransitionRefused("not_at_carrier", "The order is not at a carrier.")
    bound = adapter(order.connection, order=order)
    try:
        _need(bound, Operation.ACTIVATE)
    except NotOffered as exc:
        raise TransitionRefused("activation_not_offered", exc.message) from exc
    job = retrying(lambda: bound.activate(order.provider_order_id))
    add_note_local(
        order,
        f"On-demand activation requested at {bound.label} (job {job.id}, {job.status}); "
        "the port is recorded when the carrier reports it.",
        by=by,
    )
    return job


def flagged_events(order):
    return list(order.carrier_events.filter(status=EventStatus.FLAGGED, dismissed_at=None))


@transaction.atomic
def dismiss_event(row: CarrierEvent, *, by):
    require_role(row.organization_id, by, OWNER_PM, "Dismissing a flagged event")
    row.dismissed_at = clock.now()
    row.dismissed_by = by
    row.save(update_fields=["dismissed_at", "dismissed_by"])
    return row


__all__ = [
    "CsrOutcome",
    "activate_on_carrier",
    "add_note",
    "cancel_at_carrier",
    "check_portability",
    "display",
    "poll_due",
    "receive_event",
    "request_csr",
    "save_connection",
    "submit_to_carrier",
    "sync_order",
]
