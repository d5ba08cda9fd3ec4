"""The reminder ledger every customer-facing reminder shares (tenancy/reminders.py)."""

from django.db import models

from . import clock
from .scoping import OrgScopedModel


class ReminderContact(OrgScopedModel):
    """One address the organization reminds. Its row is locked while a reminder is
    decided and sent, so two senders never email the same person twice in a day."""

    email = models.EmailField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="The contact used the unsubscribe link."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="one_reminder_contact_per_email"
            )
        ]

    def __str__(self):
        return self.email


class ReminderSent(OrgScopedModel):
    """One reminder point of one task sent to one contact: each point is sent once."""

    org_parents = ("contact",)
    fixed_parents = ("contact",)

    class Point(models.TextChoices):
        AVAILABLE = "available", "Task available"
        BEFORE_DUE = "before_due", "Before it is due"
        OVERDUE = "overdue", "Overdue"

    contact = models.ForeignKey(ReminderContact, on_delete=models.CASCADE, related_name="sent")
    task_key = models.CharField(max_length=60)
    point = models.CharField(max_length=12, choices=Point.choices)
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "task_key", "point"], name="one_reminder_per_task_point"
            )
        ]

    def __str__(self):
        return f"{self.task_key} {self.point} → {self.contact}"
