from django import forms

from tenancy.views_crud import OrgModelForm

from .models import Endpoint, Site
from .validators import US_TIMEZONES


class SiteForm(OrgModelForm):
    class Meta:
        model = Site
        fields = [
            "name", "address_line1", "address_line2", "city", "state", "postal_code",
            "timezone", "seat_count",
        ]  # fmt: skip
        widgets = {"timezone": forms.TextInput(attrs={"list": "us-timezones"})}
        help_texts = {"timezone": "IANA name, e.g. " + ", ".join(US_TIMEZONES[:3])}


class EndpointForm(OrgModelForm):
    # Write-only: never rendered back; leaving it empty keeps the stored password.
    sip_password = forms.CharField(
        label="SIP password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the current password.",
    )
    clear_sip_password = forms.BooleanField(required=False, label="Remove the stored SIP password")

    class Meta:
        model = Endpoint
        fields = [
            "site", "kind", "mac_address", "make", "model", "firmware", "extension",
            "display_name", "user_email", "is_remote_worker", "sip_username",
        ]  # fmt: skip

    def __init__(self, *args, migration=None, **kwargs):
        super().__init__(*args, **kwargs)
        if migration is not None:
            self.fields["site"].queryset = self.fields["site"].queryset.filter(migration=migration)
        if self.instance.pk and self.instance.has_sip_password:
            self.fields[
                "sip_password"
            ].help_text = "A password is stored. Write-only: leave empty to keep it."

    def save(self, commit=True):
        endpoint = super().save(commit=False)
        if self.cleaned_data.get("clear_sip_password"):
            endpoint.sip_password = ""
        elif self.cleaned_data.get("sip_password"):
            endpoint.sip_password = self.cleaned_data["sip_password"]
        if commit:
            endpoint.save()
        return endpoint
