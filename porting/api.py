"""REST API for telephone numbers (routes in config/api_urls.py)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from sites.api import MigrationUUIDField, migration_uuid_filter
from tenancy.api_base import OrgScopedSerializer, OrgScopedViewSet

from .filters import PhoneNumberFilter
from .models import PhoneNumber
from .numbers import e164, parse_nanp


class NANPNumberField(serializers.CharField):
    """Accepts any common US/NANP notation; stores and returns E.164 (+12145550100)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Any common US notation, e.g. (214) 555-0100 or 214.555.0100; returned in E.164.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return e164(parse_nanp(text))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value):
        return getattr(value, "as_e164", None) or str(value)


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


class PhoneNumberViewSet(OrgScopedViewSet):
    """Telephone numbers of a migration, in E.164. `status` changes only through
    port-order transitions and is read-only here."""

    serializer_class = PhoneNumberSerializer
    filterset_class = PhoneNumberAPIFilter
    select_related = ("migration",)
    ordering_fields = ("number", "purpose", "status", "created_at")
