"""Sign-in middleware (settings.MIDDLEWARE, docs/accounts.md): an organization's
two-factor requirement, the SSO pages' form targets under the Content-Security-Policy,
and the sign-in steps that need the cache while it is down."""

import logging

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render

from tenancy.api_auth import live_token
from tenancy.models import Organization

from . import selectors

logger = logging.getLogger(__name__)


class RequireTwoFactorMiddleware:
    """The one place that enforces an organization's two-factor requirement: every page
    of an organization (a view with `org_slug`: the staff pages and the API alike) sends
    a signed-in member without two-factor to set it up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    # Making an API token: a token would reach the organization's API without the
    # second factor, so it waits for it too.
    TOKEN_PAGES = ("api-tokens",)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org_slug")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # An API call with a personal token acts as its user: the requirement holds
            # for it too (DRF authenticates it later, in the view; an invalid token is
            # left to its 401 there).
            user = self._token_user(request) if slug else None
            if user is None:
                return None
        if slug:
            organization = (
                Organization.objects.filter(slug=slug, security__require_two_factor=True)
                .only("pk", "name")
                .first()
            )
            if organization is None or selectors.has_two_factor(user):
                return None
            if not organization.memberships.filter(user=user).exists():
                return None  # not a member: the page itself answers 404
        elif request.method == "POST" and self._url_name(request) in self.TOKEN_PAGES:
            organization = (
                Organization.objects.filter(
                    memberships__user=user, security__require_two_factor=True
                )
                .only("pk", "name")
                .first()
            )
            if organization is None or selectors.has_two_factor(user):
                return None
        else:
            return None
        text = (
            f"{organization.name} requires two-factor authentication. Set up an "
            "authenticator app or a passkey to continue."
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": text, "code": "two_factor_required"}, status=403)
        messages.warning(request, text)
        request.session["two_factor_next"] = request.get_full_path()
        return redirect("mfa_index")

    @staticmethod
    def _token_user(request):
        keyword, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = live_token(key.strip(), request) if keyword == "Token" else None
        return token.user if token is not None else None

    @staticmethod
    def _url_name(request):
        match = getattr(request, "resolver_match", None)
        return match.url_name if match else None


class SingleSignOnFormTargetsMiddleware:
    """The sign-in pages' forms may lead to the organizations' identity providers.

    The Content-Security-Policy's `form-action 'self'` also covers the redirects that
    follow a form: the SSO start (/accounts/sso/…) and allauth's provider page
    (/accounts/oidc/…) post here and are redirected to the provider's sign-in. On those
    pages only, the providers' origins (scheme and host, never a tenant's path) are added:
    the one organization's on its own link, every enabled one's where the email decides."""

    PREFIXES = ("/accounts/sso/", "/accounts/oidc/", "/accounts/3rdparty/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.PREFIXES) and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            slug = getattr(request, "resolver_match", None)
            slug = slug.kwargs.get("org_slug") if slug else None
            origins = selectors.provider_origins(org_slug=slug)
            if origins:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["form-action"] = [*update.get("form-action", []), *origins]
                response._csp_update = update
        return response


class CacheDownMiddleware:
    """The sign-in pages whose limits live in the cache (password resets, second-factor
    codes, passkeys: allauth's rate limits) refuse, with a 503 page, while the cache
    (Redis) is down, rather than answer 500 or go on without a limit. Password sign-ins
    do not need it: axes counts them in the database (docs/accounts.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from redis.exceptions import RedisError

        if not request.path.startswith("/accounts/") or not isinstance(exception, RedisError):
            return None
        logger.warning(
            "sign-in step refused: the cache does not answer (%s %s)",
            request.method, request.path, exc_info=True,
        )  # fmt: skip
        return render(request, "accounts/503_sign_in.html", status=503)
