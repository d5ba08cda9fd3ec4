"""Reads for sign-in and the owners' Security page."""

from datetime import timedelta

from axes.conf import settings as axes_settings
from axes.models import AccessFailureLog
from django.contrib.auth import get_user_model
from django.db.models import Q

from tenancy import clock
from tenancy.models import Membership

from . import throttle
from .models import OrganizationSecurity, SingleSignOn

RECENT_FAILURES_DAYS = 7
RECENT_FAILURES_SHOWN = 50


def sso_by_provider_id(provider_id: str):
    if not provider_id or not str(provider_id).startswith("org-"):
        return None
    return (
        SingleSignOn.objects.select_related("organization").filter(provider_id=provider_id).first()
    )


def enabled_sso(provider_id: str):
    return SingleSignOn.objects.select_related("organization").filter(
        provider_id=provider_id, enabled=True
    )


def enabled_sso_of_user(user):
    if user is None or not user.is_authenticated:
        return SingleSignOn.objects.none()
    return SingleSignOn.objects.select_related("organization").filter(
        enabled=True, organization__memberships__user=user
    )


def sso_for_org_slug(org_slug: str):
    """The enabled SSO of the organization a sign-in link names, or None."""
    return (
        SingleSignOn.objects.select_related("organization")
        .filter(organization__slug=org_slug, enabled=True)
        .first()
    )


def sso_for_email(email: str):
    """The enabled SSO whose allowed domains hold this email's domain, or None."""
    domain = (email or "").rpartition("@")[2].strip().lower()
    if "@" not in (email or "") or not domain:
        return None
    for sso in SingleSignOn.objects.select_related("organization").filter(
        enabled=True, allowed_domains__icontains=domain
    ):
        if domain in sso.domains:
            return sso
    return None


def sso_of(organization):
    return SingleSignOn.objects.filter(organization=organization).first()


def email_taken(email: str) -> bool:
    from allauth.account.models import EmailAddress

    if not email:
        return False
    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def security_of(organization) -> OrganizationSecurity:
    """The organization's policy (unsaved defaults when the owner never set one)."""
    return OrganizationSecurity.objects.filter(organization=organization).first() or (
        OrganizationSecurity(organization=organization)
    )


def requires_two_factor(organization_id) -> bool:
    return OrganizationSecurity.objects.filter(
        organization_id=organization_id, require_two_factor=True
    ).exists()


def has_two_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def member_security(organization):
    """Each member's sign-in state for the Security page: whether they have two-factor,
    whether failed sign-ins lock their account now, and how many count (3 queries)."""
    from allauth.mfa.models import Authenticator

    memberships = list(
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__username")
    )
    with_2fa = set(
        Authenticator.objects.filter(
            user__in=[m.user for m in memberships],
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).values_list("user_id", flat=True)
    )
    limit = axes_settings.AXES_FAILURE_LIMIT
    failures_of = throttle.failures_by_account(m.user.username for m in memberships)
    rows = []
    for m in memberships:
        failures = failures_of.get(m.user.username, 0)
        rows.append({
            "membership": m, "user": m.user, "two_factor": m.user_id in with_2fa,
            "failures": failures, "locked": failures >= limit,
        })  # fmt: skip
    return rows


def recent_failures(organization):
    """Failed sign-ins for the organization's members over the last days, newest first."""
    usernames = list(
        Membership.objects.filter(organization=organization).values_list(
            "user__username", flat=True
        )
    )
    since = clock.now() - timedelta(days=RECENT_FAILURES_DAYS)
    return AccessFailureLog.objects.filter(
        username__in=usernames, attempt_time__gte=since
    ).order_by("-attempt_time")[:RECENT_FAILURES_SHOWN]


def member_of(organization, user_id):
    """The organization's membership of this user, or None (another organization's
    member is as unknown here as nobody)."""
    return (
        Membership.objects.select_related("user")
        .filter(organization=organization, user_id=user_id)
        .first()
    )


def domains_claimed_elsewhere(domains, organization):
    """Which of these email domains another organization's SSO already claims."""
    taken = set()
    others = SingleSignOn.objects.exclude(organization=organization)
    query = Q()
    for d in domains:
        query |= Q(allowed_domains__icontains=d)
    if not domains:
        return taken
    for sso in others.filter(query):
        taken |= set(sso.domains) & set(domains)
    return sorted(taken)


def provider_origins(org_slug: str | None = None) -> list[str]:
    """The origins (https://host[:port]) of the enabled SSO providers: one organization's,
    or all of them."""
    from urllib.parse import urlsplit

    rows = SingleSignOn.objects.filter(enabled=True)
    if org_slug:
        rows = rows.filter(organization__slug=org_slug)
    origins = set()
    for url in rows.values_list("issuer_url", flat=True):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)
