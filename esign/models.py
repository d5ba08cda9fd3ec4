"""Signing keys that seal an organization's documents (PAdES, see esign/seal.py)."""

from django.db import models
from simple_history.models import HistoricalRecords

from tenancy.fields import EncryptedTextField
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
