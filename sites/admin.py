from django import forms
from django.contrib import admin

from tenancy.admin_base import OrgScopedAdmin
from tenancy.forms import WriteOnlySecretField, WriteOnlySecretsMixin

from .models import Endpoint, Site


@admin.register(Site)
class SiteAdmin(OrgScopedAdmin):
    list_display = ["name", "customer", "migration", "city", "state", "timezone", "seat_count"]
    search_fields = ["name", "address_line1", "city"]
    readonly_fields = [
        "normalized_line1", "normalized_line2", "normalized_city", "normalized_state",
        "normalized_postal_code", "normalization_error",
    ]  # fmt: skip


class EndpointAdminForm(WriteOnlySecretsMixin, forms.ModelForm):
    sip_password = WriteOnlySecretField(label="SIP password")

    class Meta:
        model = Endpoint
        fields = "__all__"


@admin.register(Endpoint)
class EndpointAdmin(OrgScopedAdmin):
    form = EndpointAdminForm
    list_display = ["extension", "display_name", "kind", "site", "mac_address", "is_remote_worker"]
    list_filter = ["kind", "is_remote_worker"]
    search_fields = ["extension", "display_name", "mac_address", "user_email"]
