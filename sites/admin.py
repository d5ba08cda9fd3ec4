from django import forms
from django.contrib import admin

from tenancy.admin_base import OrgScopedAdmin

from .models import Endpoint, Site


@admin.register(Site)
class SiteAdmin(OrgScopedAdmin):
    list_display = ["name", "customer", "migration", "city", "state", "timezone", "seat_count"]
    search_fields = ["name", "address_line1", "city"]
    readonly_fields = [
        "normalized_line1", "normalized_line2", "normalized_city", "normalized_state",
        "normalized_postal_code", "normalization_error",
    ]  # fmt: skip


class EndpointAdminForm(forms.ModelForm):
    sip_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the stored password.",
    )

    class Meta:
        model = Endpoint
        fields = "__all__"

    def clean_sip_password(self):
        value = self.cleaned_data.get("sip_password")
        # Empty means "keep": never render or overwrite the stored secret by accident.
        return value if value else self.instance.sip_password


@admin.register(Endpoint)
class EndpointAdmin(OrgScopedAdmin):
    form = EndpointAdminForm
    list_display = ["extension", "display_name", "kind", "site", "mac_address", "is_remote_worker"]
    list_filter = ["kind", "is_remote_worker"]
    search_fields = ["extension", "display_name", "mac_address", "user_email"]
