"""Carrier accounts (the losing carrier's account and its CSR): /api/o/<org>/carrier-accounts/."""

from rest_framework import serializers

from sites.api import MigrationUUIDField, migration_uuid_filter
from tenancy.api_base import (
    OrgScopedSerializer,
    OrgScopedViewSet,
)

from ..filters import CarrierAccountFilter
from ..models import (
    CarrierAccount,
)
from ..services import save_carrier_account
from .carriers import CarrierAccountCsrActions
from .fields import NANPNumberField


class CarrierAccountAPIFilter(CarrierAccountFilter):
    migration = migration_uuid_filter()


class CarrierAccountSerializer(OrgScopedSerializer):
    save_service = staticmethod(save_carrier_account)

    migration = MigrationUUIDField()
    btn = NANPNumberField(max_length=32, help_text="Billing telephone number, any US notation.")
    pin = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=60,
        style={"input_type": "password"},
        help_text="Write-only; stored encrypted, never returned. Omit to keep the current "
        "one, send an empty string to clear it.",
    )
    has_pin = serializers.BooleanField(read_only=True, help_text="Whether a PIN is on file.")
    csr_numbers = serializers.ListField(
        child=NANPNumberField(),
        required=False,
        help_text="The numbers the CSR lists on this account, any US notation; returned in "
        "E.164, sorted, without duplicates.",
    )

    class Meta:
        model = CarrierAccount
        fields = [
            "id", "migration", "carrier_name", "carrier_type", "account_number", "btn", "pin",
            "has_pin", "csr_account_name", "csr_authorized_person", "csr_address_line1",
            "csr_address_line2", "csr_city", "csr_state", "csr_postal_code", "csr_has_pin",
            "csr_numbers", "csr_date", "csr_source", "csr_received_at",
            "old_service_cancelled_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["old_service_cancelled_at", "csr_source", "csr_received_at"]

    def validate_csr_numbers(self, value):
        return sorted(set(value))


class CarrierAccountViewSet(CarrierAccountCsrActions, OrgScopedViewSet):
    """Accounts at the losing carriers (one BTN each) with their Customer Service Record.
    One LOA and one port order per account. Owners and project managers write.

    `pin` is write-only and stored encrypted; `has_pin` tells whether one is set."""

    serializer_class = CarrierAccountSerializer
    filterset_class = CarrierAccountAPIFilter
    select_related = ("migration",)
    ordering_fields = ("carrier_name", "carrier_type", "account_number", "created_at")
