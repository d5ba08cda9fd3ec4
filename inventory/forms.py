from django import forms

_CSV = forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})


class InventoryImportForm(forms.Form):
    """Three optional CSV files and a reason; the service does the real validation."""

    sites = forms.FileField(label="Sites CSV", required=False, widget=_CSV)
    endpoints = forms.FileField(label="Endpoints CSV", required=False, widget=_CSV)
    numbers = forms.FileField(label="Telephone numbers CSV", required=False, widget=_CSV)
    reason = forms.CharField(
        max_length=200,
        required=False,
        help_text="Recorded in the history of every imported row.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Inventory from site survey 2026-03"}),
    )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(kind) for kind in ("sites", "endpoints", "numbers")):
            raise forms.ValidationError("Choose at least one CSV file to import.")
        return cleaned
