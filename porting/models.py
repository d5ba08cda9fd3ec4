from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import FSMField, transition
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from customers.models import Migration
from sites.models import Endpoint, Site
from tenancy.fsm import ProtectedFSMModelMixin
from tenancy.scoping import OrgScopedModel

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
    status = FSMField(default=Status.LEGACY, choices=Status.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    org_parents = ("migration", "site", "endpoint")
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
