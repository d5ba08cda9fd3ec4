from django import forms
from django.core.exceptions import ValidationError

from tenancy.views_crud import OrgModelForm

from .models import PhoneNumber
from .numbers import e164, parse_nanp


class PhoneNumberForm(OrgModelForm):
    number = forms.CharField(
        label="Telephone number",
        help_text="Any US format: (303) 555-0100, 303.555.0100, +13035550100.",
    )

    class Meta:
        model = PhoneNumber
        fields = ["number", "purpose", "site", "endpoint"]

    def __init__(self, *args, migration=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.number:
            self.initial["number"] = str(self.instance.number)
        if migration is not None:
            for name in ("site", "endpoint"):
                field = self.fields[name]
                field.queryset = field.queryset.filter(migration=migration)
            self.fields["endpoint"].queryset = self.fields["endpoint"].queryset.select_related(
                "site"
            )

    def clean_number(self):
        try:
            return e164(parse_nanp(self.cleaned_data["number"]))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class TransitionForm(forms.Form):
    transition = forms.CharField()
    reason = forms.CharField(required=False, max_length=200)
