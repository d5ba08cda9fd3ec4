from django import forms

from tenancy.views_crud import OrgModelForm

from .models import Customer, Migration
from .states import parse_state_list


class StateListField(forms.CharField):
    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_state_list(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class CustomerForm(OrgModelForm):
    operating_states = StateListField(
        required=False,
        help_text="USPS codes, comma separated (e.g. TX, CA).",
        label="Operating states",
    )

    class Meta:
        model = Customer
        fields = [
            "legal_name", "dba_name", "main_contact_name", "main_contact_email",
            "main_contact_phone", "handles_health_information", "takes_card_payments_by_phone",
            "records_calls", "operating_states",
        ]  # fmt: skip


class MigrationForm(OrgModelForm):
    class Meta:
        model = Migration
        fields = ["customer", "name", "owner", "target_start", "target_end", "status"]
        widgets = {
            "target_start": forms.DateInput(attrs={"type": "date"}),
            "target_end": forms.DateInput(attrs={"type": "date"}),
        }
