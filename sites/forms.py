from django import forms

from tenancy.forms import WriteOnlySecretField, WriteOnlySecretsMixin
from tenancy.views_crud import BulkForm, OrgModelForm

from .models import Endpoint, Site
from .validators import US_TIMEZONES


class SiteForm(OrgModelForm):
    class Meta:
        model = Site
        fields = [
            "name", "address_line1", "address_line2", "city", "state", "postal_code",
            "timezone", "seat_count", "contact_name", "contact_phone", "contact_email",
            "after_hours_contact",
        ]  # fmt: skip
        widgets = {"timezone": forms.TextInput(attrs={"list": "us-timezones"})}
        help_texts = {"timezone": "IANA name, e.g. " + ", ".join(US_TIMEZONES[:3])}


class EndpointForm(WriteOnlySecretsMixin, OrgModelForm):
    sip_password = WriteOnlySecretField(label="SIP password")
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


class EndpointBulkEditForm(BulkForm):
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="Keep the site",
        label="Move to site",
    )  # fmt: skip
    kind = forms.ChoiceField(
        choices=[("", "Keep the kind"), *Endpoint.Kind.choices],
        required=False,
        label="Set the kind",
    )
    firmware = forms.CharField(required=False, max_length=100, label="Set the firmware")
    remote_worker = forms.ChoiceField(
        choices=[("", "Keep"), ("yes", "Remote worker"), ("no", "On site")], required=False,
        label="Remote worker",
    )  # fmt: skip

    def __init__(self, *args, migration=None, **kwargs):
        super().__init__(*args, migration=migration, **kwargs)
        if migration is not None:
            self.fields["site"].queryset = Site.objects.filter(migration=migration).order_by("name")
