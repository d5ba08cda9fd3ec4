import base64
import datetime
import math
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from . import clock
from .images import ImageLimits, check_image
from .roles import DEFAULT_WRITE_ROLES, Role

LOGO_MAX_BYTES = 200 * 1024


def _image_kind(data: bytes):
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


# A logo is shown at most 48 pixels high: 4 million pixels is plenty (tenancy/images.py).
LOGO_LIMITS = ImageLimits(
    what="The logo", formats=("PNG", "JPEG"), max_bytes=LOGO_MAX_BYTES,
    max_pixels=4_000_000, max_decoded_bytes=16 * 2**20, decode=True,
)  # fmt: skip


def validate_logo(upload):
    """A PNG or JPEG of at most 200 KB, 4 million pixels and 16 MB decoded, whose every
    pixel decodes: a 13000x13000 PNG of 36 KB is refused with a form error."""
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError("The logo must be at most 200 KB.")
    upload.seek(0)
    data = upload.read(LOGO_MAX_BYTES + 1)
    upload.seek(0)
    if _image_kind(data[:16]) is None:
        raise ValidationError("The logo must be a PNG or JPEG image.")
    check_image(data, LOGO_LIMITS)


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
        # A logo stored before the pixel limit, or put there by hand, never reaches a page
        # or a PDF when it is over the limits (the header is read, no pixel decoded).
        try:
            check_image(data, replace(LOGO_LIMITS, decode=False))
        except ValidationError:
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


# A token's lifetime unless its maker chooses another (tenancy.services.create_api_token).
API_TOKEN_DEFAULT_DAYS = 90


def default_token_expiry():
    return clock.now() + datetime.timedelta(days=API_TOKEN_DEFAULT_DAYS)


class ApiToken(models.Model):
    """A personal API token. It acts as its user (their memberships decide what it may
    do). Only the key's SHA-256 is stored: the key is shown once, when it is created. Every
    token expires (`expires_at`, chosen at creation, at most a year on): a key that leaks
    from a script or a laptop stops working by itself."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “billing sync”.")
    prefix = models.CharField(max_length=8, help_text="The key's first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        default=default_token_expiry, help_text="The token stops working then."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return clock.now() >= self.expires_at

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def days_left(self) -> int:
        """Days until it expires, rounded up: 90 just after a 90-day token is made, 1 on
        its last day, 0 or less once expired."""
        return math.ceil((self.expires_at - clock.now()).total_seconds() / 86400)


# Org-scoped kernel models need OrgScopedModel, which needs Organization above.
from .reminder_models import ReminderContact, ReminderSent  # noqa: E402, F401
