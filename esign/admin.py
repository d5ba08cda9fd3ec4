"""Seal keys in the admin: owners (and superusers) see their organizations' keys and
upload a PKCS#12. Keys are never edited or deleted here (older documents need them to
verify), and neither the private key nor the upload password is ever shown."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from tenancy.admin_base import OrgScopedAdmin
from tenancy.models import Organization
from tenancy.roles import Role

from .models import LoaSignature, OrganizationSigningKey, SigningEvent, SigningRequest
from .seal import import_pkcs12, load_pkcs12


def owner_organizations(user):
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Role.OWNER
    ).distinct()


class Pkcs12UploadForm(forms.ModelForm):
    for_organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Organization"
    )
    pkcs12_file = forms.FileField(label="PKCS#12 file (.p12 / .pfx)")
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Used once to open the file; never stored.",
    )

    class Meta:
        model = OrganizationSigningKey
        fields = []

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("pkcs12_file")
        if upload is not None:
            data = upload.read(64 * 1024 + 1)
            load_pkcs12(data, cleaned.get("password") or None)  # ValidationError if unusable
            cleaned["pkcs12_data"] = data
        return cleaned


@admin.register(OrganizationSigningKey)
class OrganizationSigningKeyAdmin(OrgScopedAdmin):
    list_display = ["subject", "organization", "source", "is_current", "not_after", "created_at"]
    list_filter = ["source", "is_current"]
    search_fields = ["subject", "fingerprint", "organization__name"]
    readonly_fields = [
        "organization",
        "subject",
        "source",
        "fingerprint",
        "not_before",
        "not_after",
        "is_current",
        "created_at",
        "certificate_pem",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organization__in=owner_organizations(request.user))

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and owner_organizations(user).exists()

    def has_view_permission(self, request, obj=None):
        if not self.has_module_permission(request):
            return False
        return (
            obj is None or owner_organizations(request.user).filter(pk=obj.organization_id).exists()
        )

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, None, change=change, form=Pkcs12UploadForm, **kwargs)
        form.base_fields["for_organization"].queryset = owner_organizations(request.user)
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["for_organization", "pkcs12_file", "password"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_form(self, request, form, change):
        if change:
            raise ValidationError("Seal keys cannot be edited.")
        return import_pkcs12(
            form.cleaned_data["for_organization"],
            form.cleaned_data["pkcs12_data"],
            form.cleaned_data.get("password") or None,
            by=request.user,
        )

    def save_model(self, request, obj, form, change):
        """import_pkcs12 saved it already (with history naming the uploader)."""

    def save_related(self, request, form, formsets, change):
        """No related objects."""


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Shown inside a parent the scoped admin already let this user see.
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SigningEventInline(_ReadOnlyInline):
    model = SigningEvent
    fields = ["at", "kind", "ip", "user_agent", "document_sha256", "detail"]
    readonly_fields = fields


@admin.register(SigningRequest)
class SigningRequestAdmin(OrgScopedAdmin):
    """Signing links, read-only: sending, revoking and signing go through the services
    (order page, API, portal). The token hash is never shown."""

    list_display = ["__str__", "organization", "created_at", "expires_at", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["email", "loa__port_order__carrier_account__account_number"]
    fields = [
        "organization", "loa", "email", "sent_by", "created_at", "expires_at", "revoked_at",
        "revoked_reason", "used_at", "outcome",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [SigningEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LoaSignature)
class LoaSignatureAdmin(OrgScopedAdmin):
    list_display = ["__str__", "organization", "signed_at", "document_id"]
    search_fields = ["typed_name", "document_id", "sealed_sha256"]
    fields = [
        "organization", "loa", "request", "typed_name", "typed_title", "signed_at", "ip",
        "user_agent", "document_id", "document_sha256", "sealed_sha256",
        "seal_fingerprint",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
