import django_filters

from customers.models import Migration
from tenancy.filters import OrgFilterSet

from .models import Endpoint, Site


class SiteFilter(OrgFilterSet):
    search_fields = ("name", "address_line1", "city", "normalized_line1")
    migration = django_filters.ModelChoiceFilter(queryset=Migration.objects.all())

    class Meta:
        model = Site
        fields = ["migration", "state", "timezone"]


class EndpointFilter(OrgFilterSet):
    search_fields = (
        "display_name", "extension", "mac_address", "user_email", "make", "model", "sip_username",
    )  # fmt: skip
    migration = django_filters.ModelChoiceFilter(queryset=Migration.objects.all())
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all())

    class Meta:
        model = Endpoint
        fields = ["migration", "site", "kind", "is_remote_worker"]
