"""Telnyx's porting API (https://developers.telnyx.com/docs/numbers/porting): every
route, field and status used here is cited in docs/carriers.md, "Telnyx".

Routes (all under https://api.telnyx.com/v2):

* POST /portability_checks                      portability (201, results at once)
* POST /customer_service_records                request a CSR (pending → completed)
* GET  /customer_service_records/{id}           the CSR's status and result
* GET  /porting_orders?filter[customer_reference]=…&sort[value]=created_at
                                                the lookup before a create
* POST /porting_orders                          draft order(s): Telnyx may split them
                                                (201; `phone_numbers` as objects)
* POST /documents                               the LOA and the invoice (base64 JSON)
* GET  /porting_orders/{id}/allowed_foc_windows the FOC windows
* PATCH /porting_orders/{id}                    end user, documents, requested FOC
* POST /porting_orders/{id}/actions/confirm     submit
* GET  /porting_orders/{id}                     status, FOC, exceptions
* GET  /porting_phone_numbers?filter[porting_order_id]=…  an order's numbers, paged
* GET|POST /porting_orders/{id}/comments        notes
* POST /porting_orders/{id}/actions/cancel      cancel (cancel-pending, then cancelled)
* POST /porting_orders/{id}/actions/activate    on-demand activation (FastPort)

Webhooks are signed with Ed25519: the signature (base64, header
`telnyx-signature-ed25519`) covers "{telnyx-timestamp}|{raw body}", checked with the
account's public key, the timestamp within a tolerance."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from .base import (
    Activation,
    BadSignature,
    CarrierAdapter,
    CsrRecord,
    CsrResult,
    FieldError,
    FieldErrors,
    FocWindow,
    Operation,
    Permanent,
    PortabilityResult,
    ProviderEvent,
    ProviderException,
    ProviderNote,
    ProviderOrder,
    RateLimited,
    Transient,
)
from .http import Client, check_base_url

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
PROVIDER_HOSTS = ("api.telnyx.com",)

# Porting order statuses (PortingOrderStatus.value) as this product's kinds.
STATUS_KINDS = {
    "draft": "draft",
    "in-process": "submitted",
    "submitted": "submitted",
    "exception": "exception",
    "foc-date-confirmed": "foc",
    "ported": "ported",
    "cancel-pending": "cancel_pending",
    "cancelled": "cancelled",
    "canceled": "cancelled",  # the enum's spelling in the OpenAPI-generated SDKs
}

# Exception types (GET /porting_orders/exception_types) → this product's reject-code
# catalog (porting.loa_checks.REJECT_CODES); the provider's code is kept verbatim beside.
EXCEPTION_CODES = {
    "ACCOUNT_NUMBER_MISMATCH": "ACCOUNT_MISMATCH",
    "AUTH_PERSON_MISMATCH": "AUTH_NAME_MISMATCH",
    "BTN_ATN_MISMATCH": "BTN_MISMATCH",
    "ENTITY_NAME_MISMATCH": "NAME_MISMATCH",
    "FOC_EXPIRED": "DUE_DATE_INVALID",
    "FOC_REJECTED": "DUE_DATE_INVALID",
    "LOCATION_MISMATCH": "ADDRESS_MISMATCH",
    "POSTAL_CODE_MISMATCH": "ADDRESS_MISMATCH",
    "LSR_PENDING": "PENDING_ORDER",
    "SV_CONFLICT": "PENDING_ORDER",
    "MAIN_BTN_PORTING": "BTN_PARTIAL_PORT",
    "PASSCODE_PIN_INVALID": "PIN_REQUIRED",
    "PHONE_NUMBER_HAS_SPECIAL_FEATURE": "HUNT_PILOT",
    "PHONE_NUMBER_MISMATCH": "TN_NOT_ON_ACCOUNT",
    "PHONE_NUMBER_NOT_PORTABLE": "TN_NOT_PORTABLE",
    "RATE_CENTER_NOT_PORTABLE": "TN_NOT_PORTABLE",
    "PORT_TYPE_INCORRECT": "CARRIER_OTHER",
    "PORTING_ORDER_SPLIT_REQUIRED": "CARRIER_OTHER",
    "OSP_IRRESPONSIVE": "CARRIER_OTHER",
    "SV_UNKNOWN_FAILURE": "CARRIER_OTHER",
    "OTHER": "CARRIER_OTHER",
}


def _time(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _exceptions(status: dict) -> list[ProviderException]:
    return [
        ProviderException(str(d.get("code") or "OTHER"), str(d.get("description") or ""))
        for d in (status or {}).get("details") or []
    ]


def _order(data: dict) -> ProviderOrder:
    status = data.get("status") or {}
    activation = data.get("activation_settings") or {}
    return ProviderOrder(
        id=str(data.get("id") or ""),
        status=str(status.get("value") or ""),
        foc_at=_time(activation.get("foc_datetime_actual")),
        requested_foc_at=_time(activation.get("foc_datetime_requested")),
        exceptions=_exceptions(status),
        fast_port_eligible=bool(activation.get("fast_port_eligible")),
        support_key=str(data.get("support_key") or ""),
        reference=str(data.get("customer_reference") or ""),
        numbers=_numbers(data.get("phone_numbers")),
        raw=data,
    )


def _numbers(rows) -> list[str]:
    """An order's `phone_numbers`: objects with `phone_number` in the create answer (and
    with `include_phone_numbers`), per "Create a porting order"; plain strings accepted."""
    out = []
    for row in rows or []:
        number = row.get("phone_number") if isinstance(row, dict) else row
        if isinstance(number, str) and number:
            out.append(number)
    return sorted(out)


class TelnyxAdapter(CarrierAdapter):
    key = "telnyx"
    label = "Telnyx"
    offers = frozenset(Operation)
    PROVIDER_HOSTS = PROVIDER_HOSTS

    def __init__(self, connection=None, *, log=None):
        super().__init__(connection, log=log)
        base_url = (connection.base_url if connection else "") or DEFAULT_BASE_URL
        self.base_url = check_base_url(base_url, provider_hosts=PROVIDER_HOSTS)
        self.client = Client(self.base_url, connection.api_key if connection else "", log=self.log)

    def status_kind(self, status: str) -> str:
        return STATUS_KINDS.get((status or "").lower(), "")

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method, path, *, operation, body=None, query=None, ok=(200, 201, 202)):
        answer = self.client.request(method, path, body=body, query=query, operation=operation)
        if answer.status in ok:
            return answer.json()
        raise self._error(answer)

    def _error(self, answer):
        """The Telnyx error envelope ({"errors": [{code, title, detail, source, meta}]}) as
        a typed error whose message is the provider's own words."""
        errors = answer.json().get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        words = (
            "; ".join(
                " ".join(p for p in (str(e.get("title") or ""), str(e.get("detail") or "")) if p)
                for e in errors
                if isinstance(e, dict)
            )
            or f"HTTP {answer.status}"
        )
        kwargs = {
            "status_code": answer.status,
            "request_id": answer.request_id,
            "provider_code": str(first.get("code") or ""),
        }
        if answer.status == 429:
            retry_after = answer.headers.get("retry-after")
            return RateLimited(
                f"Telnyx is rate-limiting the requests ({words}).",
                retry_after=float(retry_after) if (retry_after or "").isdigit() else None,
                **kwargs,
            )
        # "Use meta.retryable to branch automation logic" (Porting API errors): true means
        # the identical request can succeed later (10011 rate limiting, 10038 service
        # availability), whatever the status.
        retryable = any(
            isinstance(e, dict) and (e.get("meta") or {}).get("retryable") is True for e in errors
        )
        if answer.status >= 500 or retryable:
            return Transient(f"Telnyx answered {answer.status}: {words}.", **kwargs)
        if answer.status in (401, 403):
            return Permanent(
                f"Telnyx refused the connection's API key ({answer.status}): check the key on "
                "the carrier connection.",
                **kwargs,
            )
        pointed = [
            FieldError(
                str((e.get("source") or {}).get("pointer") or "/"),
                str(e.get("detail") or e.get("title") or ""),
            )
            for e in errors
            if isinstance(e, dict) and (e.get("source") or {}).get("pointer")
        ]
        if pointed and answer.status in (400, 422):
            listed = "; ".join(f"{f.field}: {f.message}" for f in pointed)
            return FieldErrors(f"Telnyx refused the request: {listed}.", pointed, **kwargs)
        return Permanent(f"Telnyx refused the request ({answer.status}): {words}.", **kwargs)

    # -- operations ------------------------------------------------------------------------

    def check_portability(self, numbers):
        data = self._call(
            "POST",
            "/portability_checks",
            operation="portability",
            body={"phone_numbers": list(numbers)},
        )
        return [
            PortabilityResult(
                number=str(r.get("phone_number") or ""),
                portable=bool(r.get("portable")),
                fast_portable=bool(r.get("fast_portable")),
                reason=str(r.get("not_portable_reason") or "") if not r.get("portable") else "",
                carrier_name=str(r.get("carrier_name") or ""),
            )
            for r in data.get("data") or []
        ]

    def _csr(self, data) -> CsrResult:
        record = None
        result = data.get("result")
        if data.get("status") == "completed" and isinstance(result, dict):
            admin, address = result.get("admin") or {}, result.get("address") or {}
            record = CsrRecord(
                account_name=str(admin.get("name") or ""),
                authorized_person=str(admin.get("authorized_person_name") or ""),
                account_number=str(admin.get("account_number") or ""),
                btn=str(admin.get("billing_phone_number") or ""),
                address_line1=str(address.get("street_address") or ""),
                city=str(address.get("locality") or ""),
                state=str(address.get("administrative_area") or ""),
                postal_code=str(address.get("postal_code") or ""),
                numbers=[str(n) for n in result.get("associated_phone_numbers") or []],
                carrier_name=str(result.get("carrier_name") or ""),
                raw=result,
            )
        return CsrResult(
            request_id=str(data.get("id") or ""),
            status=str(data.get("status") or "pending"),
            record=record,
            error=str(data.get("error_message") or ""),
        )

    def request_csr(self, *, btn, account_number="", pin=""):
        additional = {k: v for k, v in (("account_number", account_number), ("pin", pin)) if v}
        body = {"phone_number": btn, **({"additional_data": additional} if additional else {})}
        data = self._call("POST", "/customer_service_records", operation="csr", body=body)
        return self._csr(data.get("data") or {})

    def fetch_csr(self, request_id):
        data = self._call("GET", f"/customer_service_records/{request_id}", operation="csr")
        return self._csr(data.get("data") or {})

    def find_orders(self, reference):
        # Oldest first (`sort[value]=created_at`; the list's default is newest first), so
        # the order a create answered first stays first; each with its numbers, which the
        # list omits unless asked (a split found again needs them).
        data = self._call(
            "GET",
            "/porting_orders",
            operation="lookup",
            query={"filter[customer_reference]": reference, "sort[value]": "created_at"},
        )
        found = [
            _order(o) for o in data.get("data") or [] if o.get("customer_reference") == reference
        ]
        return [replace(o, numbers=o.numbers or self.order_numbers(o.id)) for o in found]

    def create_orders(self, submission):
        body = {"phone_numbers": submission.numbers, "customer_reference": submission.reference}
        data = self._call("POST", "/porting_orders", operation="create", body=body)
        orders = data.get("data") or []
        if isinstance(orders, dict):
            orders = [orders]
        created = [_order(o) for o in orders]
        # Which numbers went to which order (a split): asked of each order.
        return [replace(o, numbers=o.numbers or self.order_numbers(o.id)) for o in created]

    def order_numbers(self, order_id):
        # Paginated (page[size] defaults to 20): every page, up to `meta.total_pages`.
        numbers, page = [], 1
        while True:
            data = self._call(
                "GET",
                "/porting_phone_numbers",
                operation="numbers",
                query={
                    "filter[porting_order_id]": order_id,
                    "page[number]": page,
                    "page[size]": 100,
                },
            )
            numbers += [str(n.get("phone_number")) for n in data.get("data") or []]
            total = (data.get("meta") or {}).get("total_pages") or 1
            if page >= min(int(total), 100):
                return sorted(numbers)
            page += 1

    def upload_document(self, document):
        body = {
            "file": base64.b64encode(document.data).decode("ascii"),
            "filename": document.filename,
            "customer_reference": document.kind,
        }
        data = self._call("POST", "/documents", operation=f"document:{document.kind}", body=body)
        return str((data.get("data") or {}).get("id") or "")

    def allowed_foc_windows(self, order_id):
        data = self._call(
            "GET", f"/porting_orders/{order_id}/allowed_foc_windows", operation="foc_windows"
        )
        windows = []
        for w in data.get("data") or []:
            start = _time(w.get("started_at") or w.get("start_time"))
            end = _time(w.get("ended_at") or w.get("end_time"))
            if start and end:
                windows.append(FocWindow(start, end))
        return sorted(windows, key=lambda w: w.start)

    def submit_order(self, order_id, submission, *, documents, requested_foc_at):
        admin = {
            "entity_name": submission.business_name,
            "auth_person_name": submission.authorized_person,
            "account_number": submission.account_number,
            "billing_phone_number": submission.btn,
        }
        if submission.pin:
            admin["pin_passcode"] = submission.pin
        body = {
            "customer_reference": submission.reference,
            "end_user": {
                "admin": admin,
                "location": {
                    "street_address": submission.address_line1,
                    "extended_address": submission.address_line2,
                    "locality": submission.city,
                    "administrative_area": submission.state,
                    "postal_code": submission.postal_code,
                    "country_code": submission.country_code,
                },
            },
            "documents": documents,
        }
        if requested_foc_at:
            body["activation_settings"] = {"foc_datetime_requested": _iso(requested_foc_at)}
        if submission.webhook_url:
            body["webhook_url"] = submission.webhook_url
        self._call("PATCH", f"/porting_orders/{order_id}", operation="update", body=body)
        data = self._call(
            "POST", f"/porting_orders/{order_id}/actions/confirm", operation="confirm"
        )
        return _order(data.get("data") or {})

    def get_order(self, order_id):
        data = self._call("GET", f"/porting_orders/{order_id}", operation="status")
        return _order(data.get("data") or {})

    def list_notes(self, order_id):
        data = self._call("GET", f"/porting_orders/{order_id}/comments", operation="notes")
        return [
            ProviderNote(
                str(c.get("id") or ""),
                str(c.get("body") or ""),
                str(c.get("user_type") or ""),
                _time(c.get("created_at")),
            )
            for c in data.get("data") or []
        ]

    def add_note(self, order_id, body):
        data = self._call(
            "POST", f"/porting_orders/{order_id}/comments", operation="note", body={"body": body}
        )
        c = data.get("data") or {}
        return ProviderNote(
            str(c.get("id") or ""),
            str(c.get("body") or body),
            str(c.get("user_type") or "user"),
            _time(c.get("created_at")),
        )

    def cancel_order(self, order_id):
        data = self._call("POST", f"/porting_orders/{order_id}/actions/cancel", operation="cancel")
        return _order(data.get("data") or {})

    def activate(self, order_id):
        data = self._call(
            "POST", f"/porting_orders/{order_id}/actions/activate", operation="activate"
        )
        job = data.get("data") or {}
        return Activation(
            str(job.get("id") or ""), str(job.get("status") or ""), _time(job.get("activate_at"))
        )

    # -- events in -------------------------------------------------------------------------

    def parse_event(self, headers, body, *, now):
        verify_signature(
            self.connection.webhook_public_key if self.connection else "", headers, body, now=now
        )
        try:
            envelope = json.loads(body)
        except ValueError as exc:
            raise BadSignature("The body is not JSON.") from exc
        return event_from(envelope.get("data") if isinstance(envelope, dict) else None)

    def event_from(self, data):
        return event_from(data)


def verify_signature(public_key_b64: str, headers, body: bytes, *, now: datetime) -> int:
    """Check Telnyx's Ed25519 signature over "{timestamp}|{body}" and the timestamp's age;
    returns the timestamp, or raises BadSignature."""
    signature = headers.get("telnyx-signature-ed25519") or ""
    timestamp = headers.get("telnyx-timestamp") or ""
    if not public_key_b64:
        raise BadSignature("The connection has no webhook public key.")
    # ASCII digits of a plausible Unix time only: str.isdigit() takes "²", and int() of a
    # huge run of digits, or fromtimestamp() of a year past 9999, raises.
    if not signature or not re.fullmatch(r"[0-9]{1,11}", timestamp):
        raise BadSignature("The request is not signed.")
    tolerance = timedelta(seconds=settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS)
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise BadSignature("The signature's timestamp is not a time.") from None
    if abs(now - sent) > tolerance:
        raise BadSignature("The signature's timestamp is outside the tolerance (a replay?).")
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature), timestamp.encode() + b"|" + body)
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise BadSignature("The signature does not verify.") from exc
    return int(timestamp)


def event_from(data) -> ProviderEvent:
    """A webhook's `data` (or an entry of GET /porting/events) as a ProviderEvent."""
    if not isinstance(data, dict) or not data.get("id"):
        raise BadSignature("The event has no id.")
    event_type = str(data.get("event_type") or "")
    payload = data.get("payload") or {}
    common = {
        "id": str(data["id"]),
        "type": event_type,
        "raw": data,
        "occurred_at": _time(data.get("occurred_at") or data.get("created_at")),
    }
    if event_type == "porting_order.status_changed":
        status = payload.get("status") or {}
        return ProviderEvent(
            **common,
            kind="status",
            order_id=str(payload.get("id") or ""),
            status=str(status.get("value") or ""),
            exceptions=_exceptions(status),
        )
    if event_type == "porting_order.new_comment":
        c = payload.get("comment") or {}
        note = ProviderNote(
            str(c.get("id") or ""),
            str(c.get("body") or ""),
            str(c.get("user_type") or ""),
            _time(c.get("inserted_at")),
        )
        order_id = str(payload.get("porting_order_id") or data.get("porting_order_id") or "")
        return ProviderEvent(**common, kind="comment", order_id=order_id, note=note)
    if event_type == "porting_order.split":
        return ProviderEvent(
            **common,
            kind="split",
            order_id=str((payload.get("from") or {}).get("id") or ""),
            split_to=str((payload.get("to") or {}).get("id") or ""),
        )
    order_id = str(payload.get("id") or payload.get("porting_order_id") or "")
    return ProviderEvent(**common, kind="other", order_id=order_id)
