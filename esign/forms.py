"""Forms of the signing portal and of the PM's signing actions."""

from django import forms

from .documents import CONFIRM_FIELDS

CORRECT, WRONG = "correct", "wrong"


class SendForm(forms.Form):
    email = forms.EmailField(label="Authorized person's email")


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


class PortalForm(forms.Form):
    """One field pair per key field (correct/wrong + what it should say), consent, name,
    title, an optional drawn signature, and the hash of the document the page showed."""

    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    consent = forms.BooleanField(
        required=False, label="I agree to use electronic records and signatures."
    )
    typed_name = forms.CharField(label="Your full name", max_length=200, required=False)
    typed_title = forms.CharField(label="Your title", max_length=120, required=False)
    drawn_signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200_000)

    def __init__(self, *args, fields_shown=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields_shown = list(fields_shown)
        for key, label in CONFIRM_FIELDS:
            self.fields[f"confirm_{key}"] = forms.ChoiceField(
                label=label,
                choices=[(CORRECT, "Correct"), (WRONG, "Wrong")],
                widget=forms.RadioSelect,
                error_messages={"required": f"Confirm “{label}”: correct or wrong."},
            )
            self.fields[f"fix_{key}"] = forms.CharField(
                label="What should it say?", max_length=500, required=False
            )

    def rows(self):
        """(field shown, its radio, its correction box) for the template."""
        for item in self.fields_shown:
            key = item["field"]
            yield item, self[f"confirm_{key}"], self[f"fix_{key}"]

    def wrong_fields(self) -> dict[str, str]:
        return {
            key: self.cleaned_data.get(f"fix_{key}", "").strip()
            for key, _label in CONFIRM_FIELDS
            if self.cleaned_data.get(f"confirm_{key}") == WRONG
        }

    def clean(self):
        data = super().clean()
        for key, label in CONFIRM_FIELDS:
            if data.get(f"confirm_{key}") == WRONG and not data.get(f"fix_{key}", "").strip():
                self.add_error(f"fix_{key}", f"Say what “{label}” should be.")
        return data
