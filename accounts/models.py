"""Each organization's sign-in policy: whether its members need two-factor, and its
single sign-on provider (OpenID Connect). Accounts, passwords, authenticators and
failed sign-ins themselves live in django-allauth and django-axes (docs/accounts.md)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy.fields import EncryptedTextField
from tenancy.roles import Role

# Anyone can have an address at these: no organization may claim them for its SSO.
PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.net", "mail.com", "zoho.com", "yandex.com",
})  # fmt: skip


def issuer_host_refusal(url: str) -> str | None:
    """Why the server must not fetch this issuer's discovery document: its host is an
    address that is not public (private, loopback, link-local, reserved) or a local
    name. The server fetches from the issuer and posts the client secret to it, so an
    owner must not point it inside the network (server-side request forgery)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url or "").hostname or "").rstrip(".").lower()
    if not host:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return "The issuer must be a public address, not a name on the local network."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a public name: the provider's own host
    if not address.is_global:
        return "The issuer must be a public address, not a private, loopback or link-local one."
    return None


DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def split_domains(text: str) -> list[str]:
    """'Example.com, @corp.example.org' -> ['example.com', 'corp.example.org']."""
    parts = re.split(r"[\s,;]+", (text or "").lower())
    return list(dict.fromkeys(p.lstrip("@").strip(".") for p in parts if p.strip("@.")))


class OrganizationSecurity(models.Model):
    """What an owner requires of the organization's members when they sign in."""

    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="security"
    )
    require_two_factor = models.BooleanField(
        "Require two-factor authentication",
        default=False,
        help_text="Members without an authenticator app or a passkey are sent to set one "
        "up before they open this organization's pages.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "organization security"
        verbose_name_plural = "organization security"

    def __str__(self):
        return f"Security of {self.organization}"


# Roles a first sign-in through SSO may grant. Never owner: an owner is made by an owner.
SSO_ROLES = [(r.value, r.label) for r in Role if r != Role.OWNER]


class SingleSignOn(models.Model):
    """An organization's OpenID Connect provider (Microsoft Entra ID, Google Workspace or
    another). django-allauth sees it as a SocialApp (accounts.adapters), whose
    `provider_id` names the redirect URI registered at the provider, so it never changes."""

    class Kind(models.TextChoices):
        ENTRA = "entra", "Microsoft Entra ID"
        GOOGLE = "google", "Google Workspace"
        OTHER = "oidc", "Another OpenID Connect provider"

    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="single_sign_on"
    )
    provider_id = models.SlugField(max_length=80, unique=True, editable=False)
    kind = models.CharField("Provider", max_length=10, choices=Kind.choices, default=Kind.ENTRA)
    issuer_url = models.URLField(
        "Issuer URL",
        max_length=300,
        help_text="Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0 · "
        "Google: https://accounts.google.com",
    )
    client_id = models.CharField("Client ID", max_length=255)
    # Write-only: never shown again, never in history, the API or logs.
    client_secret = EncryptedTextField(blank=True)
    allowed_domains = models.TextField(
        "Allowed email domains",
        help_text="Only people whose email ends in one of these may sign in this way, "
        "e.g. “northwind.example, northwind-it.example”.",
    )
    default_role = models.CharField(
        "Role of new members", max_length=20, choices=SSO_ROLES, default=Role.VIEWER,
        help_text="A person's first sign-in makes their account and a membership with this "
        "role; an owner can change it afterwards.",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["client_secret"])

    class Meta:
        verbose_name = "single sign-on"
        verbose_name_plural = "single sign-on"

    def __str__(self):
        return f"SSO of {self.organization}"

    @property
    def domains(self) -> list[str]:
        return split_domains(self.allowed_domains)

    def allows(self, email: str) -> bool:
        domain = (email or "").rpartition("@")[2].lower()
        return bool(domain) and "@" in (email or "") and domain in self.domains

    def clean(self):
        domains = self.domains
        if not domains:
            raise ValidationError({"allowed_domains": "Name at least one email domain."})
        bad = [d for d in domains if not DOMAIN_RE.match(d)]
        if bad:
            raise ValidationError({"allowed_domains": f"Not a domain: {', '.join(bad)}."})
        public = sorted(set(domains) & PUBLIC_EMAIL_DOMAINS)
        if public:
            raise ValidationError({"allowed_domains": (
                f"{', '.join(public)} is a public email service: anyone can have an address "
                "there. Name your organization's own domain."
            )})  # fmt: skip
        self.allowed_domains = ", ".join(domains)
        if (
            self.issuer_url
            and not self.issuer_url.startswith("https://")
            and not (settings.DEBUG or getattr(settings, "SSO_ALLOW_HTTP_ISSUER", False))
        ):
            raise ValidationError({"issuer_url": "The issuer URL must start with https://."})
        refusal = issuer_host_refusal(self.issuer_url)
        if refusal and not getattr(settings, "SSO_ALLOW_HTTP_ISSUER", False):
            raise ValidationError({"issuer_url": refusal})
        if self.default_role == Role.OWNER:
            raise ValidationError({"default_role": "SSO never makes an owner."})
