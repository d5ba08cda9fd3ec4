from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.core.exceptions import ValidationError

from tenancy.forms import WriteOnlySecretField, WriteOnlySecretsMixin
from tenancy.views_crud import BulkForm, OrgModelForm

from .models import CarrierAccount, LetterOfAuthorization, PhoneNumber
from .numbers import e164, parse_nanp


class NanpNumberField(forms.CharField):
    """A North American number in any common format, cleaned to E.164."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return e164(parse_nanp(value))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class PhoneNumberForm(OrgModelForm):
    number = NanpNumberField(
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


# Status changes a person may make by hand, as the bulk form offers them (porting.services
# MANUAL_NUMBER_TRANSITIONS; a number on an open port order follows the order instead).
NUMBER_TRANSITION_CHOICES = [
    ("start_porting", "Porting (started by hand)"),
    ("abandon_port", "Back to legacy (port abandoned)"),
    ("mark_ported", "Ported"),
    ("go_live", "Live"),
]


class TransitionForm(forms.Form):
    transition = forms.CharField()
    reason = forms.CharField(required=False, max_length=200)


class CarrierAccountForm(WriteOnlySecretsMixin, OrgModelForm):
    pin = WriteOnlySecretField(label="PIN / passcode")
    clear_pin = forms.BooleanField(required=False, label="Remove the stored PIN")
    btn = NanpNumberField(label="BTN", help_text="Billing telephone number, any US format.")
    csr_numbers = forms.CharField(
        label="Numbers on the account (CSR)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="As the CSR lists them: one per line or comma separated.",
    )

    class Meta:
        model = CarrierAccount
        fields = [
            "carrier_name", "carrier_type", "account_number", "btn", "csr_account_name",
            "csr_authorized_person", "csr_address_line1", "csr_address_line2", "csr_city",
            "csr_state", "csr_postal_code", "csr_has_pin", "csr_numbers", "csr_date",
        ]  # fmt: skip
        widgets = {"csr_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["btn"] = str(self.instance.btn)
            self.initial["csr_numbers"] = "\n".join(self.instance.csr_numbers or [])

    def clean_csr_numbers(self):
        raw = self.cleaned_data.get("csr_numbers") or ""
        parts = [p.strip() for p in raw.replace(",", "\n").splitlines() if p.strip()]
        numbers, bad = [], []
        for part in parts:
            try:
                numbers.append(e164(parse_nanp(part)))
            except ValidationError:
                bad.append(part)
        if bad:
            raise forms.ValidationError(f"Not valid numbers: {', '.join(bad)}")
        return sorted(set(numbers))


class PortOrderForm(forms.Form):
    carrier_account = forms.ModelChoiceField(queryset=CarrierAccount.objects.all())
    numbers = forms.ModelMultipleChoiceField(
        queryset=PhoneNumber.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    winning_carrier = forms.CharField(max_length=120)
    requested_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier_account"].queryset = migration.carrier_accounts.all()
        self.fields["numbers"].queryset = migration.numbers.order_by("number")
        self.fields["numbers"].label_from_instance = lambda n: (
            f"{n.display} · {n.get_purpose_display()}"
            + (f" · {n.carrier_account.carrier_name}" if n.carrier_account_id else "")
        )


class LoaFieldsForm(forms.ModelForm):
    btn = NanpNumberField(label="BTN")

    class Meta:
        model = LetterOfAuthorization
        fields = [
            "business_name", "service_line1", "service_line2", "service_city", "service_state",
            "service_postal_code", "account_number", "btn", "authorized_person",
            "authorized_title",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk or self.initial.get("btn"):
            self.initial["btn"] = str(self.initial.get("btn") or self.instance.btn)


def _read_in_carrier_zone(data, field):
    """The carrier gives the FOC in its local time: read the naive input in `foc_timezone`."""
    if not (data.get(field) and data.get("foc_timezone")):
        return
    try:
        zone = ZoneInfo(data["foc_timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise forms.ValidationError({"foc_timezone": "Not an IANA time zone."}) from exc
    data[field] = data[field].replace(tzinfo=None).replace(tzinfo=zone)


class OrderTransitionForm(forms.Form):
    """One form for every transition; each uses the fields it needs."""

    transition = forms.CharField()
    expected_state = forms.CharField()
    reason = forms.CharField(required=False, max_length=200)
    foc_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    foc_timezone = forms.CharField(required=False, max_length=64)
    confirmation_number = forms.CharField(required=False, max_length=60)
    code = forms.CharField(required=False, max_length=40)
    carrier_text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cancel_reason = forms.CharField(required=False, max_length=300)
    override_reason = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        _read_in_carrier_zone(data, "foc_at")
        return data

    def context(self):
        keys = ("foc_at", "foc_timezone", "confirmation_number", "code", "carrier_text",
                "cancel_reason", "override_reason")  # fmt: skip
        return {k: self.cleaned_data[k] for k in keys if self.cleaned_data.get(k)}


class FocChangeForm(forms.Form):
    new_foc_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    foc_timezone = forms.CharField(max_length=64)
    confirmation_number = forms.CharField(required=False, max_length=60)
    reason = forms.CharField(max_length=300)

    def clean(self):
        data = super().clean()
        _read_in_carrier_zone(data, "new_foc_at")
        return data


class TestCallForm(forms.Form):
    number = forms.ModelChoiceField(queryset=PhoneNumber.objects.none())
    called_from = NanpNumberField(max_length=30, label="Called from (outside line)")
    passed = forms.TypedChoiceField(
        choices=[("1", "Passed"), ("0", "Failed")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].queryset = order.numbers.all()


class PartialPortForm(forms.Form):
    moved = forms.ModelMultipleChoiceField(
        queryset=PhoneNumber.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Numbers that ported",
    )  # fmt: skip
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moved"].queryset = order.numbers.all()


class OrderNumbersForm(forms.Form):
    """Take numbers off an order, or add the migration's numbers that are on no open
    order yet (the service checks the carrier accounts' CSRs)."""

    remove = forms.ModelMultipleChoiceField(
        queryset=PhoneNumber.objects.none(),
        required=False,
        label="Take off this order",
        widget=forms.CheckboxSelectMultiple,
    )
    add = forms.ModelMultipleChoiceField(
        queryset=PhoneNumber.objects.none(),
        required=False,
        label="Add to this order",
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(required=False, max_length=200, label="Reason (kept in the history)")

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        on_order = order.numbers.all()
        self.fields["remove"].queryset = on_order.order_by("number")
        self.fields["add"].queryset = (
            PhoneNumber.objects.filter(migration=order.migration, kind=_kind_of(order))
            .exclude(pk__in=on_order)
            .exclude(port_orders__state__in=order.OPEN_STATES)
            .order_by("number")
        )
        self.fields["remove"].label_from_instance = _number_label
        self.fields["add"].label_from_instance = _number_label

    def clean(self):
        data = super().clean()
        if not data.get("remove") and not data.get("add"):
            raise forms.ValidationError("Choose numbers to take off or to add.")
        return data


def _kind_of(order):
    first = order.numbers.first()
    return first.kind if first else PhoneNumber.Kind.LOCAL


def _number_label(number):
    purpose = number.get_purpose_display()
    account = f" · {number.carrier_account}" if number.carrier_account_id else ""
    return f"{number.display} · {purpose}{account}"


class NumberBulkEditForm(BulkForm):
    purpose = forms.ChoiceField(
        choices=[("", "Keep the purpose"), *PhoneNumber.Purpose.choices], required=False,
        label="Set the purpose",
    )  # fmt: skip
    transition = forms.ChoiceField(
        choices=[("", "Keep the status"), *NUMBER_TRANSITION_CHOICES], required=False,
        label="Change the status",
    )  # fmt: skip
