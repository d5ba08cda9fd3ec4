"""django-allauth, fitted to this project (settings: ACCOUNT_ADAPTER, SOCIALACCOUNT_ADAPTER,
MFA_ADAPTER; docs/accounts.md):

- nobody signs up by themselves; accounts come from people (the admin, `load_demo`) or
  from a first sign-in through an organization's single sign-on;
- the client's address is the one the portals and axes use (`TRUSTED_PROXY_COUNT`);
- password sign-ins are throttled by axes only (per account and per address);
- each organization's SSO provider is a SocialApp built from `SingleSignOn`, whose
  client secret stays encrypted in the database;
- two-factor secrets (TOTP) are encrypted at rest with FIELD_ENCRYPTION_KEYS.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.shortcuts import render

from tenancy.fields import fernet
from tenancy.portal import client_ip

from . import selectors, services


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request):
        return client_ip(request) or "0.0.0.0"  # noqa: S104  (an address allauth can key on)

    def pre_authenticate(self, request, **credentials):
        """Password sign-ins are counted and refused by axes (AUTHENTICATION_BACKENDS), per
        account and per address, with its 429 and the owners' Security page; allauth's own
        limiter would refuse first with a plain form error. Second-factor codes keep
        allauth's limit ("login_failed" in ACCOUNT_RATE_LIMITS)."""
        return None


def sso_of(sociallogin):
    """The SingleSignOn a social login came through, or None."""
    provider_id = sociallogin.account.provider if sociallogin.account else ""
    return selectors.sso_by_provider_id(provider_id)


def _refuse(request, sso, reason: str):
    response = render(request, "accounts/sso_refused.html", {"reason": reason}, status=403)
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """allauth's apps plus the organizations' SSO apps: the one a provider_id names
        (the sign-in and its callback), or, in a list (the account's connections page),
        those of the signed-in person's own organizations only."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        if provider in (None, "openid_connect"):
            user = getattr(request, "user", None)
            ssos = selectors.enabled_sso_of_user(user)
        else:
            ssos = selectors.enabled_sso(provider_id=provider)
        apps.extend(social_app_for(s) for s in ssos if not client_id or s.client_id == client_id)
        return apps

    def pre_social_login(self, request, sociallogin):
        """Through an organization's SSO, only the people of its allowed domains get in;
        a first sign-in whose email already has an account is not joined to it (the
        person signs in with their password and connects SSO from their account)."""
        sso = sso_of(sociallogin)
        if sso is None:
            return
        email = (sociallogin.user.email if sociallogin.user else "") or ""
        if not email and sociallogin.email_addresses:
            email = sociallogin.email_addresses[0].email
        if not sso.allows(email):
            domain = email.rpartition("@")[2] or "(no email)"
            name = sso.organization.name
            _refuse(request, sso, f"People of {domain} do not sign in to {name} through its "
                    "single sign-on.")  # fmt: skip
        if sociallogin.is_existing:
            return  # a known person
        if request.user.is_authenticated:
            # Connecting SSO to one's own account (Account → Single sign-on): only to
            # the SSO of an organization one is a member of.
            if selectors.member_of(sso.organization, request.user.pk) is None:
                _refuse(request, sso, f"You are not a member of {sso.organization.name}.")
            return
        if selectors.email_taken(email):
            _refuse(request, sso, "An account with this email address already exists. Sign "
                    "in with your username and password, then connect single sign-on under "
                    "Account → Single sign-on.")  # fmt: skip

    def is_open_for_signup(self, request, sociallogin):
        sso = sso_of(sociallogin)
        return bool(sso and sso.enabled)

    def save_user(self, request, sociallogin, form=None):
        """A first sign-in through an organization's SSO: the account, then its
        membership at the organization's default role (accounts.services)."""
        return services.join_through_sso(
            sso_of(sociallogin),
            create_user=lambda: super(SocialAccountAdapter, self).save_user(
                request, sociallogin, form
            ),
        )


def social_app_for(sso) -> SocialApp:
    """The (unsaved) allauth app of an organization's SSO. The secret is decrypted here,
    for the token request, and nowhere stored in clear."""
    app = SocialApp(
        provider="openid_connect",
        provider_id=sso.provider_id,
        name=f"{sso.organization.name} single sign-on",
        client_id=sso.client_id,
        secret=sso.client_secret or "",
        settings={
            "server_url": sso.issuer_url,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
        },
    )
    app.sso = sso
    return app


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return fernet().decrypt(encrypted_text.encode()).decode()
