"""The one view mixin every organization page uses."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.views import View

from .rules import TransitionConflict, TransitionRefused, as_conflict
from .scoping import scope_form_fields, scope_queryset
from .selectors import membership_for

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class OrgMixin(LoginRequiredMixin):
    """Resolves /o/<org_slug>/ to the user's membership (404 when not a member), scopes
    querysets and form choices to it, and refuses writes to read-only roles (403)."""

    model = None
    write_model = None  # model whose write_roles gate POST; defaults to `model`

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = membership_for(request.user, kwargs["org_slug"])
        self.organization = self.membership.organization
        request.membership = self.membership
        request.organization = self.organization
        # Objects named by the URL are looked up before the method or the role is judged,
        # so another organization's object is a 404 whatever the method (never 405/403).
        self.resolve_url_objects()
        if request.method not in SAFE_METHODS and not self.membership.can_write(
            self.write_model or self.model
        ):
            raise PermissionDenied("Your role in this organization is read-only here.")
        return super().dispatch(request, *args, **kwargs)

    def resolve_url_objects(self):
        if "migration_uuid" in self.kwargs and hasattr(self, "get_migration"):
            self.get_migration()
        if hasattr(self, "get_object") and (
            self.kwargs.get(getattr(self, "pk_url_kwarg", "pk")) is not None
            or self.kwargs.get(getattr(self, "slug_url_kwarg", "slug")) is not None
        ):
            self.get_object()

    def get_object(self, queryset=None):
        if queryset is None and getattr(self, "_url_object", None) is not None:
            return self._url_object
        obj = super().get_object(queryset)
        # The page links to the object and its parents by the organization's slug: hand
        # them the organization already loaded instead of one query each.
        for related in (obj, *obj.breadcrumb_parents()):
            if related.organization_id == self.organization.pk:
                related.organization = self.organization
        if queryset is None:
            self._url_object = obj
        return obj

    def scoped(self, queryset):
        return scope_queryset(queryset, self.organization)

    def get_queryset(self):
        return self.scoped(self.model._default_manager.all())

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        scope_form_fields(form.fields, self.organization)
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.membership.can_write(self.write_model or self.model)
        return context


def form_error_text(form) -> str:
    """A form's errors as one line for a message: 'Label: error; other error'."""
    return "; ".join(
        " ".join(msgs) if field == "__all__"
        else f"{form.fields[field].label or field}: {' '.join(msgs)}"
        for field, msgs in form.errors.items()
    )  # fmt: skip


def refusal_text(exc) -> str:
    """A service's refusal as one line, in words: a named rule's refusal (TransitionRefused
    and the like carry `.rule`) is its message, the rule's code goes apart as a label
    (`refusal_tags`); a ValidationError lists its messages by field."""
    if hasattr(exc, "rule"):
        return exc.message
    if isinstance(exc, TransitionConflict):
        return str(exc)
    if hasattr(exc, "error_dict"):
        return "; ".join(
            " ".join(v) if k == "__all__" else f"{k}: {' '.join(v)}"
            for k, v in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def refusal_tags(exc) -> str:
    """The `extra_tags` of a refusal's message: "rule:<code>" for a named rule, which
    templates/base.html shows as a small label after the message, never as its text."""
    rule = getattr(exc, "rule", None) or ("conflict" if isinstance(exc, TransitionConflict) else "")
    return f"rule:{rule}" if rule else ""


class ServiceActionView(View):
    """The one base of every POST action on a staff page: build the form, call the
    service in `act()`, say what happened as a message, and go back to `back_url()`.

    A form error, a refusal (a ValidationError, a rule's TransitionRefused, a
    TransitionConflict or another write that lost a race: `tenancy.rules.as_conflict`) or
    an email that could not be sent changes nothing and says so: "Nothing changed: <why>",
    with the rule's code as a small label. `act(target, data)` gets the form's cleaned
    data; the form itself is `self.form`."""

    http_method_names = ["post"]
    form_class = None
    refused: tuple = (ValidationError, TransitionRefused, TransitionConflict)

    def target(self):
        return self.get_object()

    def build_form(self, target):
        form_class = self.form_class or forms.Form
        return form_class(self.request.POST, self.request.FILES)

    def act(self, target, data) -> str:
        raise NotImplementedError

    def back_url(self, target) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        target = self.target()
        self.form = form = self.build_form(target)
        if not form.is_valid():
            messages.error(request, f"Nothing changed: {form_error_text(form)}")
        else:
            try:
                messages.success(request, self.act(target, form.cleaned_data))
            except self.refused as exc:
                self.say_refused(exc)
            except OSError as exc:  # the mail server refused or is unreachable
                messages.error(request, f"Nothing changed: the email could not be sent ({exc}).")
            except Exception as exc:
                conflict = as_conflict(exc)
                if conflict is None:
                    raise
                self.say_refused(conflict)
        return HttpResponseRedirect(self.back_url(target))

    def say_refused(self, exc):
        messages.error(
            self.request, f"Nothing changed: {refusal_text(exc)}", extra_tags=refusal_tags(exc)
        )
