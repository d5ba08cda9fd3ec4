"""Form pieces shared by every app."""

from django import forms

from .models import Organization


class WriteOnlySecretField(forms.CharField):
    """A secret (SIP password, carrier PIN) that is never rendered back. An empty value
    means "keep what is stored"; see WriteOnlySecretsMixin."""

    def __init__(self, *, label, **kwargs):
        kwargs.setdefault("help_text", "Write-only. Leave empty to keep the stored value.")
        super().__init__(
            label=label,
            required=False,
            strip=False,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            **kwargs,
        )


class WriteOnlySecretsMixin:
    """For ModelForms with WriteOnlySecretFields: empty keeps the stored secret, a
    "clear_<name>" checkbox (when the form has one) removes it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_secrets = {
            name: getattr(self.instance, name, "") or ""
            for name, field in self.fields.items()
            if isinstance(field, WriteOnlySecretField)
        }

    def _post_clean(self):
        super()._post_clean()
        for name, stored in self._stored_secrets.items():
            if self.cleaned_data.get(f"clear_{name}"):
                value = ""
            else:
                value = self.cleaned_data.get(name) or stored
            setattr(self.instance, name, value)


class OrganizationSettingsForm(forms.ModelForm):
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    class Meta:
        model = Organization
        fields = ["brand_color", "business_hours_start", "business_hours_end",
                  "reminder_days_before_due", "reminder_days_after_due"]  # fmt: skip
        widgets = {
            "brand_color": forms.TextInput(attrs={"type": "color"}),
            "business_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {"brand_color": "Brand colour (documents and portals)"}
