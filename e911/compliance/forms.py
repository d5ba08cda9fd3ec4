"""Forms of the compliance page."""

from __future__ import annotations

from django import forms

from e911.compliance.selectors import EVIDENCE_ITEMS
from e911.karis.forms import _WHEN
from e911.models import AttestationCheck


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
