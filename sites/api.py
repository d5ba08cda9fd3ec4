"""REST API for sites and endpoints (routes in config/api_urls.py)."""

import django_filters
from rest_framework import serializers

from customers.models import Migration
from tenancy.api_base import OrgScopedSerializer, OrgScopedViewSet

from .filters import EndpointFilter, SiteFilter
from .models import Endpoint, Site


class MigrationUUIDField(serializers.SlugRelatedField):
    """A migration referred to by its UUID (as users and the CLI do)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Migration.objects.all())
        kwargs.setdefault("help_text", "UUID of a migration of this organization.")
        super().__init__(slug_field="uuid", **kwargs)


def migration_uuid_filter():
    """The API names migrations by UUID, in filters too (`?migration=<uuid>`)."""
    return django_filters.ModelChoiceFilter(
        queryset=Migration.objects.all(), to_field_name="uuid", label="Migration UUID"
    )


class SiteAPIFilter(SiteFilter):
    migration = migration_uuid_filter()


class EndpointAPIFilter(EndpointFilter):
    migration = migration_uuid_filter()


class SiteSerializer(OrgScopedSerializer):
    migration = MigrationUUIDField()

    class Meta:
        model = Site
        fields = [
            "id",
            "migration",
            "customer",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "normalized_line1",
            "normalized_line2",
            "normalized_city",
            "normalized_state",
            "normalized_postal_code",
            "normalization_error",
            "timezone",
            "seat_count",
            "created_at",
        ]
        read_only_fields = ["customer"]
        extra_kwargs = {"customer": {"help_text": "The migration's customer (derived)."}}

    def prepare_instance(self, instance):
        # A site's customer is always its migration's.
        if instance.migration_id:
            instance.customer_id = instance.migration.customer_id


class EndpointSerializer(OrgScopedSerializer):
    migration = MigrationUUIDField(
        required=False,
        help_text="UUID of the migration; taken from the site when omitted.",
    )
    sip_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Write-only; stored encrypted. Omit to keep the current one, "
        "send an empty string to clear it.",
    )
    has_sip_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "migration",
            "site",
            "kind",
            "mac_address",
            "make",
            "model",
            "firmware",
            "extension",
            "display_name",
            "user_email",
            "is_remote_worker",
            "sip_username",
            "sip_password",
            "has_sip_password",
            "created_at",
        ]
        extra_kwargs = {
            "site": {"help_text": "Site id (of this organization)."},
            "mac_address": {"help_text": "Any common notation; returned as 00:1A:2B:3C:4D:5E."},
        }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # The migration follows the site unless the caller names one (then they must agree).
        if "migration" not in attrs and "site" in attrs:
            attrs["migration"] = attrs["site"].migration
        return attrs


class SiteViewSet(OrgScopedViewSet):
    """Sites (physical offices) of a migration; addresses are USPS-normalized on save."""

    serializer_class = SiteSerializer
    filterset_class = SiteAPIFilter
    select_related = ("migration",)
    ordering_fields = ("name", "city", "state", "seat_count", "created_at")


class EndpointViewSet(OrgScopedViewSet):
    """Phones, softphones, ATAs and other endpoints. Technicians may write too.

    `sip_password` is write-only and stored encrypted; `has_sip_password` tells
    whether one is set."""

    serializer_class = EndpointSerializer
    filterset_class = EndpointAPIFilter
    select_related = ("migration",)
    ordering_fields = ("extension", "display_name", "mac_address", "kind", "created_at")
