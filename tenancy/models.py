from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    PROJECT_MANAGER = "pm", "Project manager"
    TECHNICIAN = "technician", "Technician"
    VIEWER = "viewer", "Viewer"


# Roles that may change inventory records. Models can widen this (see Endpoint).
DEFAULT_WRITE_ROLES = frozenset({Role.OWNER, Role.PROJECT_MANAGER})


class Organization(models.Model):
    """One integrator firm: the tenant. Every domain row belongs to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="uniq_membership"),
        ]
        ordering = ["organization__name"]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    def can_write(self, model=None) -> bool:
        roles = getattr(model, "write_roles", DEFAULT_WRITE_ROLES) if model else DEFAULT_WRITE_ROLES
        return self.role in roles


class SchedulerHeartbeat(models.Model):
    """Last time the beat scheduler and a worker proved they were alive (health page)."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
