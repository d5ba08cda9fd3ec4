"""The carrier-adapter interface (docs/carriers.md).

An adapter turns this product's port order into a provider's calls and the provider's
answers back into plain dataclasses; it knows nothing of models, services or the
database. Every operation a provider may lack is listed in `Operation`; an adapter says
which it `offers`, and the services refuse the others with the adapter's own words.

Errors are typed, so that the services decide what to retry:

* `FieldErrors`: the provider refused the request's content (a 4xx naming fields);
* `RateLimited`: 429, retried after a pause;
* `Transient`: 5xx, a timeout or a broken connection, retried with backoff;
* `Permanent`: any other refusal (bad key, unknown order, wrong state): not retried;
* `NotOffered`: the adapter has no such operation (the manual adapter has none).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


class Operation(enum.StrEnum):
    PORTABILITY = "portability"
    CSR = "csr"
    SUBMIT = "submit"
    STATUS = "status"
    FOC_WINDOWS = "foc_windows"
    CANCEL = "cancel"
    NOTE = "note"
    ACTIVATE = "activate"
    EVENTS = "events"


# -- errors ---------------------------------------------------------------------------------


class CarrierError(Exception):
    """A provider call failed. `message` is meant for the PM and never carries a secret."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str = "",
        provider_code: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.provider_code = provider_code

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class FieldError:
    field: str  # the provider's pointer, e.g. "/end_user/admin/account_number"
    message: str


class FieldErrors(CarrierError):
    def __init__(self, message: str, errors: list[FieldError], **kwargs):
        super().__init__(message, **kwargs)
        self.errors = errors


class RateLimited(CarrierError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Transient(CarrierError):
    retryable = True


class Permanent(CarrierError):
    pass


class NotOffered(CarrierError):
    pass


class BadSignature(Exception):
    """An inbound event whose signature, timestamp or body does not verify."""


# -- what goes out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    kind: str  # "loa" | "invoice"
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Submission:
    """Everything a provider needs to port the order's numbers."""

    reference: str  # our idempotency key: the same on every retry of one order
    numbers: list[str]  # E.164
    business_name: str
    authorized_person: str
    account_number: str
    btn: str  # E.164
    pin: str = field(default="", repr=False)
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = "US"
    webhook_url: str = ""


# -- what comes back --------------------------------------------------------------------------


@dataclass(frozen=True)
class PortabilityResult:
    number: str  # E.164
    portable: bool
    fast_portable: bool = False
    reason: str = ""  # the provider's words when not portable
    carrier_name: str = ""


@dataclass(frozen=True)
class CsrRecord:
    """A Customer Service Record as the provider returned it (nothing normalized)."""

    account_name: str = ""
    authorized_person: str = ""
    account_number: str = ""
    btn: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    numbers: list[str] = field(default_factory=list)
    carrier_name: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CsrResult:
    request_id: str
    status: str  # "pending" | "completed" | "failed"
    record: CsrRecord | None = None
    error: str = ""


@dataclass(frozen=True)
class ProviderException:
    code: str  # verbatim, e.g. "ENTITY_NAME_MISMATCH"
    description: str = ""


@dataclass(frozen=True)
class ProviderOrder:
    id: str
    status: str  # the provider's own word, e.g. "foc-date-confirmed"
    numbers: list[str] = field(default_factory=list)
    foc_at: datetime | None = None
    requested_foc_at: datetime | None = None
    exceptions: list[ProviderException] = field(default_factory=list)
    fast_port_eligible: bool = False
    support_key: str = ""
    reference: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FocWindow:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ProviderNote:
    id: str
    body: str
    author: str = ""  # "user" (us), "admin" (the provider's staff), "system"
    at: datetime | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """One event, normalized. `kind` is ours ("status", "comment", "split", "other");
    `type` is the provider's event type, kept verbatim."""

    id: str
    type: str
    kind: str
    order_id: str = ""
    occurred_at: datetime | None = None
    status: str = ""
    exceptions: list[ProviderException] = field(default_factory=list)
    note: ProviderNote | None = None
    split_to: str = ""  # the new provider order the numbers moved to
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Activation:
    id: str
    status: str
    activate_at: datetime | None = None


# -- the interface ---------------------------------------------------------------------------


class CarrierAdapter(ABC):
    """One provider's porting API. An instance is bound to one connection (its key and
    base URL) and to a `log` callback that records every exchange."""

    key: str = ""
    label: str = ""
    offers: frozenset[Operation] = frozenset()
    # Provider statuses, ours: "draft", "submitted", "exception", "foc", "ported",
    # "cancel_pending", "cancelled" (status_kind maps the provider's words to these).
    OPEN_KINDS = ("draft", "submitted", "exception", "foc", "cancel_pending")

    def __init__(self, connection=None, *, log=None):
        self.connection = connection
        self.log = log or (lambda **exchange: None)

    def offered(self, operation: Operation) -> bool:
        return operation in self.offers

    def refuse(self, operation: Operation):
        raise NotOffered(
            f"{self.label} does not offer {operation.value.replace('_', ' ')} through an API: "
            "record it by hand on the order."
        )

    # Each operation below raises NotOffered unless the adapter offers it.
    def check_portability(self, numbers: list[str]) -> list[PortabilityResult]:
        self.refuse(Operation.PORTABILITY)

    def request_csr(self, *, btn: str, account_number: str = "", pin: str = "") -> CsrResult:
        self.refuse(Operation.CSR)

    def fetch_csr(self, request_id: str) -> CsrResult:
        self.refuse(Operation.CSR)

    def find_orders(self, reference: str) -> list[ProviderOrder]:
        self.refuse(Operation.SUBMIT)

    def create_orders(self, submission: Submission) -> list[ProviderOrder]:
        """Create the provider's draft order(s). A provider may split the numbers into
        several orders: each comes back, the first being the main one."""
        self.refuse(Operation.SUBMIT)

    def upload_document(self, document: Document) -> str:
        self.refuse(Operation.SUBMIT)

    def allowed_foc_windows(self, order_id: str) -> list[FocWindow]:
        self.refuse(Operation.FOC_WINDOWS)

    def submit_order(
        self,
        order_id: str,
        submission: Submission,
        *,
        documents: dict[str, str],
        requested_foc_at: datetime | None,
    ) -> ProviderOrder:
        """Fill in the draft (end user, documents, requested FOC) and submit it."""
        self.refuse(Operation.SUBMIT)

    def get_order(self, order_id: str) -> ProviderOrder:
        self.refuse(Operation.STATUS)

    def order_numbers(self, order_id: str) -> list[str]:
        self.refuse(Operation.STATUS)

    def list_notes(self, order_id: str) -> list[ProviderNote]:
        self.refuse(Operation.NOTE)

    def add_note(self, order_id: str, body: str) -> ProviderNote:
        self.refuse(Operation.NOTE)

    def cancel_order(self, order_id: str) -> ProviderOrder:
        self.refuse(Operation.CANCEL)

    def activate(self, order_id: str) -> Activation:
        self.refuse(Operation.ACTIVATE)

    def parse_event(self, headers, body: bytes, *, now: datetime) -> ProviderEvent:
        """Verify an inbound event's signature (raise BadSignature) and parse it."""
        self.refuse(Operation.EVENTS)

    def event_from(self, data: dict) -> ProviderEvent:
        """An event stored earlier (already verified), parsed again to apply it later."""
        self.refuse(Operation.EVENTS)

    @abstractmethod
    def status_kind(self, status: str) -> str:
        """The provider's status word as one of ours (see OPEN_KINDS), or "" if unknown."""
