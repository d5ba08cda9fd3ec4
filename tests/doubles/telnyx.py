"""A local double of Telnyx's porting API: a small threaded HTTP server the tests start
on 127.0.0.1 (a random port). It implements the documented subset the adapter relies on
(porting/carriers/telnyx.py, docs/carriers.md): the routes, their status codes, the error
envelope, the porting order's state machine, allowed FOC windows, documents, CSRs,
comments, activation jobs, and webhooks signed with a test Ed25519 key. Every example
payload is shaped on the page cited beside it. It is a provider, not a mock of our
functions: the product reaches it over HTTP exactly as it reaches Telnyx.

Test controls (what Telnyx's porting operations and the losing carrier do):
`set_status`, `comment`, `split`, `fail_next` (a 5xx, before or after the request took
effect), and `outbox` (signed webhooks, delivered with `deliver` or dropped)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

API_KEY = "KEYtest_double_0123456789"

# The porting order's statuses and the moves between them.
# https://developers.telnyx.com/docs/numbers/porting/getting-started (the flow: draft →
# submitted/in-process → exception | foc-date-confirmed → ported), .../cancel-port-order
# (cancel-pending → cancelled), PortingOrderStatus.value in the OpenAPI-generated SDKs
# (github.com/team-telnyx/telnyx-java docs/PortingOrderStatus.md).
MOVES = {
    "draft": {"in-process", "submitted", "cancelled"},
    "in-process": {"submitted", "exception", "foc-date-confirmed", "cancel-pending"},
    "submitted": {"in-process", "exception", "foc-date-confirmed", "cancel-pending"},
    "exception": {"submitted", "cancel-pending"},
    "foc-date-confirmed": {"ported", "exception", "cancel-pending", "foc-date-confirmed"},
    "cancel-pending": {"cancelled"},
    "ported": set(),
    "cancelled": set(),
}


def _now():
    return datetime.now(UTC)


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(code, title, detail, *, pointer="/", retryable=False):
    """The Porting API error envelope.
    https://developers.telnyx.com/docs/numbers/porting/api-errors (10011 and 10038 are
    documented there; the 80003-80006 used below for refusals are placeholders in the
    documented porting-specific 80xxx range, not Telnyx's own numbers)."""
    return {
        "errors": [
            {
                "code": code,
                "title": title,
                "detail": detail,
                "source": {"pointer": pointer},
                "meta": {
                    "retryable": retryable,
                    "url": f"https://developers.telnyx.com/docs/api/v2/overview#{code}",
                },
            }
        ]
    }


class TelnyxDouble:
    def __init__(self, *, foc_lead_days=12):
        self.lock = threading.RLock()
        self.private_key = Ed25519PrivateKey.generate()
        self.public_key_b64 = base64.b64encode(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ).decode()
        self.orders: dict[str, dict] = {}
        self.numbers: dict[str, list[str]] = {}  # order id -> its numbers
        self.documents: dict[str, dict] = {}
        self.csrs: dict[str, dict] = {}
        self.csr_records: dict[str, dict] = {}  # BTN -> the CSR's result
        self.comments: dict[str, list] = {}
        self.not_portable: dict[str, str] = {}  # number -> not_portable_reason
        self.fast_portable: set[str] = set()
        self.split_at_create: set[str] = set()  # numbers Telnyx puts on an order of their own
        self.requests: list[tuple[str, str, dict]] = []
        self.failures: list[dict] = []
        self.outbox: list[dict] = []
        self.foc_lead_days = foc_lead_days
        self.server = None
        self.thread = None

    # -- server ----------------------------------------------------------------------------

    def start(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = double.handle(method, self.path, dict(self.headers.items()), raw)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if self.headers.get("X-Request-Id"):
                    self.send_header("x-request-id", self.headers["X-Request-Id"])
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2"

    # -- test controls ---------------------------------------------------------------------

    def fail_next(self, method, path_prefix, *, status=500, after=False, times=1, retryable=None):
        """The next matching request answers `status`; with `after`, only once it took
        effect (the answer is lost on the way back, as a timeout would lose it)."""
        self.failures.append(
            {
                "method": method,
                "prefix": path_prefix,
                "status": status,
                "after": after,
                "times": times,
                "retryable": retryable,
            }
        )

    def calls(self, method, path):
        """The requests made to `path` (every path under it when it ends with "/")."""
        return [
            r
            for r in self.requests
            if r[0] == method and (r[1].startswith(path) if path.endswith("/") else r[1] == path)
        ]

    def set_status(self, order_id, value, *, details=(), foc=None):
        """Telnyx's porting operations (or the losing carrier) move the order."""
        with self.lock:
            order = self.orders[order_id]
            current = order["status"]["value"]
            assert value in MOVES[current], f"{current} → {value} is not a Telnyx move"
            order["status"] = {
                "value": value,
                "details": [{"code": code, "description": text} for code, text in details],
            }
            if foc is not None:
                order["activation_settings"]["foc_datetime_actual"] = _iso(foc)
            order["updated_at"] = _iso(_now())
            self._status_event(order)

    def comment(self, order_id, body, *, user_type="admin"):
        with self.lock:
            comment = self._comment(order_id, body, user_type)
            # https://developers.telnyx.com/docs/numbers/porting/port-in-notifications
            # ("New Comment"); payload fields as PortingEventNewCommentEvent
            # (github.com/team-telnyx/telnyx-python src/telnyx/types/porting/).
            self._queue(
                "porting_order.new_comment",
                {
                    "comment": {
                        "id": comment["id"],
                        "body": body,
                        "inserted_at": comment["created_at"],
                        "user_id": str(uuid.uuid4()),
                        "user_type": user_type,
                    },
                    "porting_order_id": order_id,
                    "support_key": self.orders[order_id]["support_key"],
                },
            )

    def split(self, order_id, numbers):
        """Telnyx splits numbers off a submitted order into a new one."""
        with self.lock:
            source = self.orders[order_id]
            new = self._new_order(numbers, source["customer_reference"])
            new["status"] = dict(source["status"])
            self.numbers[order_id] = [n for n in self.numbers[order_id] if n not in numbers]
            source["porting_phone_numbers_count"] = len(self.numbers[order_id])
            # https://developers.telnyx.com/docs/numbers/porting/port-in-notifications
            # ("Split port-in order"); PortingEventSplitEvent (telnyx-python).
            self._queue(
                "porting_order.split",
                {
                    "from": {"id": order_id},
                    "to": {"id": new["id"]},
                    "porting_phone_numbers": [{"id": str(uuid.uuid4())} for _ in numbers],
                },
            )
            return new["id"]

    def signed(self, body: bytes, *, timestamp=None):
        """Headers Telnyx signs a webhook with: Ed25519 over "{timestamp}|{body}".
        https://developers.telnyx.com/docs/development/api-fundamentals/webhooks"""
        timestamp = str(int(timestamp if timestamp is not None else _now().timestamp()))
        signature = self.private_key.sign(timestamp.encode() + b"|" + body)
        return {
            "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
            "telnyx-timestamp": timestamp,
        }

    def deliver(self, client, url, *, keep=False):
        """POST every queued webhook, signed now, through the Django test client."""
        responses = []
        with self.lock:
            queued, self.outbox = list(self.outbox), ([] if not keep else list(self.outbox))
        for envelope in queued:
            body = json.dumps(envelope).encode()
            headers = self.signed(body)
            responses.append(
                client.post(
                    url,
                    data=body,
                    content_type="application/json",
                    HTTP_TELNYX_SIGNATURE_ED25519=headers["telnyx-signature-ed25519"],
                    HTTP_TELNYX_TIMESTAMP=headers["telnyx-timestamp"],
                )
            )
        return responses

    def drop_outbox(self):
        """A webhook lost on the way (the receiver was down, a network fault)."""
        with self.lock:
            dropped, self.outbox = self.outbox, []
        return dropped

    # -- internals -------------------------------------------------------------------------

    def _queue(self, event_type, payload):
        # https://developers.telnyx.com/docs/numbers/porting/cancel-port-order (the
        # porting_order.status_changed example: data.event_type, id, occurred_at, payload,
        # record_type "event"; meta.attempt, meta.delivered_to).
        self.outbox.append(
            {
                "data": {
                    "event_type": event_type,
                    "id": str(uuid.uuid4()),
                    "occurred_at": _iso(_now()),
                    "payload": payload,
                    "record_type": "event",
                },
                "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks"},
            }
        )

    def _status_event(self, order):
        self._queue(
            "porting_order.status_changed",
            {
                "customer_reference": order["customer_reference"],
                "id": order["id"],
                "status": order["status"],
                "support_key": order["support_key"],
                "updated_at": order["updated_at"],
                "webhook_url": order.get("webhook_url"),
            },
        )

    def _comment(self, order_id, body, user_type):
        # https://developers.telnyx.com/api-reference/porting-orders/create-a-comment-for-a-porting-order
        comment = {
            "id": str(uuid.uuid4()),
            "body": body,
            "porting_order_id": order_id,
            "user_type": user_type,
            "record_type": "porting_comment",
            "created_at": _iso(_now()),
        }
        self.comments.setdefault(order_id, []).append(comment)
        return comment

    def _new_order(self, numbers, reference):
        # https://developers.telnyx.com/api-reference/porting-orders/submit-a-porting-order
        # (the porting order's fields in the response example).
        order_id = str(uuid.uuid4())
        fast = all(n in self.fast_portable for n in numbers)
        order = {
            "id": order_id,
            "record_type": "porting_order",
            "customer_reference": reference,
            "created_at": _iso(_now()),
            "updated_at": _iso(_now()),
            "status": {"value": "draft", "details": []},
            "support_key": f"sr_{order_id[:6]}",
            "parent_support_key": None,
            "porting_phone_numbers_count": len(numbers),
            "old_service_provider_ocn": "Unreal Communications",
            "documents": {"loa": None, "invoice": None},
            "end_user": {"admin": {}, "location": {}},
            "activation_settings": {
                "foc_datetime_requested": None,
                "foc_datetime_actual": None,
                "fast_port_eligible": fast,
                "activation_status": None,
            },
            "misc": {
                "type": "full",
                "remaining_numbers_action": None,
                "new_billing_phone_number": None,
            },
            "phone_number_type": "local",
            "description": "",
            "requirements_met": False,
            "webhook_url": None,
        }
        self.orders[order_id] = order
        self.numbers[order_id] = sorted(numbers)
        return order

    def windows(self):
        """Allowed FOC windows: business days from the lead time on, 15:00-23:00 UTC.
        https://developers.telnyx.com/docs/v2/numbers/porting/port_in_resources/allowed_foc_dates"""
        day = (_now() + timedelta(days=self.foc_lead_days)).date()
        out = []
        while len(out) < 10:
            if day.weekday() < 5:
                start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
                out.append((start, start + timedelta(hours=8)))
            day += timedelta(days=1)
        return out

    def _failure(self, method, path, when_after):
        for failure in self.failures:
            if (
                failure["method"] == method
                and path.startswith(failure["prefix"])
                and (failure["after"] == when_after)
            ):
                failure["times"] -= 1
                if failure["times"] <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def handle(self, method, raw_path, headers, raw):
        parts = urlsplit(raw_path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        with self.lock:
            self.requests.append((method, path, body if isinstance(body, dict) else {}))
            if headers.get("Authorization") != f"Bearer {API_KEY}":
                return 401, error(
                    "10009", "Authentication failed", "The API key is missing or wrong."
                )
            if body is None:
                return 400, error("10002", "Invalid request", "The body is not JSON.")
            failed = self._failure(method, path, False)
            if failed:
                return failed["status"], self._failure_body(failed)
            status, answer = self._route(method, path, query, body)
            failed = self._failure(method, path, True)
            if failed:
                return failed["status"], self._failure_body(failed)
            return status, answer

    @staticmethod
    def _failure_body(failure):
        """The envelope a failure carries (Porting API errors: 10038 service availability
        and 10011 rate limiting are `retryable`; a refused request is not)."""
        status = failure["status"]
        if failure["retryable"] is not None:
            return error(
                "10038" if failure["retryable"] else "10015",
                "Service unavailable" if failure["retryable"] else "Bad Request",
                "Try again later." if failure["retryable"] else "Not well-formed.",
                retryable=failure["retryable"],
            )
        if status >= 500:
            return error("10038", "Service unavailable", "Try again later.", retryable=True)
        if status == 429:
            return error(
                "10011",
                "Too many requests",
                "You have exceeded the maximum number of allowed requests.",
                retryable=True,
            )
        return error(
            "10015",
            "Bad Request",
            "The request failed because it was not well-formed.",
            pointer="/",
        )

    def _route(self, method, path, query, body):
        seg = [p for p in path.split("/") if p]
        if seg[:1] != ["v2"]:
            return 404, error("10005", "Resource not found", path)
        seg = seg[1:]
        if method == "POST" and seg == ["portability_checks"]:
            return 201, {"data": [self._portability(n) for n in body.get("phone_numbers") or []]}
        if seg[:1] == ["customer_service_records"]:
            return self._csr_route(method, seg, body)
        if method == "POST" and seg == ["documents"]:
            return self._document(body)
        if method == "GET" and seg == ["porting_phone_numbers"]:
            # listPortingPhoneNumbers (telnyx-java docs/PortingOrdersApi.md):
            # filter[porting_order_id], page[number], page[size] (default 20).
            order_id = query.get("filter[porting_order_id]", "")
            numbers = self.numbers.get(order_id, [])
            size = max(1, min(int(query.get("page[size]") or 20), 250))
            page = max(1, int(query.get("page[number]") or 1))
            rows = numbers[(page - 1) * size : page * size]
            return 200, {
                "data": [
                    {
                        "phone_number": n,
                        "porting_order_id": order_id,
                        "record_type": "porting_phone_number",
                    }
                    for n in rows
                ],
                "meta": {
                    "page_number": page,
                    "page_size": size,
                    "total_pages": max(1, -(-len(numbers) // size)),
                    "total_results": len(numbers),
                },
            }
        if seg == ["porting_orders"]:
            if method == "GET":
                # List all porting orders: newest first unless `sort[value]=created_at`
                # (PortingOrderListParams in the OpenAPI-generated telnyx-python SDK).
                reference = query.get("filter[customer_reference]")
                rows = [
                    o
                    for o in reversed(list(self.orders.values()))
                    if reference is None or o["customer_reference"] == reference
                ]
                if query.get("sort[value]") == "created_at":
                    rows.reverse()
                return 200, {
                    "data": [self._without_numbers(o) for o in rows],
                    "meta": {
                        "page_number": 1,
                        "page_size": 25,
                        "total_pages": 1,
                        "total_results": len(rows),
                    },
                }
            if method == "POST":
                return self._create(body)
        if len(seg) >= 2 and seg[0] == "porting_orders":
            order = self.orders.get(seg[1])
            if order is None:
                return 404, error("10005", "Resource not found", "No such porting order.")
            return self._order_route(method, order, seg[2:], body, query)
        return 404, error("10005", "Resource not found", path)

    def _portability(self, number):
        # https://developers.telnyx.com/docs/numbers/porting/quickstart/index (step 1)
        reason = self.not_portable.get(number)
        return {
            "carrier_name": "" if reason else "example_carrier",
            "fast_portable": reason is None and number in self.fast_portable,
            "messaging_capable": reason is None,
            "not_portable_reason": reason,
            "phone_number": number,
            "phone_number_type": "local",
            "portable": reason is None,
            "record_type": "portability_check_result",
        }

    def _csr_route(self, method, seg, body):
        # https://developers.telnyx.com/api-reference/customer-service-record/create-a-customer-service-record
        # and .../get-a-customer-service-record; the record's fields as CustomerServiceRecord
        # (github.com/team-telnyx/telnyx-python src/telnyx/types/customer_service_record.py).
        if method == "POST" and len(seg) == 1:
            number = body.get("phone_number")
            if not number:
                return 422, error(
                    "10015",
                    "Invalid attribute",
                    "phone_number is required.",
                    pointer="/phone_number",
                )
            csr = {
                "id": str(uuid.uuid4()),
                "phone_number": number,
                "status": "pending",
                "result": None,
                "error_message": None,
                "record_type": "customer_service_record",
                "created_at": _iso(_now()),
                "updated_at": _iso(_now()),
            }
            self.csrs[csr["id"]] = csr
            return 201, {"data": csr}
        if method == "GET" and len(seg) == 2:
            csr = self.csrs.get(seg[1])
            if csr is None:
                return 404, error("10005", "Resource not found", "No such CSR.")
            if csr["status"] == "pending":  # the losing carrier answers by the first look
                record = self.csr_records.get(csr["phone_number"])
                if record is None:
                    csr.update(
                        status="failed", error_message="The losing carrier found no account."
                    )
                else:
                    csr.update(status="completed", result=record)
            return 200, {"data": csr}
        return 404, error("10005", "Resource not found", "/".join(seg))

    def _document(self, body):
        # https://developers.telnyx.com/api-reference/documents/upload-a-document (inline:
        # base64 `file`, `filename`, `customer_reference`).
        try:
            data = base64.b64decode(body.get("file") or "", validate=True)
        except ValueError:
            data = b""
        if not data:
            return 422, error(
                "10015", "Invalid attribute", "file must be base64 content.", pointer="/file"
            )
        doc = {
            "id": str(uuid.uuid4()),
            "filename": body.get("filename") or "file",
            "customer_reference": body.get("customer_reference"),
            "record_type": "document",
            "size": {"amount": len(data), "unit": "bytes"},
            "status": "pending",
            "created_at": _iso(_now()),
        }
        self.documents[doc["id"]] = {**doc, "data": data}
        return 200, {"data": doc}

    def _create(self, body):
        # https://developers.telnyx.com/docs/numbers/porting/getting-started: numbers must
        # pass a portability check; orders may be split (here: `split_at_create`).
        numbers = body.get("phone_numbers") or []
        if not numbers:
            return 422, error(
                "10015", "Invalid attribute", "phone_numbers is required.", pointer="/phone_numbers"
            )
        refused = [n for n in numbers if n in self.not_portable]
        if refused:
            return 422, error(
                "80003",
                "Phone number not portable",
                f"{refused[0]}: {self.not_portable[refused[0]]}",
                pointer="/phone_numbers",
            )
        reference = body.get("customer_reference")
        groups = [
            [n for n in numbers if n not in self.split_at_create],
            [n for n in numbers if n in self.split_at_create],
        ]
        created = [self._new_order(g, reference) for g in groups if g]
        # The answer lists each draft's `phone_numbers` as objects ("Create a porting
        # order", ListDraftPortingOrdersWithoutPagination).
        return 201, {"data": [self._with_numbers(o) for o in created]}

    def _with_numbers(self, order):
        return {
            **order,
            "phone_numbers": [
                {"activation_status": None, "phone_number": n, "phone_number_type": "local"}
                for n in self.numbers[order["id"]]
            ],
        }

    @staticmethod
    def _without_numbers(order):
        return {k: v for k, v in order.items() if k != "phone_numbers"}

    def _order_route(self, method, order, rest, body, query):
        value = order["status"]["value"]
        if method == "GET" and not rest:
            # `include_phone_numbers` (PortingOrderRetrieveParams): the numbers as objects.
            if query.get("include_phone_numbers") == "true":
                return 200, {"data": self._with_numbers(order)}
            return 200, {"data": order}
        if method == "PATCH" and not rest:
            if value not in ("draft", "exception"):
                return 422, error(
                    "80004", "Porting order cannot be edited", f"The order is {value}."
                )
            for key in ("customer_reference", "webhook_url"):
                if key in body:
                    order[key] = body[key]
            for key in ("end_user", "documents", "misc"):
                if isinstance(body.get(key), dict):
                    order[key] = {**order.get(key, {}), **body[key]}
            requested = (body.get("activation_settings") or {}).get("foc_datetime_requested")
            if requested:
                moment = datetime.fromisoformat(requested.replace("Z", "+00:00"))
                if not any(s <= moment <= e for s, e in self.windows()):
                    return 422, error(
                        "10015",
                        "Invalid attribute",
                        "The requested FOC is outside the allowed FOC windows.",
                        pointer="/activation_settings/foc_datetime_requested",
                    )
                order["activation_settings"]["foc_datetime_requested"] = requested
            order["updated_at"] = _iso(_now())
            return 200, {"data": order}
        if method == "GET" and rest == ["allowed_foc_windows"]:
            return 200, {
                "data": [
                    {
                        "started_at": _iso(s),
                        "ended_at": _iso(e),
                        "start_time": _iso(s),
                        "end_time": _iso(e),
                        "record_type": "allowed_foc_window",
                    }
                    for s, e in self.windows()
                ]
            }
        if rest == ["comments"]:
            if method == "GET":
                return 200, {"data": self.comments.get(order["id"], [])}
            if not (body.get("body") or "").strip():
                return 422, error(
                    "10015", "Invalid attribute", "body is required.", pointer="/body"
                )
            return 201, {"data": self._comment(order["id"], body["body"], "user")}
        if method == "POST" and rest == ["actions", "confirm"]:
            return self._confirm(order)
        if method == "POST" and rest == ["actions", "cancel"]:
            foc = order["activation_settings"].get("foc_datetime_actual")
            if foc and datetime.fromisoformat(foc.replace("Z", "+00:00")) - _now() < timedelta(
                hours=48
            ):
                # https://developers.telnyx.com/docs/numbers/porting/cancel-port-order
                return 422, error(
                    "80005",
                    "Cancellation not allowed",
                    "Within 48 hours of the FOC: contact support.",
                )
            if "cancel-pending" not in MOVES[value] and value != "draft":
                return 422, error("80004", "Cannot cancel", f"The order is {value}.")
            order["status"] = {
                "value": "cancelled" if value == "draft" else "cancel-pending",
                "details": [],
            }
            self._status_event(order)
            return 200, {"data": order}
        if method == "POST" and rest == ["actions", "activate"]:
            # https://developers.telnyx.com/docs/numbers/porting/on-demand-activations and
            # .../api-reference/porting-orders/
            #    activate-every-number-in-a-porting-order-asynchronously
            if (
                value != "foc-date-confirmed"
                or not order["activation_settings"]["fast_port_eligible"]
            ):
                return 422, error(
                    "80006",
                    "Activation not allowed",
                    "Only a FastPort order with a confirmed FOC activates on demand.",
                )
            job = {
                "id": str(uuid.uuid4()),
                "status": "created",
                "activation_type": "on-demand",
                "activate_at": _iso(_now()),
                "record_type": "porting_activation_job",
                "activation_windows": [],
                "created_at": _iso(_now()),
                "updated_at": _iso(_now()),
            }
            self.set_status(order["id"], "ported")  # the job runs at once here
            return 202, {"data": job}
        return 404, error("10005", "Resource not found", "/".join(rest))

    def _confirm(self, order):
        value = order["status"]["value"]
        if value not in ("draft", "exception"):
            return 422, error(
                "80004", "Porting order cannot be submitted", f"The order is {value}."
            )
        admin, location = order["end_user"].get("admin", {}), order["end_user"].get("location", {})
        for pointer, present in (
            ("/end_user/admin/entity_name", admin.get("entity_name")),
            ("/end_user/admin/auth_person_name", admin.get("auth_person_name")),
            ("/end_user/admin/billing_phone_number", admin.get("billing_phone_number")),
            ("/end_user/location/street_address", location.get("street_address")),
            ("/end_user/location/postal_code", location.get("postal_code")),
            ("/documents/loa", order["documents"].get("loa") in self.documents),
            ("/documents/invoice", order["documents"].get("invoice") in self.documents),
        ):
            if not present:
                return 422, error(
                    "10015", "Invalid attribute", f"{pointer} is required.", pointer=pointer
                )
        order["status"] = {"value": "submitted", "details": []}
        order["updated_at"] = _iso(_now())
        self._status_event(order)
        return 200, {"data": order}
