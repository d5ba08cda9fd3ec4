"""Writes for sign-in policy: the owners' Security page calls these, and allauth's
adapter calls `join_through_sso` (docs/accounts.md)."""

import logging

from axes.utils import reset as axes_reset
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction

from tenancy.history import save_with_history
from tenancy.models import Membership
from tenancy.roles import OWNER_ONLY, require_role

from . import selectors
from .models import OrganizationSecurity, SingleSignOn

logger = logging.getLogger(__name__)


@transaction.atomic
def set_two_factor_requirement(organization, *, by, required: bool, reason: str = ""):
    """An owner requires (or stops requiring) two-factor of every member. An owner
    without two-factor cannot require it: they would be sent away from this page."""
    require_role(organization.pk, by, OWNER_ONLY, "Changing the sign-in requirements")
    if required and not selectors.has_two_factor(by):
        raise ValidationError(
            "Set up two-factor authentication for yourself first (Account → Two-factor), "
            "then require it of everyone."
        )
    policy, _ = OrganizationSecurity.objects.select_for_update().get_or_create(
        organization=organization
    )
    policy.require_two_factor = required
    return save_with_history(
        policy, by=by,
        reason=reason or ("two-factor required" if required else "two-factor no longer required"),
    )  # fmt: skip


def unlock_member(organization, *, by, user_id) -> int:
    """An owner lifts the lockout of one of their members: that account's failed
    sign-ins are forgotten (from every address). Another organization's member is a
    404 here, as on every page."""
    require_role(organization.pk, by, OWNER_ONLY, "Unlocking a member")
    membership = selectors.member_of(organization, user_id)
    if membership is None:
        raise ObjectDoesNotExist("No such member.")
    count = axes_reset(username=membership.user.username)
    logger.info(
        "sign-in lockout lifted: member=%s organization=%s by=%s attempts=%s",
        membership.user.username, organization.slug, by.username, count,
    )  # fmt: skip
    return membership.user


SSO_FIELDS = ("kind", "issuer_url", "client_id", "allowed_domains", "default_role", "enabled")


@transaction.atomic
def save_single_sign_on(organization, *, by, client_secret: str = "", reason: str = "",
                        **fields):  # fmt: skip
    """An owner sets up or changes the organization's OpenID Connect provider. The client
    secret is write-only: an empty one keeps the stored secret."""
    require_role(organization.pk, by, OWNER_ONLY, "Changing single sign-on")
    unknown = set(fields) - set(SSO_FIELDS)
    if unknown:
        raise ValueError(f"Not single sign-on settings: {', '.join(sorted(unknown))}.")
    sso = SingleSignOn.objects.select_for_update().filter(organization=organization).first()
    if sso is None:
        sso = SingleSignOn(organization=organization, provider_id=f"org-{organization.slug}")
    for name, value in fields.items():
        setattr(sso, name, value)
    if client_secret:
        sso.client_secret = client_secret
    sso.full_clean()
    if not sso.client_secret:
        raise ValidationError({"client_secret": "Enter the client secret the provider gave."})
    taken = selectors.domains_claimed_elsewhere(sso.domains, organization)
    if taken:
        raise ValidationError({"allowed_domains": (
            f"Another organization signs in {', '.join(taken)} through its single sign-on."
        )})  # fmt: skip
    return save_with_history(sso, by=by, reason=reason or "single sign-on changed")


@transaction.atomic
def join_through_sso(sso, *, create_user):
    """A person's first sign-in through their organization's SSO (just in time): their
    account (`create_user`, allauth's), then a membership at the SSO's default role."""
    if sso is None or not sso.enabled:
        raise ValidationError("This single sign-on is not available.")
    user = create_user()
    membership = Membership(user=user, organization=sso.organization, role=sso.default_role)
    save_with_history(membership, by=user, reason="joined through single sign-on")
    logger.info(
        "joined through single sign-on: user=%s organization=%s role=%s",
        user.username, sso.organization.slug, sso.default_role,
    )  # fmt: skip
    return user
