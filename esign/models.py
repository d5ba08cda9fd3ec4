"""Signing keys that seal an organization's documents (PAdES, see esign/seal.py), and
portal signing of LOAs: requests (links), their events, signatures and corrections."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy import clock
from tenancy.fields import EncryptedTextField
from tenancy.portal import PortalLink
from tenancy.scoping import OrgScopedModel


class KeySource(models.TextChoices):
    SELF_SIGNED = "self_signed", "Self-signed (created by the app)"
    UPLOADED = "uploaded", "Uploaded PKCS#12"


class OrganizationSigningKey(OrgScopedModel):
    """One certificate and private key of an organization's document seal.

    Exactly one row per organization is current (it seals new documents); older rows
    stay so that documents sealed before a rotation still verify. The private key is
    encrypted at rest and excluded from history; it never leaves esign/seal.py.
    """

    # No parent: the organization is always set explicitly.
    org_parents = ()

    certificate_pem = models.TextField(help_text="Public certificate (PEM).")
    private_key_pem = EncryptedTextField(editable=False)
    source = models.CharField(max_length=20, choices=KeySource.choices)
    subject = models.CharField(max_length=500)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the certificate (DER), lowercase hex."
    )
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The private key is never copied into history rows.
    history = HistoricalRecords(excluded_fields=["private_key_pem"])

    class Meta:
        ordering = ["organization", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_current=True),
                name="esign_one_current_key_per_org",
            ),
            models.UniqueConstraint(
                fields=["organization", "fingerprint"], name="esign_key_fingerprint_per_org"
            ),
        ]

    def __str__(self):
        state = "current" if self.is_current else "retired"
        return f"{self.subject} ({self.get_source_display()}, {state}, {self.fingerprint[:16]}…)"


class SigningRequest(PortalLink, OrgScopedModel):
    """A link sent to the authorized person to sign one LOA version.

    Only the token's hash is stored (see tenancy/portal.py). The link dies when it is
    revoked or replaced, when it expires, once it was used (signed or sent back with
    corrections), and when its LOA version is no longer the one to sign.
    """

    loa = models.ForeignKey(
        "porting.LetterOfAuthorization", on_delete=models.CASCADE, related_name="signing_requests"
    )
    email = models.EmailField("Signer's email")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(max_length=30, blank=True)  # "signed" | "correction_requested"
    # How many reminders came before this link: a reminder replaces the link with a fresh
    # one (same expiry) that carries the count on, so the cadence survives the swap.
    reminders_sent = models.PositiveSmallIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    org_parents = ("loa",)
    fixed_parents = ("loa",)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Signing request to {self.email} for LOA v{self.loa.version}"

    OUTCOME_LABELS = {"signed": "Signed", "correction_requested": "Sent back with corrections"}

    @property
    def outcome_display(self) -> str:
        return self.OUTCOME_LABELS.get(self.outcome, self.outcome.replace("_", " ").capitalize())

    def superseded(self) -> bool:
        loa = self.loa
        if loa.status != loa.Status.DRAFT:
            return True
        current = loa.port_order.current_loa()
        return current is None or current.pk != loa.pk or bool(loa.stale_fields())


class SigningEvent(OrgScopedModel):
    """One thing that happened to a signing request, with the client's address, user
    agent and the SHA-256 of the exact document shown. Append-only."""

    class Kind(models.TextChoices):
        SENT = "sent", "Sent"
        REMINDED = "reminded", "Reminder sent"
        OPENED = "opened", "Opened"
        CONSENT = "consent", "Consented to electronic records"
        SIGNED = "signed", "Signed"
        CORRECTION_REQUESTED = "correction_requested", "Correction requested"
        REVOKED = "revoked", "Revoked"

    request = models.ForeignKey(SigningRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    org_parents = ("request",)
    fixed_parents = ("request",)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S} UTC"


class LoaSignature(OrgScopedModel):
    """The signature on one LOA version and its sealed PDF. Kept for every signed version,
    also after a newer version supersedes it."""

    loa = models.OneToOneField(
        "porting.LetterOfAuthorization", on_delete=models.PROTECT, related_name="signature"
    )
    request = models.ForeignKey(SigningRequest, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    typed_title = models.CharField(max_length=120)
    drawn_signature = models.TextField(blank=True, help_text="PNG data URI, optional.")
    signed_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document_id = models.CharField(max_length=120)
    document_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the LOA document the signer was shown."
    )
    sealed_pdf = models.FileField(upload_to="loas/signed/%Y/%m/")
    sealed_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the sealed PDF.")
    seal_fingerprint = models.CharField(max_length=64)
    history = HistoricalRecords(excluded_fields=["drawn_signature"])

    org_parents = ("loa",)
    fixed_parents = ("loa",)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self):
        return f"Signature by {self.typed_name} on LOA v{self.loa.version}"


class CorrectionRequest(OrgScopedModel):
    """The signer marked fields of the LOA wrong instead of signing. Goes to the PM, who
    prepares a corrected version; the new version resolves it."""

    request = models.ForeignKey(
        SigningRequest, on_delete=models.CASCADE, related_name="corrections"
    )
    loa = models.ForeignKey(
        "porting.LetterOfAuthorization", on_delete=models.CASCADE, related_name="corrections"
    )
    fields = models.JSONField(help_text="[{field, label, shown, comment}] marked wrong.")
    requested_by_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    resolved_by_version = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    org_parents = ("loa",)
    fixed_parents = ("loa",)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        labels = ", ".join(f["label"] for f in self.fields)
        return f"Correction requested on LOA v{self.loa.version}: {labels}"
