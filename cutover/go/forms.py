"""Forms of the go/no-go page."""

from __future__ import annotations

from django import forms

from cutover.models import GoNoGoDecision, SignOff


class SignOffForm(forms.Form):
    item = forms.ChoiceField(choices=SignOff.Item.choices)
    note = forms.CharField(required=False, max_length=500)
    deferred = forms.BooleanField(required=False, label="Explicitly deferred (pilot issues)")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=GoNoGoDecision.Decision.choices)
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        label="Override reason (owners only: go over failing items)",
    )  # fmt: skip
