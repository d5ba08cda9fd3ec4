from django import forms
from django.contrib import admin

from tenancy.admin_base import OrgScopedAdmin
from tenancy.forms import WriteOnlySecretField, WriteOnlySecretsMixin

from .models import (
    CarrierAccount,
    FocChange,
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
    Rejection,
)
from .services import after_carrier_account_saved


@admin.register(PhoneNumber)
class PhoneNumberAdmin(OrgScopedAdmin):
    list_display = ["number", "kind", "purpose", "status", "migration", "carrier_account"]
    list_filter = ["kind", "purpose", "status"]
    search_fields = ["number"]
    readonly_fields = ["status", "kind"]


class CarrierAccountAdminForm(WriteOnlySecretsMixin, forms.ModelForm):
    pin = WriteOnlySecretField(label="PIN / passcode")

    class Meta:
        model = CarrierAccount
        fields = "__all__"


@admin.register(CarrierAccount)
class CarrierAccountAdmin(OrgScopedAdmin):
    form = CarrierAccountAdminForm
    list_display = ["carrier_name", "carrier_type", "account_number", "btn", "migration"]
    list_filter = ["carrier_type"]
    search_fields = ["carrier_name", "account_number", "csr_account_name"]

    def after_save(self, request, obj, change):
        if change:
            after_carrier_account_saved(obj, by=request.user)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LoaInline(ReadOnlyInline):
    model = LetterOfAuthorization
    fields = ["version", "status", "business_name", "signed_by_name", "signed_at"]


class FocChangeInline(ReadOnlyInline):
    model = FocChange
    fields = ["previous_foc_at", "new_foc_at", "reason", "changed_by", "changed_at"]


class RejectionInline(ReadOnlyInline):
    model = Rejection
    fields = ["loa_version", "code", "carrier_text", "rejected_at"]


class TestCallInline(ReadOnlyInline):
    model = PostPortTestCall
    fields = ["number", "called_from", "passed", "note", "tested_at"]


@admin.register(PortOrder)
class PortOrderAdmin(OrgScopedAdmin):
    """Read-mostly: the lifecycle moves through the app's services, never here."""

    list_display = ["pk", "carrier_account", "state", "foc_at", "migration"]
    list_filter = ["state"]
    inlines = [LoaInline, FocChangeInline, RejectionInline, TestCallInline]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Numbers, accounts and state change only through services that check the rules.
        return [f.name for f in self.model._meta.get_fields() if f.concrete and not f.auto_created]
