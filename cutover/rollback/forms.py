"""Forms of the rollback page."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from cutover.models import RollbackStep
from tenancy.models import Membership


def _members(organization):
    return (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.filter(organization=organization).values("user_id")
        )
        .order_by("username")
    )


class AddStepForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members(organization)


class StepActionForm(forms.Form):
    ACTIONS = (("up", "Move up"), ("down", "Move down"), ("done", "Mark done"),
               ("owner", "Set owner"))  # fmt: skip
    step = forms.ModelChoiceField(queryset=RollbackStep.objects.none())
    action = forms.ChoiceField(choices=ACTIONS)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, migration, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = RollbackStep.objects.filter(migration=migration)
        self.fields["owner"].queryset = _members(organization)
