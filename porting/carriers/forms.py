from django import forms

from tenancy.forms import WriteOnlySecretField

from ..models import CarrierConnection
from .registry import MANUAL, PROVIDER_CHOICES


class ConnectionForm(forms.ModelForm):
    provider = forms.ChoiceField(choices=[c for c in PROVIDER_CHOICES if c[0] != MANUAL])
    api_key = WriteOnlySecretField(
        label="API key",
        help_text="Write-only: stored encrypted, never shown again. Leave empty to keep the "
        "stored key.",
    )
    clear_api_key = forms.BooleanField(required=False, label="Remove the stored key")
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    class Meta:
        model = CarrierConnection
        fields = ["provider", "name", "webhook_public_key", "base_url", "is_active"]

    def api_key_value(self):
        """None keeps the stored key; "" removes it."""
        if self.cleaned_data.get("clear_api_key"):
            return ""
        return self.cleaned_data.get("api_key") or None


class ConnectionChoiceForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=CarrierConnection.objects.none())

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = CarrierConnection.objects.filter(
            pk__in=[c.pk for c in connections]
        )


class OrderConnectionForm(forms.Form):
    connection = forms.ModelChoiceField(
        queryset=CarrierConnection.objects.none(),
        required=False,
        empty_label="Manual (no carrier API)",
    )
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = CarrierConnection.objects.filter(
            pk__in=[c.pk for c in connections]
        )


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class CarrierReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)
