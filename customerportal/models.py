"""The customer's portal of a migration: one link per customer contact (no account), and
the "we're stuck" flags they raise on their tasks (docs/customer-portal.md)."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy import clock
from tenancy.portal import PortalLink
from tenancy.scoping import OrgScopedModel


class CustomerPortalLink(PortalLink, OrgScopedModel):
    """A contact's link to the migration's portal. Only the token's hash is stored
    (tenancy/portal.py); it expires, can be revoked, and is not used up by visits."""

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="portal_links"
    )
    name = models.CharField("Contact's name", max_length=200)
    email = models.EmailField("Contact's email")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Portal link for {self.name} <{self.email}>"


class StuckFlag(OrgScopedModel):
    """A customer said they are stuck on a task. It shows on the migration's page until
    the PM clears it."""

    org_parents = ("migration",)
    fixed_parents = ("migration",)

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="stuck_flags"
    )
    link = models.ForeignKey(CustomerPortalLink, on_delete=models.SET_NULL, null=True)
    task_key = models.CharField(max_length=60)
    task_title = models.CharField(max_length=200)
    note = models.TextField(max_length=2000)
    raised_by_name = models.CharField(max_length=200)
    raised_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-pk"]

    def __str__(self):
        return f"Stuck on {self.task_title}"


class Questionnaire(OrgScopedModel):
    """A site's questionnaire, answered by the customer in the portal: the people and
    their phones (imported into the inventory when the PM accepts it), hunt groups,
    business hours, holidays and after-hours routing (kept for building the system)."""

    org_parents = ("migration",)
    fixed_parents = ("migration", "site")

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted: waits for review"
        ACCEPTED = "accepted", "Accepted into the inventory"

    migration = models.ForeignKey(
        "customers.Migration", on_delete=models.CASCADE, related_name="questionnaires"
    )
    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    last_saved_by_name = models.CharField(max_length=200, blank=True)
    submitted_by_name = models.CharField(max_length=200, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["migration", "site"], name="one_questionnaire_per_site")
        ]

    def __str__(self):
        return f"Questionnaire for {self.site}"

    @property
    def people(self) -> list[dict]:
        return self.answers.get("people", [])
