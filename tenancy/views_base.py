"""The one view mixin every organization page uses."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

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
        if request.method not in SAFE_METHODS and not self.membership.can_write(
            self.write_model or self.model
        ):
            raise PermissionDenied("Your role in this organization is read-only here.")
        return super().dispatch(request, *args, **kwargs)

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
