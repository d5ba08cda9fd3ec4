import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy.scoping import OrgScopedModel

from .states import parse_state_list


class Customer(OrgScopedModel):
    """The office being migrated (the integrator's client)."""

    legal_name = models.CharField(
        max_length=200, help_text="Exactly as on the carrier's records (LOAs are compared to it)."
    )
    dba_name = models.CharField("DBA", max_length=200, blank=True)
    main_contact_name = models.CharField(max_length=200, blank=True)
    main_contact_email = models.EmailField(blank=True)
    main_contact_phone = models.CharField(max_length=40, blank=True)
    handles_health_information = models.BooleanField(
        default=False, help_text="HIPAA: a BAA with the vendor is needed before go-live."
    )
    takes_card_payments_by_phone = models.BooleanField(
        default=False, help_text="PCI-DSS: call recording must pause during card capture."
    )
    records_calls = models.BooleanField(
        default=False,
        help_text="Calls are recorded (all-party-consent states need a disclosure).",
    )
    operating_states = models.JSONField(
        default=list, blank=True, help_text="USPS codes of the states where it operates."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    ui_name = "customer"

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "legal_name"], name="uniq_customer_legal_name"
            )
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        super().clean()
        try:
            self.operating_states = parse_state_list(self.operating_states)
        except ValueError as exc:
            raise ValidationError({"operating_states": str(exc)}) from exc


class Migration(OrgScopedModel):
    """One customer's migration project. Users and the CLI refer to it by its UUID."""

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        IN_PROGRESS = "in_progress", "In progress"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    uuid = models.UUIDField("ID", default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="migrations")
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_migrations",
        help_text="Receives escalations.",
    )
    target_start = models.DateField("Target window start", null=True, blank=True)
    target_end = models.DateField("Target window end", null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNING)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    org_parents = ("customer",)
    fixed_parents = ("customer",)
    ui_name = "migration"

    @property
    def url_key(self):
        return self.uuid

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.customer})"

    def breadcrumb_parents(self):
        return [self.customer]

    def clean(self):
        super().clean()
        if self.target_start and self.target_end and self.target_end < self.target_start:
            raise ValidationError({"target_end": "The window cannot end before it starts."})
        if (
            self.owner_id
            and self.organization_id
            and not self.owner.memberships.filter(organization_id=self.organization_id).exists()
        ):
            raise ValidationError({"owner": "The owner must be a member of the organization."})
