"""Forms of the remote-worker pages: the PM's (add a worker, revoke) and the worker's
home-address form on the portal."""

from __future__ import annotations

from django import forms

from sites.models import Endpoint


class RemoteWorkerForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    endpoints = forms.ModelMultipleChoiceField(
        queryset=Endpoint.objects.none(), required=False,
        help_text="The phones or softphones this person uses from home.",
    )  # fmt: skip

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoints"].queryset = Endpoint.objects.filter(migration=migration).order_by(
            "extension", "pk"
        )
        self.fields["endpoints"].label_from_instance = _endpoint_label


def _endpoint_label(endpoint):
    parts = [endpoint.extension and f"x{endpoint.extension}", endpoint.display_name]
    return " · ".join(p for p in parts if p) or f"Endpoint #{endpoint.pk}"


class BulkSendForm(forms.Form):
    """Which workers get the link: the ticked ones, or every worker still waiting for one
    (no live link and not confirmed)."""

    which = forms.ChoiceField(choices=[("selected", "Ticked"), ("waiting", "Waiting")])


class RevokeLinkForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200)


def _text(label, max_length, required=True, autocomplete="", placeholder=""):
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(
        label=label, max_length=max_length, required=required,
        widget=forms.TextInput(attrs=attrs),
    )  # fmt: skip


class HomeAddressForm(forms.Form):
    """What the worker types. Floor, suite and room are what a dispatcher needs to find
    the door; the street address alone is not enough in a building with several."""

    address_line1 = _text("Street address", 200, autocomplete="address-line1",
                          placeholder="123 Main St")  # fmt: skip
    address_line2 = _text("Apartment / unit (if any)", 200, required=False,
                          autocomplete="address-line2", placeholder="Apt 4B")  # fmt: skip
    city = _text("City", 100, autocomplete="address-level2")
    state = _text("State", 2, autocomplete="address-level1", placeholder="CO")
    postal_code = _text("ZIP code", 10, autocomplete="postal-code")
    floor = _text("Floor", 20, required=False)
    suite = _text("Suite", 20, required=False)
    room = _text("Room", 20, required=False)
    # The one-line result the worker was shown and confirms (compared on confirm).
    shown = forms.CharField(required=False, widget=forms.HiddenInput, max_length=600)

    def clean_state(self):
        return self.cleaned_data["state"].strip().upper()

    def location_fields(self):
        data = self.cleaned_data
        return {name: data.get(name, "") for name in LOCATION_FIELDS}


LOCATION_FIELDS = (
    "address_line1", "address_line2", "city", "state", "postal_code", "floor", "suite", "room",
)  # fmt: skip
