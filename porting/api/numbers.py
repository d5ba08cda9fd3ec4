"""Telephone numbers: /api/o/<org>/numbers/."""

from rest_framework import serializers

from sites.api import MigrationUUIDField, migration_uuid_filter
from tenancy.api_base import (
    OrgScopedSerializer,
    OrgScopedViewSet,
)

from ..filters import PhoneNumberFilter
from ..models import (
    PhoneNumber,
)
from .carriers import CarrierNumberActions
from .fields import NANPNumberField


class PhoneNumberAPIFilter(PhoneNumberFilter):
    migration = migration_uuid_filter()


class PhoneNumberSerializer(OrgScopedSerializer):
    migration = MigrationUUIDField()
    number = NANPNumberField(max_length=32)
    display = serializers.CharField(read_only=True, help_text="National format for people.")
    kind = serializers.ChoiceField(
        choices=PhoneNumber.Kind.choices, read_only=True, help_text="Detected from the number."
    )
    status = serializers.ChoiceField(
        choices=PhoneNumber.Status.choices,
        read_only=True,
        help_text="Changed only by port-order transitions, never through this API.",
    )

    class Meta:
        model = PhoneNumber
        fields = [
            "id",
            "migration",
            "number",
            "display",
            "kind",
            "purpose",
            "site",
            "endpoint",
            "status",
            "created_at",
        ]
        extra_kwargs = {
            "site": {"help_text": "Site id (of this organization and migration)."},
            "endpoint": {"help_text": "Assigned endpoint id (of this migration)."},
        }

    def prepare_instance(self, instance):
        instance.kind = instance.detect_kind()


class PhoneNumberViewSet(CarrierNumberActions, OrgScopedViewSet):
    """Telephone numbers of a migration, in E.164. `status` changes only through
    port-order transitions and is read-only here."""

    serializer_class = PhoneNumberSerializer
    filterset_class = PhoneNumberAPIFilter
    select_related = ("migration",)
    ordering_fields = ("number", "purpose", "status", "created_at")
