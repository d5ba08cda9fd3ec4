"""The owners' Security page (two-factor requirement, lockouts, single sign-on) and the
single sign-on entry points of the sign-in page (docs/accounts.md)."""

import logging

from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from requests import RequestException

from tenancy.roles import Role
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView

from . import selectors, services
from .forms import SingleSignOnForm, SingleSignOnStartForm, TwoFactorPolicyForm, UnlockForm
from .models import OrganizationSecurity, SingleSignOn

logger = logging.getLogger(__name__)


class _OwnerPage(OrgMixin):
    """An owner's page of the organization; other members are refused (403)."""

    model = OrganizationSecurity

    def resolve_url_objects(self):
        if self.membership.role != Role.OWNER:
            raise PermissionDenied("Only an owner sees and changes the organization's security.")


@method_decorator(never_cache, name="dispatch")
class SecurityPage(_OwnerPage, TemplateView):
    template_name = "accounts/security.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = selectors.security_of(self.organization)
        context.update(
            policy=policy,
            policy_form=TwoFactorPolicyForm(
                initial={"require_two_factor": policy.require_two_factor}
            ),
            members=selectors.member_security(self.organization),
            failures=selectors.recent_failures(self.organization),
            failures_days=selectors.RECENT_FAILURES_DAYS,
            sso=selectors.sso_of(self.organization),
            i_have_two_factor=selectors.has_two_factor(self.request.user),
            cooloff_minutes=f"{round(settings.AXES_COOLOFF_TIME * 60)} minutes",
        )  # fmt: skip
        return context


class _SecurityAction(_OwnerPage, ServiceActionView):
    def target(self):
        return self.organization

    def back_url(self, organization):
        return reverse("org-security", args=[organization.slug])


class SetTwoFactorPolicy(_SecurityAction):
    form_class = TwoFactorPolicyForm

    def act(self, organization, data):
        required = data["require_two_factor"]
        services.set_two_factor_requirement(organization, by=self.request.user, required=required)
        if required:
            return "Two-factor is now required: members without it set it up at their next page."
        return "Two-factor is no longer required (members who have it keep using it)."


class UnlockMember(_SecurityAction):
    form_class = UnlockForm

    def act(self, organization, data):
        try:
            user = services.unlock_member(organization, by=self.request.user,
                                          user_id=data["user"])  # fmt: skip
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        return f"{user.username} can sign in again."


@method_decorator([never_cache, sensitive_post_parameters("client_secret")], name="dispatch")
class SingleSignOnSettings(_OwnerPage, TemplateView):
    template_name = "accounts/sso_settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sso = selectors.sso_of(self.organization)
        provider_id = sso.provider_id if sso else f"org-{self.organization.slug}"
        context.update(
            sso=sso,
            form=kwargs.get("form") or SingleSignOnForm(instance=sso),
            redirect_uri=build_absolute_uri(
                self.request,
                reverse("openid_connect_callback", kwargs={"provider_id": provider_id}),
            ),
            sign_in_url=build_absolute_uri(
                self.request, reverse("sso-org-start", args=[self.organization.slug])
            ),
        )  # fmt: skip
        return context

    def post(self, request, org_slug):
        sso = selectors.sso_of(self.organization)
        form = SingleSignOnForm(request.POST, instance=sso or SingleSignOn())
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in services.SSO_FIELDS}
            try:
                services.save_single_sign_on(
                    self.organization, by=request.user,
                    client_secret=form.cleaned_data["client_secret"], **fields,
                )  # fmt: skip
            except TransitionRefused as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "Single sign-on saved.")
                return redirect("org-sso", org_slug=org_slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _start_sso(request, sso, email=""):
    """Send the browser to the organization's provider (allauth's OpenID Connect flow;
    it comes back to /accounts/oidc/<provider_id>/login/callback/)."""
    try:
        provider = get_social_adapter().get_provider(request, sso.provider_id)
        auth_params = provider.get_auth_params()
        if email:
            auth_params["login_hint"] = email
        return provider.redirect(
            request, process="login", next_url=get_next_redirect_url(request),
            auth_params=auth_params,
        )  # fmt: skip
    except (RequestException, OAuth2Error, ValueError, KeyError):
        # The provider's discovery document did not answer, or not as OpenID Connect
        # says: a clear page, never a 500 (logged for the owner to fix).
        logger.warning("SSO of %s: the identity provider did not answer", sso.organization_id,
                       exc_info=True)  # fmt: skip
        return render(request, "accounts/sso_refused.html", {
            "reason": f"{sso.organization.name}'s sign-in provider does not answer right now. "
            "Try again in a few minutes, or sign in with your username and password.",
        }, status=503)  # fmt: skip


NO_SSO_FOR_DOMAIN = (
    "No organization signs in people of this email domain through single sign-on. "
    "Sign in with your username and password."
)


@method_decorator(never_cache, name="dispatch")
class SingleSignOnStart(View):
    """/accounts/sso/: "Sign in with your organization's SSO" — the work email names the
    organization by its domain."""

    template_name = "accounts/sso_start.html"

    def get(self, request):
        return render(request, self.template_name, {"form": SingleSignOnStartForm()})

    def post(self, request):
        form = SingleSignOnStartForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            sso = selectors.sso_for_email(email)
            if sso is not None:
                return _start_sso(request, sso, email)
            form.add_error("email", NO_SSO_FOR_DOMAIN)
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator(never_cache, name="dispatch")
class OrganizationSingleSignOnStart(View):
    """/accounts/sso/<org_slug>/: an organization's own sign-in link (the owner shares it);
    a button that starts the sign-in (a POST, so a page elsewhere cannot sign someone in
    unasked). No enabled SSO: 404."""

    template_name = "accounts/sso_org_start.html"

    def dispatch(self, request, org_slug):
        self.sso = selectors.sso_for_org_slug(org_slug)
        if self.sso is None:
            raise Http404
        return super().dispatch(request, org_slug)

    def get(self, request, org_slug):
        context = {"sso": self.sso, "next": request.GET.get("next", "")}
        return render(request, self.template_name, context)

    def post(self, request, org_slug):
        return _start_sso(request, self.sso)


class EmailManagedElsewhere(View):
    """A member's email address is not theirs to change here: it names the account for
    password resets, sign-in and single sign-on, and an unverified change would let one
    member claim another's address. A superuser changes it in the admin."""

    def dispatch(self, request, *args, **kwargs):
        messages.info(
            request,
            "Your email address is set for you: ask your administrator to change it.",
        )
        return redirect("mfa_index" if request.user.is_authenticated else "login")
