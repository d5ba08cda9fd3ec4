import django_filters

from customers.models import Migration
from sites.models import Endpoint, Site
from tenancy.filters import OrgFilterSet

from .models import PhoneNumber


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
