"""Forms of the site E911 page (Kari's Law, 933 tests)."""

from __future__ import annotations

from django import forms

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DirectDialForm(forms.Form):
    method = forms.CharField(
        max_length=300, label="How direct dialing was verified",
        help_text="e.g. 'dialed 933 with no prefix from x101, heard the read-back'.",
    )  # fmt: skip
    prefixes = forms.CharField(
        required=False, max_length=200, label="Outside-line prefixes",
        help_text="Comma separated, as in the dial plan (e.g. 9, 9*). Empty: none.",
    )  # fmt: skip
    emergency_matched_first = forms.BooleanField(
        required=False, label="The dial plan matches 911 and 933 before any prefix rule"
    )
    recipients = forms.CharField(
        required=False, label="On-site notification recipients",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who is notified on site when 911 is dialed: one per line or comma separated.",
    )  # fmt: skip
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")


class Test933Form(forms.Form):
    caller = forms.CharField(max_length=40, help_text="Extension or number that dialed 933.")
    called_at = forms.DateTimeField(widget=_WHEN, label="Called at")
    readback_address = forms.CharField(max_length=300, label="Address read back")
    readback_callback = forms.CharField(max_length=40, label="Callback number read back")


class RemoveOldRecordForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")
