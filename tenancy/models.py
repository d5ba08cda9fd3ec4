import base64
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from .roles import DEFAULT_WRITE_ROLES, Role

LOGO_MAX_BYTES = 200 * 1024


def _image_kind(data: bytes):
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def validate_logo(upload):
    head = upload.read(16)
    upload.seek(0)
    if _image_kind(head) is None:
        raise ValidationError("The logo must be a PNG or JPEG image.")
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError("The logo must be at most 200 KB.")


class Organization(models.Model):
    """One integrator firm: the tenant. Every domain row belongs to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    # Branding of the documents the organization sends (LOAs, checklists).
    brand_color = models.CharField(
        max_length=7,
        default="#1f5fbf",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1f5fbf.")],
    )
    logo = models.FileField(
        upload_to="logos/",
        blank=True,
        validators=[validate_logo],
        help_text="PNG or JPEG, at most 200 KB; embedded in documents.",
    )
    # New cutover plans start with these; each plan (and so each migration) may differ.
    business_hours_start = models.TimeField(
        "Business hours start", default=datetime.time(8),
        help_text="Weekdays, in each site's time zone: steps that need people fall inside.",
    )  # fmt: skip
    business_hours_end = models.TimeField("Business hours end", default=datetime.time(18))
    # Customer portal reminders: when a task becomes available, N days before it is due,
    # and M days after it is overdue (0 turns that point off); at most one email a day.
    reminder_days_before_due = models.PositiveSmallIntegerField(
        "Remind customers this many days before a task is due", default=1
    )
    reminder_days_after_due = models.PositiveSmallIntegerField(
        "Remind customers this many days after a task is overdue", default=1
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def logo_data_uri(self) -> str:
        """The logo inlined as a data: URI, so PDF rendering never fetches a file."""
        if not self.logo:
            return ""
        with self.logo.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
        kind = _image_kind(data)
        if kind is None or len(data) > LOGO_MAX_BYTES:
            return ""
        return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


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


class ApiToken(models.Model):
    """A personal API token. It acts as its user (their memberships decide what it may
    do). Only the key's SHA-256 is stored: the key is shown once, when it is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “billing sync”.")
    prefix = models.CharField(max_length=8, help_text="The key's first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
