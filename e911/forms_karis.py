"""Forms for the site E911 page (Kari's Law, 933 tests) and the compliance page."""

from django import forms

from .compliance import EVIDENCE_ITEMS
from .models import AttestationCheck

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


class EvidenceForm(forms.Form):
    item = forms.ChoiceField(choices=[(code, title) for code, (title, _) in EVIDENCE_ITEMS.items()])
    evidence = forms.CharField(max_length=500, help_text="The document, test or entry.")
    document_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Document date"
    )
    done = forms.BooleanField(required=False, initial=True, label="Done (untick: not done)")
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")


class AttestationForm(forms.Form):
    level = forms.ChoiceField(choices=AttestationCheck.Level.choices)
    seen_at = forms.DateTimeField(widget=_WHEN, label="Seen at")
    called_from = forms.CharField(max_length=40, label="Outside phone called")
