"""Forms of the go/no-go page and the rollback page."""

from django import forms
from django.contrib.auth import get_user_model

from tenancy.models import Membership

from .models import GoNoGoDecision, RollbackStep, SignOff


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
