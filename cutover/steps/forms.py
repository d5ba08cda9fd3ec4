"""Forms of the steps page."""

from __future__ import annotations

from django import forms


class DoneForm(forms.Form):
    evidence = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)  # the service says why it is needed
