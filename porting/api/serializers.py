"""What the port-order routes read and write."""

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema_field,
)
from rest_framework import serializers

from sites.api import migration_uuid_filter
from tenancy.api_base import (
    DEFAULT_REASON_MAX_LENGTH,
    OrgScopedSerializer,
)
from tenancy.scoping import scope_queryset

from ..filters import PortOrderFilter
from ..hooks import LOA_SIGNATURE_RECORD, with_loa_rows
from ..loa_checks import REJECT_CODES
from ..models import (
    CarrierAccount,
    CarrierConnection,
    FocChange,
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
    Rejection,
)
from ..services import LOA_FIELDS, TRANSITION_LABELS
from .fields import (
    FOC_REASON_MAX,
    PARTIAL_REASON_MAX,
    TRANSITION_REASON_MAX,
    AwareDateTimeField,
    NANPNumberField,
    NumberRefField,
    TimeZoneField,
    resolve_numbers,
)


class PortOrderAPIFilter(PortOrderFilter):
    migration = migration_uuid_filter()


class OrderNumberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = NANPNumberField(read_only=True)
    status = serializers.CharField(read_only=True)


class PortOrderSerializer(OrgScopedSerializer):
    migration = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    carrier_name = serializers.CharField(source="carrier_account.carrier_name", read_only=True)
    numbers = OrderNumberSerializer(many=True, read_only=True)
    state = serializers.ChoiceField(
        choices=PortOrder.State.choices,
        read_only=True,
        help_text="Changed only through POST …/transition/.",
    )
    current_loa_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The newest LOA version, or null."
    )

    class Meta:
        model = PortOrder
        fields = [
            "id", "migration", "carrier_account", "carrier_name", "parent", "numbers",
            "winning_carrier", "requested_date", "state", "state_changed_at", "foc_at",
            "foc_timezone", "foc_confirmation_number", "loa_submitted_at", "ported_at",
            "completed_at", "override_reason", "current_loa_version", "created_at",
            "connection", "provider_order_id", "provider_status", "requested_foc_at",
            "provider_error",
        ]  # fmt: skip
        read_only_fields = fields


class PortOrderCreateSerializer(serializers.Serializer):
    carrier_account = serializers.PrimaryKeyRelatedField(
        queryset=CarrierAccount.objects.none(),
        help_text="The losing carrier's account (of this organization).",
    )
    numbers = serializers.ListField(
        child=NumberRefField(),
        allow_empty=False,
        help_text="The numbers to port: ids or telephone numbers of the account's migration.",
    )
    winning_carrier = serializers.CharField(max_length=120, help_text="The UCaaS platform.")
    requested_date = serializers.DateField(required=False, allow_null=True)
    connection = serializers.PrimaryKeyRelatedField(
        queryset=CarrierConnection.objects.none(), required=False, allow_null=True,
        help_text="The carrier connection to submit through (docs/carriers.md); omit for an "
        "order worked by hand.",
    )  # fmt: skip

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        fields["carrier_account"].queryset = (
            scope_queryset(CarrierAccount.objects.select_related("migration"), organization)
            if organization is not None
            else CarrierAccount.objects.none()
        )
        fields["connection"].queryset = (
            scope_queryset(CarrierConnection.objects.all(), organization)
            if organization is not None
            else CarrierConnection.objects.none()
        )
        return fields

    def validate(self, attrs):
        scoped = scope_queryset(PhoneNumber.objects.all(), self.context["organization"])
        try:
            attrs["numbers"] = resolve_numbers(
                attrs["numbers"], scoped, where="in this organization"
            )
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"numbers": exc.detail}) from exc
        return attrs


class PortOrderUpdateSerializer(OrgScopedSerializer):
    """Only the order's own facts; the state moves through transitions."""

    class Meta:
        model = PortOrder
        fields = ["winning_carrier", "requested_date"]

    def to_internal_value(self, data):
        if hasattr(data, "keys") and "state" in data:
            raise serializers.ValidationError(
                {"state": ["The state changes only through POST …/transition/."]}
            )
        return super().to_internal_value(data)

    def to_representation(self, instance):
        return PortOrderSerializer(instance, context=self.context).data


class TransitionSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(choices=list(TRANSITION_LABELS.items()))
    expected_state = serializers.CharField(
        required=False,
        help_text="The state you saw (one of the order states); when the order has moved "
        "since, the answer is 409 with rule 'conflict' and nothing changes.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=TRANSITION_REASON_MAX,
        help_text="Stored in history (defaults to the X-Change-Reason header).",
    )  # fmt: skip
    foc_at = AwareDateTimeField(required=False, help_text="record_foc, reschedule: the FOC.")
    foc_timezone = TimeZoneField(required=False)
    confirmation_number = serializers.CharField(required=False, max_length=60)
    code = serializers.CharField(
        required=False, max_length=40, help_text="reject: the carrier's reason code."
    )
    carrier_text = serializers.CharField(required=False, help_text="reject: the carrier's words.")
    cancel_reason = serializers.CharField(required=False, max_length=300)
    override_reason = serializers.CharField(
        required=False,
        max_length=300,
        help_text="complete: owners only; skips the test-call and 48-hour rules, recorded.",
    )

    def validate_expected_state(self, value):
        if value not in PortOrder.State.values:
            raise serializers.ValidationError(
                f"Not an order state; one of: {', '.join(PortOrder.State.values)}."
            )
        return value

    CONTEXT_KEYS = ("foc_at", "foc_timezone", "confirmation_number", "code", "carrier_text",
                    "cancel_reason", "override_reason")  # fmt: skip

    def service_context(self) -> dict:
        # Only what a person may say. Never `now` or `ported_at`: the clock is the server's.
        data = self.validated_data
        return {key: data[key] for key in self.CONTEXT_KEYS if data.get(key)}


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    rule = serializers.CharField(allow_null=True, help_text="The refusing rule, or null.")
    detail = serializers.CharField(allow_null=True, help_text="Why not, or null.")


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Reject code, e.g. NAME_MISMATCH.")
    title = serializers.SerializerMethodField(help_text="The reject reason as a carrier words it.")
    field = serializers.CharField()
    loa_value = serializers.CharField()
    csr_value = serializers.CharField()
    severity = serializers.ChoiceField(choices=[("blocker", "blocker"), ("warning", "warning")])
    reject_reason = serializers.CharField()
    fix = serializers.CharField()

    def get_title(self, finding) -> str:
        entry = REJECT_CODES.get(finding.code)
        return entry.title if entry else finding.code


class FindingsSerializer(serializers.Serializer):
    loa_version = serializers.IntegerField(allow_null=True)
    acknowledged_warnings = serializers.ListField(child=serializers.CharField())
    findings = FindingSerializer(many=True)


class LoaSignatureSerializer(serializers.Serializer):
    document_id = serializers.CharField()
    typed_name = serializers.CharField()
    typed_title = serializers.CharField()
    signed_at = serializers.DateTimeField()
    document_sha256 = serializers.CharField(help_text="SHA-256 of the letter the signer saw.")
    sealed_sha256 = serializers.CharField(help_text="SHA-256 of the sealed PDF.")


class LoaListSerializer(serializers.ListSerializer):
    """Every version's signature in one query, however many versions there are (the
    signing app loads them: porting.hooks.LOA_ROWS)."""

    def to_representation(self, data):
        rows = list(with_loa_rows(data) if hasattr(data, "select_related") else data)
        return super().to_representation(rows)


class LoaSerializer(OrgScopedSerializer):
    btn = NANPNumberField(read_only=True)
    signature = serializers.SerializerMethodField()

    class Meta:
        model = LetterOfAuthorization
        list_serializer_class = LoaListSerializer
        fields = [
            "id", "version", "status", "business_name", "service_line1", "service_line2",
            "service_city", "service_state", "service_postal_code", "account_number", "btn",
            "authorized_person", "authorized_title", "numbers", "signature",
            "signed_at", "signed_by_name", "acknowledged_warnings", "acknowledged_by",
            "acknowledged_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(LoaSignatureSerializer(allow_null=True))
    def get_signature(self, loa):
        record = LOA_SIGNATURE_RECORD.first(loa)
        return None if record is None else LoaSignatureSerializer(record).data


class LoaChangesSerializer(serializers.ModelSerializer):
    """The LOA fields to change in the new version; omitted ones are copied from the
    previous version (or, for the first, from the CSR)."""

    btn = NANPNumberField(required=False, help_text="Any US notation.")

    class Meta:
        model = LetterOfAuthorization
        fields = list(LOA_FIELDS)
        extra_kwargs = {name: {"required": False} for name in LOA_FIELDS}


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=DEFAULT_REASON_MAX_LENGTH
    )


class AcknowledgedSerializer(serializers.Serializer):
    loa_version = serializers.IntegerField()
    acknowledged_warnings = serializers.ListField(child=serializers.CharField())


class FocChangeSerializer(serializers.Serializer):
    new_foc_at = AwareDateTimeField()
    reason = serializers.CharField(max_length=FOC_REASON_MAX, help_text="The carrier's words.")
    confirmation_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    foc_timezone = TimeZoneField(required=False, allow_blank=True)


class FocChangeRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = FocChange
        fields = [
            "id", "previous_foc_at", "new_foc_at", "confirmation_number", "reason",
            "changed_by", "changed_at",
        ]  # fmt: skip
        read_only_fields = fields


class RejectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rejection
        fields = ["id", "loa_version", "code", "carrier_text", "recorded_by", "rejected_at"]
        read_only_fields = fields


class TestCallRequestSerializer(serializers.Serializer):
    number = NumberRefField(help_text="The ported number: its id or the number itself.")
    called_from = NANPNumberField(max_length=32, help_text="The outside line that called.")
    passed = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class TestCallSerializer(serializers.ModelSerializer):
    number = NANPNumberField(source="number.number", read_only=True)
    number_id = serializers.IntegerField(read_only=True)
    called_from = NANPNumberField(read_only=True)

    class Meta:
        model = PostPortTestCall
        fields = ["id", "number_id", "number", "called_from", "passed", "note", "tested_by",
                  "tested_at"]  # fmt: skip
        read_only_fields = fields


class PartialPortSerializer(serializers.Serializer):
    moved = serializers.ListField(
        child=NumberRefField(), allow_empty=False, help_text="The numbers that did port."
    )
    reason = serializers.CharField(max_length=PARTIAL_REASON_MAX)


class OrderPlanSerializer(serializers.Serializer):
    port_order = serializers.IntegerField(source="key")
    label = serializers.CharField()
    carrier_type = serializers.CharField()
    carrier_type_label = serializers.CharField()
    start = serializers.DateField(help_text="LOA submission date, or today if not submitted.")
    estimated_foc = serializers.DateField()
    foc = serializers.DateField(help_text="The confirmed FOC date, else the estimate.")
    confirmed = serializers.BooleanField()
    interval = serializers.ListField(
        child=serializers.IntegerField(), help_text="[short, long] end in business days."
    )
    explanation = serializers.CharField()
    loa_submitted = serializers.BooleanField()
    overdue = serializers.BooleanField()


def _order_ids(plans) -> list[int]:
    return [int(p.key) for p in plans]


class MigrationPlanSerializer(serializers.Serializer):
    migration = serializers.UUIDField(source="migration_uuid")
    today = serializers.DateField()
    requested_go_live = serializers.DateField(allow_null=True)
    earliest_cutover = serializers.DateField(allow_null=True)
    latest_foc = serializers.DateField(allow_null=True)
    stagger_days = serializers.IntegerField()
    ready_for_cutover = serializers.BooleanField()
    driving_orders = serializers.SerializerMethodField()
    blocking_orders = serializers.SerializerMethodField()
    orders = OrderPlanSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()

    def get_driving_orders(self, plan) -> list[int]:
        return _order_ids(plan.driving_orders)

    def get_blocking_orders(self, plan) -> list[int]:
        return _order_ids(plan.blocking_orders)


ORDER_RESPONSE = OpenApiResponse(PortOrderSerializer)
