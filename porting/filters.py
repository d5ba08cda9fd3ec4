import django_filters

from customers.models import Migration
from sites.models import Endpoint, Site
from tenancy.filters import OrgFilterSet

from .models import CarrierAccount, PhoneNumber, PortOrder


class PhoneNumberFilter(OrgFilterSet):
    search_fields = ("number", "endpoint__display_name", "endpoint__extension")
    migration = django_filters.ModelChoiceFilter(queryset=Migration.objects.all())
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all())
    endpoint = django_filters.ModelChoiceFilter(queryset=Endpoint.objects.all())
    unassigned = django_filters.BooleanFilter(
        field_name="endpoint", lookup_expr="isnull", label="Unassigned"
    )

    class Meta:
        model = PhoneNumber
        fields = ["migration", "site", "endpoint", "kind", "purpose", "status"]


class CarrierAccountFilter(OrgFilterSet):
    search_fields = ("carrier_name", "account_number", "csr_account_name", "btn")
    migration = django_filters.ModelChoiceFilter(queryset=Migration.objects.all())

    class Meta:
        model = CarrierAccount
        fields = ["migration", "carrier_type"]


class PortOrderFilter(OrgFilterSet):
    search_fields = ("carrier_account__carrier_name", "carrier_account__account_number",
                     "foc_confirmation_number", "numbers__number")  # fmt: skip
    migration = django_filters.ModelChoiceFilter(queryset=Migration.objects.all())

    class Meta:
        model = PortOrder
        fields = ["migration", "state", "carrier_account"]
