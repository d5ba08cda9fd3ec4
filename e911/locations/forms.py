"""Forms of the PM's E911 pages (locations, endpoint assignment, registrations)."""

from __future__ import annotations

from django import forms

from e911.models import DispatchableLocation, Registration


class LocationForm(forms.ModelForm):
    reason = forms.CharField(max_length=300, required=False, label="Reason (history)")

    class Meta:
        model = DispatchableLocation
        fields = [
            "site", "label", "is_site_default", "address_line1", "address_line2", "city",
            "state", "postal_code", "floor", "suite", "room",
        ]  # fmt: skip

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = migration.sites.order_by("name")
        self.fields["site"].required = True


class ChangeLocationForm(forms.Form):
    address_line1 = forms.CharField(max_length=200, label="Street address")
    address_line2 = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=100)
    state = forms.CharField(max_length=2)
    postal_code = forms.CharField(max_length=10, label="ZIP code")
    floor = forms.CharField(max_length=20, required=False)
    suite = forms.CharField(max_length=20, required=False)
    room = forms.CharField(max_length=20, required=False)
    reason = forms.CharField(max_length=300, required=False, label="Reason (history)")


class AssignEndpointForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=DispatchableLocation.objects.none(), required=False,
        empty_label="— the site's default —",
    )  # fmt: skip
    non_dialing = forms.BooleanField(required=False, label="Non-dialing line (exempt)")
    exempt_reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = DispatchableLocation.objects.filter(
            migration=migration, is_current=True, site__isnull=False
        ).select_related("site")


class RegistrationForm(forms.Form):
    status = forms.ChoiceField(choices=Registration.Status.choices)
    location = forms.ModelChoiceField(queryset=DispatchableLocation.objects.none(), required=False)
    provider_reference = forms.CharField(max_length=120, required=False)
    message = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = DispatchableLocation.objects.filter(
            migration=migration, is_current=True
        ).select_related("site", "remote_worker")
