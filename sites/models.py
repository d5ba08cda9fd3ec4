from django.db import models
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from customers.models import Customer, Migration
from tenancy.fields import EncryptedTextField
from tenancy.roles import ON_SITE
from tenancy.scoping import OrgScopedModel

from .addresses import normalize_address
from .validators import normalize_mac, validate_extension, validate_timezone


class Site(OrgScopedModel):
    """A physical office of the customer taking part in a migration."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sites")
    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    # The civic address as entered ...
    address_line1 = models.CharField("Street address", max_length=200)
    address_line2 = models.CharField("Suite / floor", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField("ZIP code", max_length=10)
    # ... and as USPS-normalized (Pub. 28), recomputed on every save.
    normalized_line1 = models.CharField(max_length=200, blank=True, editable=False)
    normalized_line2 = models.CharField(max_length=200, blank=True, editable=False)
    normalized_city = models.CharField(max_length=100, blank=True, editable=False)
    normalized_state = models.CharField(max_length=2, blank=True, editable=False)
    normalized_postal_code = models.CharField(max_length=10, blank=True, editable=False)
    normalization_error = models.CharField(max_length=300, blank=True, editable=False)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    seat_count = models.PositiveIntegerField(default=0)
    # Who to call at the site (port day, the 933 test, a technician's visit); the customer
    # confirms them in their portal.
    contact_name = models.CharField("On-site contact", max_length=200, blank=True)
    contact_phone = models.CharField("On-site contact's phone", max_length=40, blank=True)
    contact_email = models.EmailField("On-site contact's email", blank=True)
    after_hours_contact = models.CharField(
        "After-hours contact (name and phone)", max_length=200, blank=True
    )
    contacts_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    contacts_confirmed_by = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    org_parents = ("migration", "customer")
    fixed_parents = ("migration", "customer")
    ui_name = "site"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "name"], name="uniq_site_name_per_migration"
            ),
        ]

    def __str__(self):
        return self.name

    def derive_from_parents(self):
        if self.migration_id and not self.customer_id:
            self.customer_id = self.migration.customer_id

    def save(self, *args, **kwargs):
        self.apply_normalization()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        from django.core.exceptions import ValidationError

        if (
            self.migration_id
            and self.customer_id
            and self.migration.customer_id != self.customer_id
        ):
            raise ValidationError({"customer": "The site's customer must be the migration's."})
        self.state = (self.state or "").upper()

    def breadcrumb_parents(self):
        return [self.customer, self.migration]

    def apply_normalization(self):
        result = normalize_address(
            self.address_line1, self.address_line2, self.city, self.state, self.postal_code
        )
        self.normalized_line1 = result.line1
        self.normalized_line2 = result.line2
        self.normalized_city = result.city
        self.normalized_state = result.state
        self.normalized_postal_code = result.postal_code
        limit = self._meta.get_field("normalization_error").max_length
        self.normalization_error = Truncator(result.error).chars(limit)

    @property
    def address_display(self):
        parts = [
            self.address_line1,
            self.address_line2,
            f"{self.city}, {self.state} {self.postal_code}",
        ]
        return ", ".join(p for p in parts if p)

    @property
    def normalized_display(self):
        if self.normalization_error:
            return ""
        parts = [
            self.normalized_line1,
            self.normalized_line2,
            f"{self.normalized_city} {self.normalized_state} {self.normalized_postal_code}",
        ]
        return ", ".join(p for p in parts if p)


class Endpoint(OrgScopedModel):
    """Anything that terminates a call at a site: phones, softphones, adapters, fax, paging."""

    class Kind(models.TextChoices):
        DESK_PHONE = "desk_phone", "Desk phone"
        SOFTPHONE = "softphone", "Softphone"
        ATA = "ata", "Analog adapter (ATA)"
        DECT = "dect", "DECT handset"
        FAX = "fax", "Fax"
        PAGING = "paging", "Paging"
        CONFERENCE = "conference", "Conference phone"
        OTHER = "other", "Other"

    # Technicians stage phones, so they may edit endpoints too.
    write_roles = ON_SITE

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="endpoints")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="endpoints")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DESK_PHONE)
    mac_address = models.CharField(
        "MAC address", max_length=17, blank=True, help_text="Stored as 00:1A:2B:3C:4D:5E."
    )
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    firmware = models.CharField(max_length=100, blank=True)
    extension = models.CharField(max_length=8, blank=True, validators=[validate_extension])
    display_name = models.CharField(max_length=200, blank=True)
    user_email = models.EmailField(blank=True)
    is_remote_worker = models.BooleanField(
        "Remote worker", default=False, help_text="Used from home: needs its own 911 location."
    )
    sip_username = models.CharField("SIP username", max_length=100, blank=True)
    sip_password = EncryptedTextField("SIP password", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["sip_password"])

    org_parents = ("site", "migration")
    fixed_parents = ("migration",)
    ui_name = "endpoint"

    class Meta:
        ordering = ["extension", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mac_address"],
                condition=~models.Q(mac_address=""),
                name="uniq_endpoint_mac_per_org",
                violation_error_message=(
                    "Another endpoint in this organization has this MAC address."
                ),
            ),
            models.UniqueConstraint(
                fields=["migration", "extension"],
                condition=~models.Q(extension=""),
                name="uniq_endpoint_extension_per_migration",
                violation_error_message="Another endpoint in this migration has this extension.",
            ),
        ]
        indexes = [models.Index(fields=["migration", "kind"])]

    def __str__(self):
        label = self.display_name or self.get_kind_display()
        return f"{label} x{self.extension}" if self.extension else label

    def __repr__(self):  # never the password
        return f"<Endpoint {self.pk} {self.kind} {self.mac_address or '-'}>"

    def derive_from_parents(self):
        if self.site_id and not self.migration_id:
            self.migration_id = self.site.migration_id

    def save(self, *args, **kwargs):
        self.mac_address = normalize_mac(self.mac_address)
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            self.mac_address = normalize_mac(self.mac_address)
        except ValidationError as exc:
            raise ValidationError({"mac_address": exc.messages}) from exc
        super().clean()
        if self.site_id and self.migration_id and self.site.migration_id != self.migration_id:
            raise ValidationError({"site": "The site is not part of this migration."})

    def breadcrumb_parents(self):
        return [self.migration.customer, self.migration, self.site]

    @property
    def has_sip_password(self) -> bool:
        return bool(self.sip_password)
