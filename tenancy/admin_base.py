"""Admin scoped like everything else: a non-superuser sees and edits only the rows of
organizations where their role may write, and every dropdown offers only those."""

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from simple_history.admin import SimpleHistoryAdmin

import rowsecurity

from .locking import carry_shown_values, lock_for_update
from .models import Membership, Organization
from .roles import DEFAULT_WRITE_ROLES, Role


def admin_organizations(user):
    """The organizations whose rows `user` sees in the admin: all for a superuser; for
    staff, those where they may write; for anyone else, those they own."""
    if user.is_superuser:
        return Organization.objects.all()
    roles = DEFAULT_WRITE_ROLES if user.is_staff else (Role.OWNER,)
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=roles
    ).distinct()


def can_use_admin(user) -> bool:
    """Staff, and the owners of an organization (for their organizations' rows only)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or admin_organizations(user).exists()


class ScopedAdminSite(admin.AdminSite):
    """The default admin site (tenancy.apps.ScopedAdminConfig): besides staff, owners
    reach it, and every organization model in it shows only their organizations' rows."""

    site_header = "VoIP Migrate administration"

    def has_permission(self, request):
        return can_use_admin(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin page (after the login check) names the organizations it may touch
        to the database session (rowsecurity): a superuser's span all of them, said so;
        anyone else's are their admin organizations."""

        @wraps(view)
        def scoped(request, *args, **kwargs):
            if request.user.is_superuser:
                rowsecurity.enter_all_organizations(reason="a superuser in the admin")
            else:
                rowsecurity.enter_organizations(
                    admin_organizations(request.user).values_list("pk", flat=True)
                )
            return view(request, *args, **kwargs)

        return super().admin_view(scoped, cacheable)

    def login(self, request, extra_context=None):
        """The admin has no sign-in of its own: it sends people to the site's, which
        counts failed attempts and asks for the second factor (docs/accounts.md)."""
        if not request.user.is_authenticated:
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            query = urlencode({REDIRECT_FIELD_NAME: next_url})
            return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
        if not self.has_permission(request):
            raise PermissionDenied("Your account does not reach the admin.")
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        return HttpResponseRedirect(next_url)


def scoped_view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect, answering 404 for rows the user may not see."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut

    if not request.user.is_superuser:
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            model_admin = admin.site._registry[model]
            visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ContentType.DoesNotExist, KeyError, ValueError, TypeError):
            visible = False
        if not visible or not isinstance(model_admin, OrgScopedAdmin):
            raise Http404
    return shortcut(request, content_type_id, object_id)


class OrgScopedAdmin(SimpleHistoryAdmin):
    """Base for every organization-owned model in the admin."""

    list_select_related = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organization__in=admin_organizations(request.user))

    def _member_anywhere(self, request):
        return request.user.is_superuser or admin_organizations(request.user).exists()

    # Staff members need no model permissions: their role in an organization decides.
    def has_module_permission(self, request):
        return can_use_admin(request.user) and self._member_anywhere(request)

    def has_view_permission(self, request, obj=None):
        if not self.has_module_permission(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # Also guards simple-history's views, which load objects outside get_queryset().
        return admin_organizations(request.user).filter(pk=obj.organization_id).exists()

    has_change_permission = has_view_permission
    has_add_permission = has_module_permission
    has_delete_permission = has_view_permission

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history loads the version unscoped: check it here so another
        # organization's version is a 404 like a missing one, never a 403.
        records = self.model.history.filter(
            pk=version_id, **{self.model._meta.pk.attname: object_id}
        )
        if not request.user.is_superuser:
            records = records.filter(organization__in=admin_organizations(request.user))
        if not records.exists():
            raise Http404
        if request.method == "POST" and settings.SIMPLE_HISTORY_REVERT_DISABLED:
            # Hiding the button is not enough: a POST would still revert.
            raise PermissionDenied("Reverting from history is disabled.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if request.user.is_superuser:
            return records
        return records.filter(organization__in=admin_organizations(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        orgs = admin_organizations(request.user)
        model = db_field.related_model
        if model is Organization:
            field.queryset = orgs
        elif model is get_user_model():
            field.queryset = field.queryset.filter(memberships__organization__in=orgs).distinct()
        elif hasattr(model, "org_parents"):
            field.queryset = field.queryset.filter(organization__in=orgs)
        return field

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "organization"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form_class

        class ShownValuesForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                carry_shown_values(self)  # changed_data: what this user changed

        return ShownValuesForm

    def save_model(self, request, obj, form, change):
        if not obj.organization_id:
            obj.assign_organization()
        if not request.user.is_superuser and obj.organization_id not in set(
            admin_organizations(request.user).values_list("pk", flat=True)
        ):
            raise PermissionError("Not your organization.")
        obj._change_reason = "changed in the admin"
        if change:
            # The admin's request is atomic: lock the row and write only what this form
            # changed over what others committed meanwhile (no lost update).
            lock_for_update(obj, changed=form.changed_data)
        super().save_model(request, obj, form, change)
        self.after_save(request, obj, change)

    def after_save(self, request, obj, change):
        """What the model's app does after a save (as its services do on every path)."""


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
