import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from customers.models import Migration
from sites.models import Endpoint, Site
from tenancy import clock
from tenancy.checks import Fix
from tenancy.fields import EncryptedTextField
from tenancy.fsm import ProtectedFSMModelMixin
from tenancy.roles import ON_SITE
from tenancy.rules import Rule
from tenancy.scoping import OrgScopedModel

from .hooks import LOA_SIGNATURE, PORT_DAY_GATES
from .loa_checks import same_account_number, same_btn
from .numbers import display, is_toll_free


class PhoneNumber(ProtectedFSMModelMixin, OrgScopedModel):
    """A telephone number taking part in a migration. Port orders (next issue) drive its
    status; the transitions here are the only way it changes."""

    class Kind(models.TextChoices):
        LOCAL = "local", "Local"
        TOLL_FREE = "toll_free", "Toll-free"

    class Purpose(models.TextChoices):
        USER_DID = "user_did", "User DID"
        MAIN_LINE = "main_line", "Main line"
        HUNT_PILOT = "hunt_pilot", "Hunt-group pilot"
        FAX = "fax", "Fax"
        ALARM = "alarm", "Alarm"
        ELEVATOR = "elevator", "Elevator"
        MODEM = "modem", "Modem / DSL"

    class Status(models.TextChoices):
        LEGACY = "legacy", "Legacy"
        PORTING = "porting", "Porting"
        PORTED = "ported", "Ported"
        LIVE = "live", "Live"

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="numbers")
    number = PhoneNumberField(region="US", help_text="Stored in E.164, e.g. +14155550100.")
    kind = models.CharField(max_length=10, choices=Kind.choices, editable=False)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.USER_DID)
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="numbers"
    )
    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="numbers",
        verbose_name="Assigned endpoint",
    )
    carrier_account = models.ForeignKey(
        "CarrierAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="numbers",
        help_text="The losing carrier's account the number is on today.",
    )
    status = FSMField(default=Status.LEGACY, choices=Status.choices, protected=True)
    # The last portability check through a carrier connection (porting.carriers).
    portable = models.BooleanField(null=True, blank=True, editable=False)
    fast_portable = models.BooleanField(null=True, blank=True, editable=False)
    not_portable_reason = models.CharField(max_length=300, blank=True, editable=False)
    portability_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    portability_source = models.CharField(max_length=120, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    org_parents = ("migration", "site", "endpoint", "carrier_account")
    fixed_parents = ("migration",)
    ui_name = "number"

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="uniq_number_per_org",
                violation_error_message="This number is already in the organization's inventory.",
            ),
        ]
        indexes = [models.Index(fields=["migration", "status"])]

    def __str__(self):
        return display(str(self.number))

    @property
    def display(self):
        return display(str(self.number))

    @property
    def is_toll_free(self) -> bool:
        return self.kind == self.Kind.TOLL_FREE

    def save(self, *args, **kwargs):
        self.kind = self.detect_kind()
        super().save(*args, **kwargs)

    def detect_kind(self):
        if self.number and is_toll_free(self.number):
            return self.Kind.TOLL_FREE
        return self.Kind.LOCAL

    def clean(self):
        super().clean()
        errors = {}
        if self.number and not self.number.is_valid():
            errors["number"] = "Not a valid NANP number."
        if self.site_id and self.site.migration_id != self.migration_id:
            errors["site"] = "The site is not part of this migration."
        if self.endpoint_id and self.endpoint.migration_id != self.migration_id:
            errors["endpoint"] = "The endpoint is not part of this migration."
        if self.carrier_account_id and self.carrier_account.migration_id != self.migration_id:
            errors["carrier_account"] = "The carrier account is not part of this migration."
        if errors:
            raise ValidationError(errors)
        self.kind = self.detect_kind()

    def breadcrumb_parents(self):
        return [self.migration.customer, self.migration]

    # Status transitions. Port orders will call these; nothing sets `status` directly.
    @transition(field=status, source=Status.LEGACY, target=Status.PORTING)
    def start_porting(self):
        pass

    @transition(field=status, source=Status.PORTING, target=Status.LEGACY)
    def abandon_port(self):
        """The order was cancelled, or the number did not move (partial port)."""

    @transition(field=status, source=Status.PORTING, target=Status.PORTED)
    def mark_ported(self):
        pass

    @transition(field=status, source=Status.PORTED, target=Status.LIVE)
    def go_live(self):
        pass


class CarrierAccount(OrgScopedModel):
    """One account at a losing carrier (one BTN). One LOA and one port order per account.

    Two sets of facts live here: what the customer's invoice says (account number, BTN,
    PIN) and what the carrier's Customer Service Record says. LOAs are checked against
    the CSR, character for character, before they are sent."""

    class CarrierType(models.TextChoices):
        MAJOR_ILEC = "major_ilec", "Major ILEC"
        MAJOR_CLEC = "major_clec", "Major CLEC"
        NATIONAL_WIRELESS = "national_wireless", "National wireless"
        REGIONAL_CLEC = "regional_clec", "Small / regional CLEC"
        TOLL_FREE = "toll_free", "Toll-free RespOrg"

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="carrier_accounts"
    )
    carrier_name = models.CharField(max_length=120, help_text="e.g. AT&T, Spectrum Business.")
    carrier_type = models.CharField(max_length=20, choices=CarrierType.choices)
    account_number = models.CharField(
        max_length=60, help_text="From the latest invoice, never from memory."
    )
    btn = PhoneNumberField("BTN", region="US", help_text="Billing telephone number.")
    pin = EncryptedTextField(
        "PIN / passcode", blank=True, help_text="Write-only; stored encrypted."
    )
    # The Customer Service Record, as the carrier reports it.
    csr_account_name = models.CharField("CSR account name", max_length=200, blank=True)
    csr_authorized_person = models.CharField("CSR authorized person", max_length=200, blank=True)
    csr_address_line1 = models.CharField("CSR service address", max_length=200, blank=True)
    csr_address_line2 = models.CharField("CSR suite / floor", max_length=200, blank=True)
    csr_city = models.CharField("CSR city", max_length=100, blank=True)
    csr_state = models.CharField("CSR state", max_length=2, blank=True)
    csr_postal_code = models.CharField("CSR ZIP code", max_length=10, blank=True)
    csr_has_pin = models.BooleanField("CSR shows a PIN", default=False)
    csr_numbers = models.JSONField(
        "Numbers on the account (CSR)", default=list, blank=True, help_text="E.164 numbers."
    )
    csr_date = models.DateField("CSR date", null=True, blank=True)
    # Where the CSR came from: typed in by hand (blank) or received through a carrier
    # connection, kept as received (csr_raw) with its time and the request's id.
    csr_source = models.CharField("CSR source", max_length=120, blank=True, editable=False)
    csr_received_at = models.DateTimeField("CSR received", null=True, blank=True, editable=False)
    csr_request_id = models.CharField(max_length=100, blank=True, editable=False)
    csr_request_status = models.CharField(max_length=20, blank=True, editable=False)
    csr_raw = models.JSONField(default=dict, blank=True, editable=False)
    csr_connection = models.ForeignKey(
        "CarrierConnection", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+",
    )  # fmt: skip
    old_service_cancelled_at = models.DateTimeField(
        "Old service cancelled", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["pin"])

    org_parents = ("migration",)
    fixed_parents = ("migration",)
    ui_name = "carrier-account"

    class Meta:
        ordering = ["carrier_name", "account_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "carrier_name", "account_number"],
                name="uniq_carrier_account_per_migration",
                violation_error_message="This carrier account is already in the migration.",
            )
        ]

    def __str__(self):
        return f"{self.carrier_name} {self.account_number}"

    def __repr__(self):  # never the PIN
        return f"<CarrierAccount {self.pk} {self.carrier_name}>"

    @property
    def has_pin(self) -> bool:
        return bool(self.pin)

    def breadcrumb_parents(self):
        return [self.migration.customer, self.migration]


# ---------------------------------------------------------------------------------------
# Port orders
# ---------------------------------------------------------------------------------------


def _ctx(order, key, default=None):
    return getattr(order, "transition_context", {}).get(key, default)


def _now(order):
    return _ctx(order, "now") or clock.now()


def _rule_signed_current_loa(order):
    loa = order.current_loa()
    if loa is None:
        return "There is no LOA for this order yet: prepare one and have it signed."
    if loa.status == LetterOfAuthorization.Status.SUPERSEDED:
        changed = ", ".join(loa.stale_fields()) or "the letter"
        return (
            f"LOA version {loa.version} was superseded because {changed} changed after it "
            "was signed: prepare a new version and have it signed."
        )
    if loa.status != LetterOfAuthorization.Status.SIGNED or not loa.has_portal_signature():
        return (
            f"LOA version {loa.version} is not signed: send it for signature and wait for "
            "the authorized person to sign it."
        )
    stale = loa.stale_fields()
    if stale:
        return (
            f"LOA version {loa.version} was signed before {', '.join(stale)} changed: "
            "prepare a new version and have it signed."
        )
    return None


def _rule_no_blockers(order):
    blockers = [f for f in order.loa_findings() if f.severity == "blocker"]
    if blockers:
        listed = "; ".join(f"{f.field}: {f.reject_reason}" for f in blockers[:3])
        more = f" (+{len(blockers) - 3} more)" if len(blockers) > 3 else ""
        return f"The LOA check found {len(blockers)} blocker(s): {listed}{more}."
    return None


def _rule_warnings_acknowledged(order):
    loa = order.current_loa()
    warnings = {f.code for f in order.loa_findings() if f.severity == "warning"}
    missing = warnings - set((loa.acknowledged_warnings if loa else []) or [])
    if missing:
        return f"Warnings not yet acknowledged: {', '.join(sorted(missing))}."
    return None


def _rule_has_foc(order):
    if not order.foc_at:
        return "No FOC date and time: record the carrier's Firm Order Commitment first."
    return None


def _rule_foc_reached(order):
    if order.foc_at and _now(order) < order.foc_at - PORT_DAY_LEAD:
        return f"Port day starts 2 hours before the FOC ({order.foc_display}); it is too early."
    return None


def _overridden(order):
    return bool(_ctx(order, "override_reason"))


def _rule_post_port_tests(order):
    if _overridden(order):
        return None
    untested = order.numbers_missing_tests()
    if untested:
        shown = ", ".join(display(str(n.number)) for n in untested[:5])
        return (
            f"{len(untested)} number(s) have not passed {TEST_CALLS_REQUIRED} external test "
            f"calls from different lines: {shown}."
        )
    return None


def _rule_port_back_window(order):
    if _overridden(order):
        return None
    if not order.ported_at:
        return "The port time is not recorded."
    closes = order.ported_at + PORT_BACK_WINDOW
    if _now(order) < closes:
        return (
            "The 48-hour port-back window is still open "
            f"(until {closes:%Y-%m-%d %H:%M} UTC): keep the old trunk until then."
        )
    return None


def _rule_corrected_loa(order):
    loa = order.current_loa()
    if loa is None or order.rejected_loa_version is None:
        return None
    if loa.version <= order.rejected_loa_version:
        return (
            f"LOA version {loa.version} was rejected: prepare a corrected version before "
            "returning the order to LOA pending."
        )
    return None


def _on_order_page(anchor: str, label: str):
    """Where a refusal is cleared: a part of the order's own page."""
    return lambda order: Fix(label, f"{order.get_absolute_url()}#{anchor}")


SIGNED_CURRENT_LOA = Rule(
    "signed_current_loa",
    _rule_signed_current_loa,
    fix=_on_order_page("signature", "Prepare and send the LOA"),
)
NO_LOA_BLOCKERS = Rule(
    "no_loa_blockers",
    _rule_no_blockers,
    fix=_on_order_page("findings", "Fix the LOA check's findings"),
)
WARNINGS_ACKNOWLEDGED = Rule(
    "loa_warnings_acknowledged",
    _rule_warnings_acknowledged,
    fix=_on_order_page("findings", "Read and acknowledge the warnings"),
)
HAS_FOC = Rule(
    "foc_time_recorded", _rule_has_foc, fix=_on_order_page("next-steps", "Record the carrier's FOC")
)
FOC_REACHED = Rule("foc_reached", _rule_foc_reached)
POST_PORT_TESTS = Rule(
    "post_port_tests_passed",
    _rule_post_port_tests,
    fix=_on_order_page("test-calls", "Record the test calls"),
)
PORT_BACK_WINDOW_CLOSED = Rule("port_back_window_closed", _rule_port_back_window)
CORRECTED_LOA = Rule(
    "corrected_loa_prepared",
    _rule_corrected_loa,
    fix=_on_order_page("prepare-loa", "Prepare a corrected LOA version"),
)

PORT_DAY_LEAD = timedelta(hours=2)
PORT_BACK_WINDOW = timedelta(hours=48)
TEST_CALLS_REQUIRED = 3


class PortOrder(ProtectedFSMModelMixin, ConcurrentTransitionMixin, OrgScopedModel):
    """One port order per carrier account: the numbers moving from the losing carrier."""

    class State(models.TextChoices):
        LOA_PENDING = "loa_pending", "LOA pending"
        LOA_SUBMITTED = "loa_submitted", "LOA submitted"
        FOC_RECEIVED = "foc_received", "FOC received"
        PORT_DAY = "port_day", "Port day"
        COMPLETE = "complete", "Complete"
        REJECTED = "rejected", "Rejected"
        PORT_FAILED = "port_failed", "Port failed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATES = (
        State.LOA_PENDING, State.LOA_SUBMITTED, State.FOC_RECEIVED, State.PORT_DAY,
        State.REJECTED, State.PORT_FAILED,
    )  # fmt: skip

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="port_orders")
    carrier_account = models.ForeignKey(
        CarrierAccount, on_delete=models.PROTECT, related_name="port_orders"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The order this one continues after a partial port.",
    )
    numbers = models.ManyToManyField(PhoneNumber, related_name="port_orders", blank=True)
    winning_carrier = models.CharField(max_length=120, help_text="The UCaaS platform.")
    requested_date = models.DateField(null=True, blank=True)
    foc_at = models.DateTimeField("FOC", null=True, blank=True)
    foc_timezone = models.CharField(
        "FOC time zone", max_length=64, blank=True, help_text="IANA name the carrier gave."
    )
    foc_confirmation_number = models.CharField(max_length=60, blank=True)
    state = FSMField(default=State.LOA_PENDING, choices=State.choices, protected=True)
    state_changed_at = models.DateTimeField(default=clock.now)
    loa_submitted_at = models.DateTimeField(null=True, blank=True)
    ported_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_loa_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    override_reason = models.TextField(blank=True, editable=False)
    # The winning carrier's porting API (porting.carriers): None is the manual adapter.
    connection = models.ForeignKey(
        "CarrierConnection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="port_orders",
        help_text="The carrier connection the order is submitted through; empty: by hand.",
    )
    provider_order_id = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    provider_reference = models.CharField(max_length=80, blank=True, editable=False)
    provider_status = models.CharField(max_length=40, blank=True, editable=False)
    provider_documents = models.JSONField(default=dict, blank=True, editable=False)
    requested_foc_at = models.DateTimeField(
        "Requested FOC", null=True, blank=True, editable=False,
        help_text="Chosen from the provider's allowed FOC windows at submission.",
    )  # fmt: skip
    provider_error = models.TextField(blank=True, editable=False)
    provider_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_next_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_sync_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    provider_quiet_polls = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[numbers])

    org_parents = ("migration", "carrier_account", "connection")
    fixed_parents = ("migration", "carrier_account")
    ui_name = "port-order"
    ui_actions = ()

    class Meta:
        ordering = ["migration", "pk"]
        indexes = [models.Index(fields=["migration", "state"])]

    # Before submission the LOA may still change; after it, the signed version is the
    # record of what the carrier received and stays as it is.
    LOA_EDITABLE_STATES = (State.LOA_PENDING, State.REJECTED)

    def __str__(self):
        return f"Port order #{self.pk} · {self.carrier_account}"

    def breadcrumb_parents(self):
        return [self.migration.customer, self.migration]

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @property
    def is_port_day(self) -> bool:
        return self.state == self.State.PORT_DAY

    @property
    def loa_editable(self) -> bool:
        """Before submission the LOA (and the order's numbers) may still change."""
        return self.state in self.LOA_EDITABLE_STATES

    @property
    def foc_can_change(self) -> bool:
        """The carrier may move a received FOC, and a failed port gets a new one."""
        return self.state in (self.State.FOC_RECEIVED, self.State.PORT_FAILED)

    @property
    def foc_display(self):
        if not self.foc_at:
            return ""
        tz = ZoneInfo(self.foc_timezone) if self.foc_timezone else ZoneInfo("UTC")
        return self.foc_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    # -- reads used by the rules ---------------------------------------------------------
    def current_loa(self):
        if not hasattr(self, "_current_loa"):
            self._current_loa = self.loas.order_by("-version").first()
        return self._current_loa

    def loa_findings(self):
        """Findings of the LOA-vs-CSR check for the current LOA (cached per instance)."""
        if not hasattr(self, "_loa_findings"):
            from .checks import findings_for_order

            self._loa_findings = findings_for_order(self)
        return self._loa_findings

    def forget_cached(self):
        for attr in ("_current_loa", "_loa_findings"):
            self.__dict__.pop(attr, None)

    def passing_lines(self) -> dict[int, set[str]]:
        """Number id -> the distinct outside lines its passing test calls came from."""
        lines = {}
        for number_id, line in self.test_calls.filter(passed=True).values_list(
            "number_id", "called_from"
        ):
            lines.setdefault(number_id, set()).add(str(line))
        return lines

    def numbers_missing_tests(self):
        lines = self.passing_lines()
        return [n for n in self.numbers.all() if len(lines.get(n.pk, ())) < TEST_CALLS_REQUIRED]

    # -- transitions -----------------------------------------------------------------------
    @transition(
        field=state,
        source=State.LOA_PENDING,
        target=State.LOA_SUBMITTED,
        conditions=[SIGNED_CURRENT_LOA, NO_LOA_BLOCKERS, WARNINGS_ACKNOWLEDGED],
    )
    def submit_loa(self):
        self.loa_submitted_at = _now(self)

    @transition(
        field=state, source=State.LOA_SUBMITTED, target=State.FOC_RECEIVED, conditions=[HAS_FOC]
    )
    def record_foc(self):
        pass

    @transition(
        field=state,
        source=[State.LOA_SUBMITTED, State.FOC_RECEIVED],
        target=State.REJECTED,
    )
    def reject(self):
        loa = self.current_loa()
        self.rejected_loa_version = loa.version if loa else None

    @transition(
        field=state, source=State.REJECTED, target=State.LOA_PENDING, conditions=[CORRECTED_LOA]
    )
    def reopen(self):
        pass

    @transition(
        field=state,
        source=State.FOC_RECEIVED,
        target=State.PORT_DAY,
        conditions=[HAS_FOC, FOC_REACHED, PORT_DAY_GATES],
    )
    def start_port_day(self):
        self.ported_at = _ctx(self, "ported_at") or _now(self)

    @transition(field=state, source=State.PORT_DAY, target=State.PORT_FAILED)
    def fail_port(self):
        pass

    @transition(
        field=state, source=State.PORT_FAILED, target=State.FOC_RECEIVED, conditions=[HAS_FOC]
    )
    def reschedule(self):
        self.ported_at = None

    @transition(
        field=state,
        source=State.PORT_DAY,
        target=State.COMPLETE,
        conditions=[POST_PORT_TESTS, PORT_BACK_WINDOW_CLOSED],
    )
    def complete(self):
        self.completed_at = _now(self)
        self.override_reason = _ctx(self, "override_reason", "")

    @transition(
        field=state,
        source=[
            State.LOA_PENDING, State.LOA_SUBMITTED, State.FOC_RECEIVED, State.REJECTED,
            State.PORT_FAILED,
        ],
        target=State.CANCELLED,
    )  # fmt: skip
    def cancel(self):
        pass


class LetterOfAuthorization(OrgScopedModel):
    """One version of the LOA for a port order. A signed version is never edited: a change
    makes a new version and the signed one becomes superseded (kept, with its signature
    and sealed PDF in esign.LoaSignature)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="loas")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    business_name = models.CharField(max_length=200)
    service_line1 = models.CharField("Service address", max_length=200)
    service_line2 = models.CharField("Suite / floor", max_length=200, blank=True)
    service_city = models.CharField("City", max_length=100)
    service_state = models.CharField("State", max_length=2)
    service_postal_code = models.CharField("ZIP code", max_length=10)
    account_number = models.CharField(max_length=60)
    btn = PhoneNumberField("BTN", region="US")
    authorized_person = models.CharField(max_length=200)
    authorized_title = models.CharField(max_length=120, blank=True)
    numbers = models.JSONField(default=list, help_text="E.164 numbers the LOA authorizes.")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by_name = models.CharField(max_length=200, blank=True)
    acknowledged_warnings = models.JSONField(default=list, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    org_parents = ("port_order",)
    fixed_parents = ("port_order",)

    class Meta:
        ordering = ["port_order", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["port_order", "version"], name="uniq_loa_version")
        ]

    def __str__(self):
        return f"LOA v{self.version} ({self.get_status_display()})"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    def has_portal_signature(self) -> bool:
        """Signed through the portal: a sealed PDF with its audit certificate exists (the
        signing app answers, through `hooks.LOA_SIGNATURE`)."""
        return bool(LOA_SIGNATURE.first(self, default=False))

    def stale_fields(self) -> list[str]:
        """What changed on the order or the account since this version was written."""
        order, account = self.port_order, self.port_order.carrier_account
        stale = []
        current = sorted(str(n.number) for n in order.numbers.all())
        if sorted(self.numbers) != current:
            stale.append("the numbers")
        if not same_account_number(self.account_number, account.account_number):
            stale.append("the account number")
        if not same_btn(str(self.btn), str(account.btn)):
            stale.append("the BTN")
        return stale


class FocChange(OrgScopedModel):
    """A supplemental order: the carrier moved the FOC. Old and new are both kept."""

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="foc_changes")
    previous_foc_at = models.DateTimeField(null=True, blank=True)
    new_foc_at = models.DateTimeField()
    confirmation_number = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("port_order",)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"FOC moved {self.previous_foc_at} → {self.new_foc_at}"


class Rejection(OrgScopedModel):
    """The carrier rejected the order: its code and its own words, against an LOA version."""

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="rejections")
    loa_version = models.PositiveIntegerField(null=True, blank=True)
    code = models.CharField(max_length=40)
    provider_code = models.CharField(
        max_length=60, blank=True, help_text="The provider's own code, verbatim (API events)."
    )
    carrier_text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rejected_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("port_order",)

    class Meta:
        ordering = ["-rejected_at"]

    def __str__(self):
        return f"{self.code}: {self.carrier_text[:60]}"


class PostPortTestCall(OrgScopedModel):
    """One external test call to a ported number (three from different lines each)."""

    # Technicians make the test calls on port day.
    write_roles = ON_SITE

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="test_calls")
    number = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="test_calls")
    called_from = PhoneNumberField(region="US", help_text="The outside line the call came from.")
    passed = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)
    tested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    tested_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("port_order", "number")

    class Meta:
        ordering = ["-tested_at"]

    def __str__(self):
        called_from = display(str(self.called_from))
        return f"{self.number} from {called_from}: {'pass' if self.passed else 'fail'}"


class FollowUp(OrgScopedModel):
    """A flag raised by the daily follow-up job, at most once per order, kind and day, so
    a re-run (or a re-delivered task) never emails twice."""

    class Kind(models.TextChoices):
        STUCK = "stuck_loa_submitted", "Stuck in LOA submitted past the carrier's interval"
        NO_FOC = "no_foc_near_date", "No confirmed FOC within 3 business days of the date"

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    for_date = models.DateField()
    message = models.CharField(max_length=500)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    org_parents = ("port_order",)

    class Meta:
        ordering = ["-for_date", "port_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["port_order", "kind", "for_date"], name="uniq_follow_up_per_day"
            )
        ]

    def __str__(self):
        return self.message


class PortFailureEscalation(OrgScopedModel):
    """The owner was told that a port failed: one row per failure (the order and the
    moment it failed), claimed before the email is sent, so that a re-delivered task
    never emails twice, and a later failure of the same order is told again."""

    port_order = models.ForeignKey(
        PortOrder, on_delete=models.CASCADE, related_name="failure_escalations"
    )
    failed_at = models.DateTimeField()
    notified_at = models.DateTimeField(default=clock.now)

    org_parents = ("port_order",)

    class Meta:
        ordering = ["-failed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["port_order", "failed_at"], name="uniq_escalation_per_failure"
            )
        ]

    def __str__(self):
        return f"#{self.port_order_id} failed {self.failed_at:%Y-%m-%d %H:%M}"


def _bill_path(bill, filename):
    # Stored under a random name: the customer's file name is kept as data, never a path.
    return f"bills/{bill.organization_id}/{uuid.uuid4().hex}"


class CarrierBill(OrgScopedModel):
    """A recent bill from the losing carrier, uploaded by the customer through the portal
    (or by the PM): read beside the CSR, since the bill shows the account as the carrier
    bills it. The file is checked (PDF, PNG or JPEG by content, size-capped)."""

    org_parents = ("carrier_account",)
    fixed_parents = ("carrier_account",)

    carrier_account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, related_name="bills"
    )
    file = models.FileField(upload_to=_bill_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=clock.now)
    uploaded_by_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="portal")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"Bill {self.original_name} ({self.uploaded_at:%Y-%m-%d})"


# ---------------------------------------------------------------------------------------
# Carrier connections (porting.carriers; docs/carriers.md)
# ---------------------------------------------------------------------------------------


class CarrierConnection(OrgScopedModel):
    """One organization's account at a winning carrier's porting API. The API key is
    encrypted at rest, write-only on every page and in the API, and kept out of history;
    events come in at `webhook_path`, signed with the provider's key."""

    org_parents = ()
    ui_name = "carrier-connection"
    ui_actions = ("update",)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=30, help_text="Which carrier's API.")
    name = models.CharField(max_length=120, help_text="e.g. “Telnyx production”.")
    api_key = EncryptedTextField("API key", blank=True, editable=False)
    webhook_public_key = models.CharField(
        "Webhook public key", max_length=200, blank=True,
        help_text="The provider's key that signs its webhooks (Telnyx: the account's "
        "Ed25519 public key, base64).",
    )  # fmt: skip
    base_url = models.CharField(
        "API base URL", max_length=300, blank=True,
        help_text="Empty: the provider's own API. Only for a provider's sandbox.",
    )  # fmt: skip
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    history = HistoricalRecords(excluded_fields=["api_key"])

    class Meta:
        ordering = ["organization", "name", "pk"]

    def __str__(self):
        return self.name

    def __repr__(self):  # never the key
        return f"<CarrierConnection {self.pk} {self.provider}>"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key)

    @property
    def provider_label(self) -> str:
        from .carriers.registry import adapter_class

        return adapter_class(self.provider).label

    @property
    def webhook_path(self) -> str:
        from django.urls import reverse

        return reverse("carrier-webhook", args=[self.organization.slug, self.uuid])


class CarrierExchange(OrgScopedModel):
    """One request to a provider and its answer, as sent and received, secrets redacted:
    the per-order (or per-account) log a PM reads when something went wrong."""

    org_parents = ("connection",)
    fixed_parents = ("connection",)

    connection = models.ForeignKey(
        CarrierConnection, on_delete=models.CASCADE, related_name="exchanges"
    )
    port_order = models.ForeignKey(
        PortOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="exchanges"
    )
    carrier_account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="exchanges"
    )
    at = models.DateTimeField(default=clock.now)
    operation = models.CharField(max_length=40)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ms = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=100, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status_code or self.error[:40]}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class CarrierEvent(OrgScopedModel):
    """An event from a provider (a verified webhook, or a change found by polling),
    stored once per provider event id, with what it did: applied through the same
    services as the pages, flagged for the PM when it does not fit the order's state
    (never forced), or ignored (with why)."""

    org_parents = ("connection",)
    fixed_parents = ("connection",)

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        FLAGGED = "flagged", "Flagged for the PM"
        IGNORED = "ignored", "Ignored"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        POLL = "poll", "Polling"

    connection = models.ForeignKey(
        CarrierConnection, on_delete=models.CASCADE, related_name="events"
    )
    provider_event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=80)
    provider_order_id = models.CharField(max_length=64, blank=True)
    port_order = models.ForeignKey(
        PortOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="carrier_events"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEBHOOK)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    payload = models.JSONField(default=dict, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "provider_event_id"], name="uniq_carrier_event"
            )
        ]

    def __str__(self):
        return f"{self.event_type} {self.provider_event_id} ({self.status})"


class OrderNote(OrgScopedModel):
    """A note on a port order: written by the PM (and sent to the provider as a comment
    when the order has a connection) or a provider's comment, stored once."""

    org_parents = ("port_order",)
    fixed_parents = ("port_order",)

    class Source(models.TextChoices):
        PM = "pm", "PM"
        PROVIDER = "provider", "Provider"

    port_order = models.ForeignKey(PortOrder, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PM)
    author_name = models.CharField(max_length=200, blank=True)
    provider_note_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["port_order", "provider_note_id"],
                condition=~models.Q(provider_note_id=""),
                name="uniq_provider_note",
            )
        ]

    def __str__(self):
        return self.body[:60]
