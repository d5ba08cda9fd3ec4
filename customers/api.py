"""REST API for customers and migrations (routes in config/api_urls.py)."""

from rest_framework import serializers

from tenancy.api_base import OrgScopedSerializer, OrgScopedViewSet

from .filters import CustomerFilter, MigrationFilter
from .models import Customer, Migration


class CustomerSerializer(OrgScopedSerializer):
    operating_states = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        help_text='USPS codes of the states where it operates, e.g. ["TX", "CA"].',
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "legal_name",
            "dba_name",
            "main_contact_name",
            "main_contact_email",
            "main_contact_phone",
            "handles_health_information",
            "takes_card_payments_by_phone",
            "records_calls",
            "operating_states",
            "created_at",
        ]


class MigrationSerializer(OrgScopedSerializer):
    class Meta:
        model = Migration
        fields = [
            "uuid",
            "customer",
            "name",
            "owner",
            "target_start",
            "target_end",
            "status",
            "created_at",
        ]
        extra_kwargs = {
            "customer": {"help_text": "Customer id (of this organization)."},
            "owner": {"help_text": "User id of a member of this organization."},
        }


class CustomerViewSet(OrgScopedViewSet):
    """Customers: the offices being migrated. Owners and project managers write."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ("legal_name", "dba_name", "created_at")


class MigrationViewSet(OrgScopedViewSet):
    """Migration projects, addressed by UUID. Owners and project managers write."""

    serializer_class = MigrationSerializer
    filterset_class = MigrationFilter
    lookup_field = "uuid"
    ordering_fields = ("name", "target_start", "target_end", "status", "created_at")
