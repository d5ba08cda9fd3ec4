from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from .models import SingleSignOn


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, labelled as before, and still taking the old form's
    `username` field from scripts and password managers that post it."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data", args[0] if args else None)
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            if "data" in kwargs:
                kwargs["data"] = data
            else:
                args = (data, *args[1:])
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["login"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""


class TwoFactorPolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        required=False, label="Require two-factor authentication of every member",
        help_text="Members without an authenticator app or a passkey are sent to set one up "
        "before they open this organization's pages.",
    )  # fmt: skip


class UnlockForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)


class SingleSignOnForm(forms.ModelForm):
    issuer_url = forms.URLField(
        label="Issuer URL", max_length=300, assume_scheme="https",
        help_text=SingleSignOn._meta.get_field("issuer_url").help_text,
    )  # fmt: skip
    client_secret = forms.CharField(
        label="Client secret", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only: it is stored encrypted and never shown again. Leave empty to "
        "keep the stored one.",
    )  # fmt: skip

    class Meta:
        model = SingleSignOn
        fields = ["kind", "issuer_url", "client_id", "client_secret", "allowed_domains",
                  "default_role", "enabled"]  # fmt: skip
        widgets = {"allowed_domains": forms.TextInput()}

    def _post_clean(self):
        # The model is validated by the service (accounts.services.save_single_sign_on),
        # which also keeps the stored secret when none is typed.
        pass


class SingleSignOnStartForm(forms.Form):
    email = forms.EmailField(label="Work email", widget=forms.EmailInput(
        attrs={"autocomplete": "email", "autofocus": True}
    ))  # fmt: skip
