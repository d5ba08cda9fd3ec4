"""E911: dispatchable locations, coverage, registrations, remote workers, Kari's Law,
933 evidence and the compliance register (docs/e911.md).

The rules live in e911/rules.py (pure), e911/services.py (writes) and e911/selectors.py
(coverage and the readiness report)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy import clock
from tenancy.portal import PortalLink
from tenancy.roles import ON_SITE
from tenancy.scoping import OrgScopedModel

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")
UNIT_FIELDS = ("floor", "suite", "room")


class ValidationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    NORMALIZED = "normalized", "Normalized (offline, USPS Pub. 28)"
    VALIDATED = "validated", "Validated by the provider"
    FAILED = "failed", "Failed"


class RemoteWorker(OrgScopedModel):
    """A person who uses a softphone (or any endpoint) from home: their home is a
    dispatchable location they confirm themselves through a link."""

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="remote_workers"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    endpoints = models.ManyToManyField(
        "sites.Endpoint", related_name="remote_workers", blank=True,
        help_text="The endpoints this person uses away from the office.",
    )  # fmt: skip
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords(m2m_fields=[endpoints])

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "email"], name="e911_one_remote_worker_per_email"
            )
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class DispatchableLocation(OrgScopedModel):
    """A civic address (as entered and USPS-normalized, with its validation) plus floor,
    suite and room. Belongs to a site or to a remote worker's home. A validated location
    is never edited in place: a change makes a new location and this one is superseded."""

    # Technicians stage phones on site: they may add and correct locations too.
    write_roles = ON_SITE

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="e911_locations"
    )
    site = models.ForeignKey(
        "sites.Site", on_delete=models.CASCADE, null=True, blank=True,
        related_name="e911_locations",
    )  # fmt: skip
    remote_worker = models.ForeignKey(
        RemoteWorker, on_delete=models.CASCADE, null=True, blank=True, related_name="locations"
    )
    label = models.CharField(max_length=100, blank=True, help_text="e.g. 'Reception'.")
    is_site_default = models.BooleanField(
        default=False, help_text="Used by the site's endpoints that have no location of their own."
    )
    address_line1 = models.CharField("Street address", max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField("ZIP code", max_length=10)
    floor = models.CharField(max_length=20, blank=True)
    suite = models.CharField(max_length=20, blank=True)
    room = models.CharField(max_length=20, blank=True)
    normalized_line1 = models.CharField(max_length=200, blank=True)
    normalized_line2 = models.CharField(
        max_length=60, blank=True, help_text="Floor/suite/room as dispatch screens show them."
    )
    normalized_city = models.CharField(max_length=100, blank=True)
    normalized_state = models.CharField(max_length=2, blank=True)
    normalized_postal_code = models.CharField(max_length=10, blank=True)
    validation_status = models.CharField(
        max_length=12, choices=ValidationStatus.choices, default=ValidationStatus.UNVERIFIED
    )
    validation_message = models.CharField(max_length=500, blank=True)
    validator = models.CharField(max_length=60, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("migration", "site", "remote_worker")
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["migration", "site", "label", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site__isnull=True) | models.Q(remote_worker__isnull=True),
                name="e911_location_site_or_home",
            ),
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(is_site_default=True, is_current=True),
                name="e911_one_current_default_per_site",
            ),
        ]

    def __str__(self):
        where = self.label or (self.site.name if self.site_id else "home")
        return f"{where}: {self.one_line}"

    @property
    def one_line(self) -> str:
        if self.normalized_line1:
            last = f"{self.normalized_city} {self.normalized_state} {self.normalized_postal_code}"
            parts = [self.normalized_line1, self.normalized_line2, last]
        else:
            last = f"{self.city}, {self.state} {self.postal_code}"
            parts = [self.address_line1, self.address_line2, last]
        return ", ".join(p for p in parts if p)

    @property
    def dispatchable(self) -> bool:
        """A dispatcher can use it: current, and normalized or validated."""
        return self.is_current and self.validation_status in (
            ValidationStatus.NORMALIZED, ValidationStatus.VALIDATED,
        )  # fmt: skip

    def clean(self):
        super().clean()
        if self.site_id and self.remote_worker_id:
            raise ValidationError("A location belongs to a site or to a home, not both.")
        if self.pk:
            fields = (*ADDRESS_FIELDS, *UNIT_FIELDS, "validation_status")
            before = type(self).objects.filter(pk=self.pk).values(*fields).first()
            if before and before["validation_status"] == ValidationStatus.VALIDATED:
                changed = [
                    f for f in (*ADDRESS_FIELDS, *UNIT_FIELDS) if before[f] != getattr(self, f)
                ]
                if changed:
                    raise ValidationError(
                        "A validated location is never edited: change it through "
                        "e911.services.change_location, which keeps this one in history."
                    )


class EndpointE911(OrgScopedModel):
    """How one endpoint reaches 911: its own location (else its site's default, or for
    a remote worker's endpoint their home), or exempt as a non-dialing line."""

    endpoint = models.OneToOneField("sites.Endpoint", on_delete=models.CASCADE, related_name="e911")
    location = models.ForeignKey(
        DispatchableLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    non_dialing = models.BooleanField(
        default=False, help_text="Cannot dial out (fax receive-only, paging, modem line)."
    )
    exempt_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    org_parents = ("endpoint",)
    fixed_parents = ("endpoint",)

    def clean(self):
        super().clean()
        if self.non_dialing and not self.exempt_reason.strip():
            raise ValidationError({"exempt_reason": "Say why this line cannot dial 911."})
        if self.non_dialing and self.endpoint.kind not in EXEMPTABLE_KINDS:
            raise ValidationError(
                {"non_dialing": f"A {self.endpoint.get_kind_display().lower()} can dial 911."}
            )


# Endpoint kinds that may be marked non-dialing (everything else can dial 911).
EXEMPTABLE_KINDS = frozenset({"fax", "paging", "other"})


class Registration(OrgScopedModel):
    """A number's or endpoint's E911 record at the winning carrier (make before break:
    active before the port)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="e911_registrations"
    )
    number = models.OneToOneField(
        "porting.PhoneNumber", on_delete=models.CASCADE, null=True, blank=True,
        related_name="e911_registration",
    )  # fmt: skip
    endpoint = models.OneToOneField(
        "sites.Endpoint", on_delete=models.CASCADE, null=True, blank=True,
        related_name="e911_registration",
    )  # fmt: skip
    location = models.ForeignKey(
        DispatchableLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_reference = models.CharField(max_length=120, blank=True)
    message = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("migration", "number", "endpoint")
    fixed_parents = ("migration",)

    class Meta:
        ordering = ["migration", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__isnull=False) | models.Q(endpoint__isnull=False),
                name="e911_registration_has_subject",
            )
        ]

    def __str__(self):
        subject = self.number or self.endpoint
        return f"E911 registration of {subject}: {self.get_status_display()}"


class SiteE911(OrgScopedModel):
    """Kari's Law and the old carrier's record, per site."""

    site = models.OneToOneField("sites.Site", on_delete=models.CASCADE, related_name="e911")
    direct_dial_verified_at = models.DateTimeField(null=True, blank=True)
    direct_dial_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    direct_dial_method = models.CharField(
        max_length=300, blank=True, help_text="How it was verified, e.g. 'dialed 933 from x101'."
    )
    outside_line_prefixes = models.JSONField(
        default=list, blank=True, help_text="Dial-plan prefixes for an outside line, e.g. ['9']."
    )
    emergency_matched_first = models.BooleanField(
        default=False, help_text="The dial plan matches 911 and 933 before any prefix rule."
    )
    notification_recipients = models.JSONField(
        default=list, blank=True, help_text="Who is notified on site when 911 is dialed."
    )
    old_record_removed_at = models.DateTimeField(null=True, blank=True)
    old_record_removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    org_parents = ("site",)
    fixed_parents = ("site",)

    def __str__(self):
        return f"E911 at {self.site}"


class Test933(OrgScopedModel):
    """A 933 test call after the port: what the read-back said against what was expected."""

    class Result(models.TextChoices):
        PASS = "pass", "Pass"
        MISMATCH = "mismatch", "Mismatch"

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="tests_933")
    caller = models.CharField(max_length=40, help_text="Extension or number that dialed 933.")
    called_at = models.DateTimeField()
    readback_address = models.CharField(max_length=300)
    readback_callback = models.CharField(max_length=40)
    expected_address = models.CharField(max_length=300)
    expected_callback = models.CharField(max_length=40)
    result = models.CharField(max_length=10, choices=Result.choices)
    differences = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    org_parents = ("site",)
    fixed_parents = ("site",)

    class Meta:
        ordering = ["-called_at", "-pk"]

    def __str__(self):
        return f"933 test at {self.site} {self.called_at:%Y-%m-%d %H:%M}: {self.result}"

    @property
    def passed(self) -> bool:
        return self.result == self.Result.PASS


class RemoteWorkerLink(PortalLink, OrgScopedModel):
    """A link a remote worker uses to enter, confirm or update their home location."""

    worker = models.ForeignKey(RemoteWorker, on_delete=models.CASCADE, related_name="links")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["token_hash"])

    org_parents = ("worker",)
    fixed_parents = ("worker",)

    class Meta:
        ordering = ["-created_at"]


class LocationConfirmation(OrgScopedModel):
    """A remote worker entered, confirmed or updated their home location (append-only)."""

    worker = models.ForeignKey(RemoteWorker, on_delete=models.CASCADE, related_name="confirmations")
    location = models.ForeignKey(DispatchableLocation, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    org_parents = ("worker",)
    fixed_parents = ("worker",)

    class Meta:
        ordering = ["-at"]


class ComplianceEvidence(OrgScopedModel):
    """Evidence for one item of a customer's compliance register (HIPAA BAA, PCI pause,
    recording disclosure, RMD listing ...). The register itself is derived."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="compliance_evidence"
    )
    item = models.CharField(max_length=40)
    done = models.BooleanField(default=True)
    evidence = models.CharField(max_length=500)
    document_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    org_parents = ("customer",)
    fixed_parents = ("customer",)

    class Meta:
        ordering = ["customer", "item", "-recorded_at"]


class AttestationCheck(OrgScopedModel):
    """STIR/SHAKEN attestation seen on a call from a ported number, from outside."""

    class Level(models.TextChoices):
        A = "A", "A (full)"
        B = "B", "B (partial)"
        C = "C", "C (gateway)"
        NONE = "none", "None seen"

    number = models.ForeignKey(
        "porting.PhoneNumber", on_delete=models.CASCADE, related_name="attestation_checks"
    )
    level = models.CharField(max_length=4, choices=Level.choices)
    seen_at = models.DateTimeField()
    called_from = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    org_parents = ("number",)
    fixed_parents = ("number",)

    class Meta:
        ordering = ["-seen_at", "-pk"]


class ReadinessState(OrgScopedModel):
    """The last readiness of a migration that its webhooks were told of: a change from it
    is a `readiness.changed` event (e911/readiness/watch.py)."""

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    migration = models.OneToOneField(
        "customers.Migration", on_delete=models.CASCADE, related_name="readiness_state"
    )
    digest = models.CharField(max_length=64)
    blocking = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=clock.now)
