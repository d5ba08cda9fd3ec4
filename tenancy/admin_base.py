"""Admin scoped like everything else: a non-superuser sees and edits only the rows of
organizations where their role may write, and every dropdown offers only those."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from simple_history.admin import SimpleHistoryAdmin

from .models import DEFAULT_WRITE_ROLES, Membership, Organization


def admin_organizations(user):
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=DEFAULT_WRITE_ROLES
    ).distinct()


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
        return request.user.is_active and request.user.is_staff and self._member_anywhere(request)

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

    def save_model(self, request, obj, form, change):
        if not obj.organization_id:
            obj.assign_organization()
        if not request.user.is_superuser and obj.organization_id not in set(
            admin_organizations(request.user).values_list("pk", flat=True)
        ):
            raise PermissionError("Not your organization.")
        obj._change_reason = "changed in the admin"
        super().save_model(request, obj, form, change)


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
