from django import forms

from .events import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https",
        help_text="https, on a public address. Each request is signed.",
    )  # fmt: skip
    description = forms.CharField(max_length=200, required=False,
                                  help_text="e.g. “ConnectWise PSA”.")  # fmt: skip
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Events", help_text="None ticked: every event.",
    )  # fmt: skip


class ToggleForm(forms.Form):
    is_active = forms.BooleanField(required=False)
