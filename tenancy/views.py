from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from . import reminders
from .forms import OrganizationSettingsForm
from .portal import portal_response
from .roles import Role
from .rules import TransitionRefused
from .selectors import membership_for, memberships_of
from .services import (
    DEFAULT_TOKEN_LIFETIME_DAYS,
    TOKEN_LIFETIME_DAYS,
    create_api_token,
    revoke_api_token,
    update_organization_settings,
)


@login_required
def home(request):
    """Send a user with one organization straight to it; otherwise let them choose."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("org-home", org_slug=memberships[0].organization.slug)
    return render(request, "tenancy/choose_organization.html", {"memberships": memberships})


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use it",
                           help_text="e.g. “billing sync” or “Ana's laptop”.")  # fmt: skip
    days = forms.TypedChoiceField(
        label="Works for", coerce=int, initial=DEFAULT_TOKEN_LIFETIME_DAYS,
        required=False, empty_value=DEFAULT_TOKEN_LIFETIME_DAYS,
        choices=[(d, f"{d} days" if d < 365 else "1 year") for d in TOKEN_LIFETIME_DAYS],
        help_text="Then it stops working by itself: make a new one before.",
    )  # fmt: skip


@method_decorator(never_cache, name="dispatch")
class ApiTokens(LoginRequiredMixin, View):
    """The user's own API tokens: create one (its key is shown once, here), revoke one."""

    template_name = "tenancy/api_tokens.html"

    def render(self, form, new_key="", status=200):
        tokens = self.request.user.api_tokens.all()
        return render(self.request, self.template_name, {
            "form": form, "tokens": tokens, "new_key": new_key,
            "api_docs_url": reverse("api-docs"),
        }, status=status)  # fmt: skip

    def get(self, request):
        return self.render(ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = create_api_token(
                    request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                # Shown in this response only: the key is stored nowhere.
                messages.success(
                    request,
                    f"Token “{token.name}” created. It works until "
                    f"{token.expires_at:%Y-%m-%d} (UTC), then stops by itself.",
                )
                return self.render(ApiTokenForm(), new_key=key)
        return self.render(form, status=400)


class RevokeApiToken(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            token = revoke_api_token(request.user, pk)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        return redirect("api-tokens")


@method_decorator(never_cache, name="dispatch")
class OrganizationSettings(LoginRequiredMixin, View):
    """/o/<slug>/settings/: the owner sets the organization's brand colour and the
    business hours new cutover plans start with. Other members see them, read-only."""

    template_name = "tenancy/org_settings.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.membership = membership_for(request.user, kwargs["org_slug"])
            self.organization = request.organization = self.membership.organization
        return super().dispatch(request, *args, **kwargs)

    def render(self, form, status=200):
        return render(self.request, self.template_name, {
            "form": form, "organization": self.organization,
            "can_change": self.membership.role == Role.OWNER,
        }, status=status)  # fmt: skip

    def get(self, request, org_slug):
        return self.render(OrganizationSettingsForm(instance=self.organization))

    def post(self, request, org_slug):
        if self.membership.role != Role.OWNER:
            raise PermissionDenied("Only an owner changes the organization's settings.")
        form = OrganizationSettingsForm(request.POST, instance=self.organization)
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
            try:
                update_organization_settings(
                    self.organization, by=request.user,
                    reason=form.cleaned_data["reason"], **fields,
                )  # fmt: skip
            except TransitionRefused as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Organization settings saved.")
                return redirect("org-settings", org_slug=org_slug)
        return self.render(form, status=400)


@method_decorator([never_cache, csrf_exempt], name="dispatch")
class UnsubscribeFromReminders(View):
    """The link in every reminder. Opening it asks first (mail scanners open links); the
    button, or a mail client's one-click POST (RFC 8058), stops the reminders at once.
    The signed token is the authority, so the POST needs no CSRF cookie."""

    http_method_names = ["get", "post"]

    def _contact(self, token):
        found = reminders.contact_for(token)
        if found is None:
            raise Http404("No such link.")
        return found

    def get(self, request, token):
        organization, email = self._contact(token)
        stopped = email in reminders.opted_out(organization, [email])
        return portal_response(request, "reminders/unsubscribe.html", {
            "title": "No more reminders" if stopped else "Stop reminders?",
            "text": f"{organization.name} sends no more reminders to {email}." if stopped
            else f"{organization.name} reminds {email} of the tasks still open in a "
            "migration, at most once a day.",
            "ask": not stopped, "email": email,
        })  # fmt: skip

    def post(self, request, token):
        organization, email = self._contact(token)
        reminders.unsubscribe(organization, email)
        return portal_response(request, "reminders/unsubscribe.html", {
            "title": "No more reminders",
            "text": f"{organization.name} sends no more reminders to {email}. Links we sent "
            "you keep working, and your project manager can still write to you.",
        })  # fmt: skip
