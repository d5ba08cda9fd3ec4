"""REST API for telephone numbers, carrier accounts and port orders (routes in
config/api_urls.py). Every write goes through porting.services, which hold the rules and
name the one that refuses; this module only translates (docs/api.md, "Porting")."""

import uuid
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from customers.models import Migration
from sites.api import MigrationUUIDField, migration_uuid_filter
from tenancy.api_base import (
    DEFAULT_REASON_MAX_LENGTH,
    OrgRolePermission,
    OrgScopedSerializer,
    OrgScopedViewSet,
    drf_validation_error,
)
from tenancy.scoping import scope_queryset

from .filters import CarrierAccountFilter, PhoneNumberFilter, PortOrderFilter
from .loa_checks import REJECT_CODES
from .models import (
    CarrierAccount,
    FocChange,
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
    Rejection,
    TransitionRefused,
)
from .numbers import e164, parse_nanp
from .selectors import migration_plan
from .services import (
    LOA_FIELDS,
    TRANSITION_LABELS,
    TransitionConflict,
    acknowledge_warnings,
    change_foc,
    create_port_order,
    prepare_loa,
    record_test_call,
    refusal,
    split_partial_port,
    transition_order,
)


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


# ---------------------------------------------------------------------------------------
# Shared fields and helpers
# ---------------------------------------------------------------------------------------

# History reasons are text; these bounds follow the columns the values land in.
TRANSITION_REASON_MAX = DEFAULT_REASON_MAX_LENGTH
FOC_REASON_MAX = FocChange._meta.get_field("reason").max_length
PARTIAL_REASON_MAX = DEFAULT_REASON_MAX_LENGTH
SIGNER_NAME_MAX = LetterOfAuthorization._meta.get_field("signed_by_name").max_length


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit UTC offset (a carrier's FOC without one is ambiguous)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "ISO 8601 with the UTC offset, e.g. 2031-03-02T22:00:00-06:00."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Give the UTC offset too, e.g. 2031-03-02T22:00:00-06:00."
                )
        return super().to_internal_value(value)


class TimeZoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "IANA time zone the carrier gave, e.g. America/Chicago.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text:
            try:
                ZoneInfo(text)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise serializers.ValidationError(
                    f"'{text}' is not an IANA time zone (e.g. America/Chicago)."
                ) from exc
        return text


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A number's id, or the number itself in any US notation.",
    }
)
class NumberRefField(serializers.Field):
    """A telephone number named by its id (an integer) or by the number (a string in any
    US notation). Resolved later against an organization-scoped queryset."""

    default_error_messages = {"invalid": "Give a number's id or the telephone number."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 0 < data < 2**63:
                self.fail("invalid")
            return ("id", data)
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        text = data.strip()
        try:
            return ("number", e164(parse_nanp(text)))
        except DjangoValidationError as exc:
            if text.isdigit() and len(text) <= 9:  # form data: ids arrive as strings
                return ("id", int(text))
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value):
        return value


def resolve_numbers(refs, queryset, *, where: str) -> list[PhoneNumber]:
    """The numbers `refs` name within `queryset` (already organization-scoped), in the
    order given and without duplicates; unknown ones are a 400 naming each."""
    ids = {value for kind, value in refs if kind == "id"}
    e164s = {value for kind, value in refs if kind == "number"}
    found = list(queryset.filter(Q(pk__in=ids) | Q(number__in=e164s)))
    by_id = {n.pk: n for n in found}
    by_number = {str(n.number): n for n in found}
    numbers, missing = [], []
    for kind, value in refs:
        number = by_id.get(value) if kind == "id" else by_number.get(value)
        if number is None:
            missing.append(f"No number {value} {where}.")
        elif number not in numbers:
            numbers.append(number)
    if missing:
        raise serializers.ValidationError(missing)
    return numbers


class RefusalSerializer(serializers.Serializer):
    rule = serializers.CharField(
        help_text="The rule that refused, e.g. no_loa_blockers, port_back_window_closed, "
        "role, state, or conflict."
    )
    detail = serializers.CharField(help_text="What to do about it.")


# Refusals that are about who asks, not about the order: 403. Every other rule: 409.
ROLE_RULES = frozenset({"role", "override_owner_only"})


class RuleRefused(APIException):
    """A service refused by a named rule: `{"rule": …, "detail": …}`."""

    def __init__(self, rule: str, detail: str):
        self.status_code = (
            status.HTTP_403_FORBIDDEN if rule in ROLE_RULES else status.HTTP_409_CONFLICT
        )
        self.detail = {"rule": rule, "detail": detail}


@contextmanager
def service_errors():
    """Translate the porting services' refusals: a model/service ValidationError is a 400
    (messages by field), TransitionRefused names its rule (403 for roles, else 409), and
    TransitionConflict is a 409 with rule `conflict`."""
    try:
        yield
    except TransitionRefused as exc:
        raise RuleRefused(exc.rule, exc.message) from exc
    except TransitionConflict as exc:
        raise RuleRefused("conflict", str(exc)) from exc
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from exc


# ---------------------------------------------------------------------------------------
# Carrier accounts
# ---------------------------------------------------------------------------------------


class CarrierAccountAPIFilter(CarrierAccountFilter):
    migration = migration_uuid_filter()


class CarrierAccountSerializer(OrgScopedSerializer):
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
            "csr_numbers", "csr_date", "old_service_cancelled_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["old_service_cancelled_at"]

    def validate_csr_numbers(self, value):
        return sorted(set(value))


class CarrierAccountViewSet(OrgScopedViewSet):
    """Accounts at the losing carriers (one BTN each) with their Customer Service Record.
    One LOA and one port order per account. Owners and project managers write.

    `pin` is write-only and stored encrypted; `has_pin` tells whether one is set."""

    serializer_class = CarrierAccountSerializer
    filterset_class = CarrierAccountAPIFilter
    select_related = ("migration",)
    ordering_fields = ("carrier_name", "carrier_type", "account_number", "created_at")


# ---------------------------------------------------------------------------------------
# Port orders
# ---------------------------------------------------------------------------------------


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

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        fields["carrier_account"].queryset = (
            scope_queryset(CarrierAccount.objects.select_related("migration"), organization)
            if organization is not None
            else CarrierAccount.objects.none()
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
    """Every version's signature in one query, however many versions there are."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        prefetch_related_objects(rows, "signature")
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
        if not loa.has_portal_signature():
            return None
        return LoaSignatureSerializer(loa.signature).data


class LoaChangesSerializer(serializers.ModelSerializer):
    """The LOA fields to change in the new version; omitted ones are copied from the
    previous version (or, for the first, from the CSR)."""

    btn = NANPNumberField(required=False, help_text="Any US notation.")

    class Meta:
        model = LetterOfAuthorization
        fields = list(LOA_FIELDS)
        extra_kwargs = {name: {"required": False} for name in LOA_FIELDS}


class SendForSignatureSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The authorized person's email.")


class RevokeLinkSerializer(serializers.Serializer):
    signing_request = serializers.IntegerField(help_text="Id of the signing request.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class SigningRequestSerializer(serializers.Serializer):
    """A signing link's record. The link itself exists only in the signer's email."""

    id = serializers.IntegerField()
    loa_version = serializers.IntegerField(source="loa.version")
    email = serializers.EmailField()
    state = serializers.CharField(source="link_state")
    outcome = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField()
    used_at = serializers.DateTimeField(allow_null=True)


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


class PortOrderPermission(OrgRolePermission):
    """As everywhere (404 before 403), except that the on-site actions (transitions and
    test calls) are open to the roles that make test calls (`PostPortTestCall.write_roles`,
    technicians included): the service then checks each transition's own roles and names
    the rule when it refuses."""

    ON_SITE_ACTIONS = frozenset({"transition", "test_calls"})

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or view.action not in self.ON_SITE_ACTIONS:
            return super().has_permission(request, view)
        membership = view.resolve_membership(request)
        view.resolve_url_object()
        return membership.can_write(PostPortTestCall)


class PdfOrJsonNegotiation(DefaultContentNegotiation):
    """For a route that answers a PDF file (a plain HttpResponse) or a JSON error:
    `Accept: application/pdf` is not a 406; errors are then rendered as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


_ORDER = OpenApiResponse(PortOrderSerializer)
_REFUSED = OpenApiResponse(
    RefusalSerializer, description="Refused by a named rule (or `conflict`)."
)
_FORBIDDEN_RULE = OpenApiResponse(
    RefusalSerializer, description="Your role may not (rule `role` or `override_owner_only`)."
)
_BAD = OpenApiResponse(description="Invalid body, or the service refused (messages).")
_WRITE = {400: _BAD, 403: _FORBIDDEN_RULE, 409: _REFUSED}


class PortOrderViewSet(OrgScopedViewSet):
    """Port orders: one per carrier account. Created through the porting service (which
    refuses mixed accounts, toll-free with geographic numbers, numbers on another open
    order); the state moves only through `transition/`, and orders are never deleted
    (cancel is a transition)."""

    serializer_class = PortOrderSerializer
    filterset_class = PortOrderAPIFilter
    permission_classes = [permissions.IsAuthenticated, PortOrderPermission]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    select_related = ("migration", "carrier_account")
    ordering_fields = (
        "created_at", "state", "state_changed_at", "foc_at", "requested_date",
    )  # fmt: skip

    def get_model(self):
        return PortOrder

    DETAIL_ACTIONS = frozenset({"list", "retrieve", "update", "partial_update"})

    @staticmethod
    def with_details(queryset):
        """What the order representation shows, in a fixed number of queries."""
        return queryset.prefetch_related(
            Prefetch("numbers", queryset=PhoneNumber.objects.order_by("number"))
        ).annotate(
            current_loa_version=Subquery(
                LetterOfAuthorization.objects.filter(port_order=OuterRef("pk"))
                .order_by("-version")
                .values("version")[:1]
            )
        )

    def get_queryset(self):
        queryset = super().get_queryset()
        return self.with_details(queryset) if self.action in self.DETAIL_ACTIONS else queryset

    def get_serializer_class(self):
        if self.action == "create":
            return PortOrderCreateSerializer
        if self.action in ("update", "partial_update"):
            return PortOrderUpdateSerializer
        return super().get_serializer_class()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # `q` also searches the numbers: one row per order, however many numbers match.
        return queryset.distinct() if self.request.query_params.get("q") else queryset

    # -- helpers ---------------------------------------------------------------------------

    def _reason(self, data=None) -> str:
        return ((data or {}).get("reason") or "").strip() or self.change_reason()

    def _valid(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(),
                                      **kwargs)  # fmt: skip
        serializer.is_valid(raise_exception=True)
        return serializer

    def _order_response(self, order, code=status.HTTP_200_OK):
        fresh = self.with_details(OrgScopedViewSet.get_queryset(self)).get(pk=order.pk)
        body = PortOrderSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=code)

    # -- create ----------------------------------------------------------------------------

    @extend_schema(
        request=PortOrderCreateSerializer,
        responses={201: PortOrderSerializer, **_WRITE},
    )
    def create(self, request, *args, **kwargs):
        data = self._valid(PortOrderCreateSerializer).validated_data
        with service_errors():
            order = create_port_order(
                data["carrier_account"],
                data["numbers"],
                winning_carrier=data["winning_carrier"],
                requested_date=data.get("requested_date"),
                by=request.user,
                reason=self.change_reason(),
            )
        return self._order_response(order, status.HTTP_201_CREATED)

    @extend_schema(request=PortOrderUpdateSerializer, responses={200: PortOrderSerializer})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=PortOrderUpdateSerializer, responses={200: PortOrderSerializer})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    # -- transitions -----------------------------------------------------------------------

    @extend_schema(
        request=TransitionSerializer,
        responses={200: _ORDER, **_WRITE},
        description="Apply a lifecycle transition through the porting service. Refusals name "
        "the rule: 409 for rules about the order (e.g. `no_loa_blockers`, `foc_reached`, "
        "`port_back_window_closed`, `state`) and for `conflict` (the order moved since "
        "`expected_state`); 403 for `role` and `override_owner_only`.",
    )
    @action(detail=True, methods=["post"], serializer_class=TransitionSerializer)
    def transition(self, request, *args, **kwargs):
        order = self.get_object()
        serializer = self._valid(TransitionSerializer)
        data = serializer.validated_data
        with service_errors():
            order = transition_order(
                order, data["transition"], by=request.user, reason=self._reason(data),
                expected_state=data.get("expected_state"), **serializer.service_context(),
            )  # fmt: skip
        return self._order_response(order)

    @extend_schema(responses={200: AvailableTransitionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def transitions(self, request, *args, **kwargs):
        """The transitions from the current state, each with the rule that refuses it for
        you now (as `services.available_transitions`, with the rule named apart)."""
        order = self.get_object()
        rows = []
        for spec in order.get_all_state_transitions():
            if spec.source != order.state or spec.name not in TRANSITION_LABELS:
                continue
            refused = refusal(order, spec.name, by=request.user)
            rows.append(
                {
                    "name": spec.name,
                    "label": TRANSITION_LABELS[spec.name],
                    "allowed": refused is None,
                    "rule": refused.rule if refused else None,
                    "detail": refused.message if refused else None,
                }
            )
        return Response(AvailableTransitionSerializer(rows, many=True).data)

    # -- LOA -------------------------------------------------------------------------------

    @extend_schema(responses={200: FindingsSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def findings(self, request, *args, **kwargs):
        """The LOA-vs-CSR check of the current LOA: each finding names the reject reason
        a carrier would give and the fix. Blockers stop submission; warnings need an
        acknowledgement."""
        order = self.get_object()
        loa = order.current_loa()
        body = {
            "loa_version": loa.version if loa else None,
            "acknowledged_warnings": list(loa.acknowledged_warnings or []) if loa else [],
            "findings": order.loa_findings(),
        }
        return Response(FindingsSerializer(body).data)

    @extend_schema(
        methods=["GET"], responses={200: LoaSerializer(many=True)}, request=None,
        description="Every LOA version of the order, newest first.",
    )  # fmt: skip
    @extend_schema(
        methods=["POST"], request=LoaChangesSerializer, responses={201: LoaSerializer, **_WRITE},
        description="Prepare a new LOA version (a draft) with these field changes; older "
        "drafts are superseded, signed versions are kept as they were.",
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[],
            serializer_class=LoaChangesSerializer)  # fmt: skip
    def loa(self, request, *args, **kwargs):
        order = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            loas = order.loas.order_by("-version")
            return Response(LoaSerializer(loas, many=True, context=context).data)
        changes = self._valid(LoaChangesSerializer).validated_data
        with service_errors():
            loa = prepare_loa(order, by=request.user, reason=self.change_reason(), **changes)
        return Response(LoaSerializer(loa, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SendForSignatureSerializer,
        responses={201: SigningRequestSerializer, **_WRITE},
        description="Email the authorized person a link to sign the current LOA version. "
        "Earlier live links of the order stop working. The link is never returned.",
    )
    @action(detail=True, methods=["post"], url_path="loa/send", url_name="loa-send",
            serializer_class=SendForSignatureSerializer)  # fmt: skip
    def send_loa(self, request, *args, **kwargs):
        from esign.services import portal_base_url, send_signing_request
        from tenancy.portal import request_meta

        order = self.get_object()
        data = self._valid(SendForSignatureSerializer).validated_data
        loa = order.current_loa()
        if loa is None:
            raise serializers.ValidationError({"non_field_errors": ["Prepare an LOA first."]})
        with service_errors():
            signing_request = send_signing_request(
                loa, email=data["email"], by=request.user,
                base_url=portal_base_url(request), meta=request_meta(request),
            )  # fmt: skip
        return Response(
            SigningRequestSerializer(signing_request).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: SigningRequestSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="signing-requests",
            url_name="signing-requests", pagination_class=None, filter_backends=[])  # fmt: skip
    def signing_requests(self, request, *args, **kwargs):
        """The order's signing links, newest first: to whom, state, and outcome."""
        from esign.models import SigningRequest

        order = self.get_object()
        rows = list(SigningRequest.objects.filter(loa__port_order=order).select_related("loa"))
        # A live link's state compares its LOA with the order's current LOA and numbers:
        # one order, its numbers loaded once, for every row.
        prefetch_related_objects([order], "numbers")
        for row in rows:
            row.loa.port_order = order
        return Response(SigningRequestSerializer(rows, many=True).data)

    @extend_schema(
        request=RevokeLinkSerializer, responses={200: SigningRequestSerializer, **_WRITE}
    )
    @action(detail=True, methods=["post"], url_path="signing-requests/revoke",
            url_name="signing-request-revoke", serializer_class=RevokeLinkSerializer)  # fmt: skip
    def revoke_link(self, request, *args, **kwargs):
        """Stop one of the order's signing links from working."""
        from esign.models import SigningRequest
        from esign.services import revoke_signing_request
        from tenancy.portal import request_meta

        order = self.get_object()
        data = self._valid(RevokeLinkSerializer).validated_data
        signing_request = SigningRequest.objects.filter(
            loa__port_order=order, pk=data["signing_request"]
        ).first()
        if signing_request is None:
            raise serializers.ValidationError({"signing_request": ["No such link on this order."]})
        with service_errors():
            signing_request = revoke_signing_request(
                signing_request, by=request.user, reason=data.get("reason", ""),
                meta=request_meta(request),
            )  # fmt: skip
        return Response(SigningRequestSerializer(signing_request).data)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("version", int, description="LOA version (default: newest signed)"),
            OpenApiParameter(
                "accept_invalid",
                bool,
                description="Serve a file that fails its seal check (for investigation)",
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="`version` is not a whole number."),
            404: OpenApiResponse(description="No signed LOA (of that version)."),
            409: OpenApiResponse(RefusalSerializer, description="Rule `seal_invalid`."),
        },
        description="The sealed signed LOA. Its seal is verified first; the `X-Seal-Status` "
        "header says `valid` or `invalid`, and an invalid file is refused (409) unless "
        "`accept_invalid=true`.",
    )
    @action(detail=True, methods=["get"], url_path="loa/signed.pdf", url_name="loa-signed-pdf",
            content_negotiation_class=PdfOrJsonNegotiation)  # fmt: skip
    def signed_loa_pdf(self, request, *args, **kwargs):
        from django.http import Http404, HttpResponse

        from esign.services import check_signed_loa

        order = self.get_object()
        loas = order.loas.filter(signature__isnull=False).select_related("signature")
        version = request.query_params.get("version")
        if version is not None:
            # isdigit() alone lets "²" through to int(); nine digits fit any integer column.
            if not (version.isascii() and version.isdigit() and len(version) <= 9):
                raise serializers.ValidationError({"version": ["A whole number."]})
            loas = loas.filter(version=int(version))
        loa = loas.order_by("-version").first()
        if loa is None:
            raise Http404("No signed LOA.")
        data, check = check_signed_loa(loa.signature)
        accept = request.query_params.get("accept_invalid", "").lower() in ("1", "true")
        if not check.valid and not accept:
            return Response(
                {"rule": "seal_invalid", "detail": check.summary}, status=status.HTTP_409_CONFLICT
            )
        if not data:
            raise Http404("The signed file is missing.")
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{loa.signature.document_id}.pdf"'
        response["X-Seal-Status"] = "valid" if check.valid else "invalid"
        return response

    @extend_schema(request=ReasonSerializer, responses={200: AcknowledgedSerializer, **_WRITE})
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def acknowledge(self, request, *args, **kwargs):
        """Accept the check's current warnings on the current LOA (recorded with you)."""
        order = self.get_object()
        data = self._valid(ReasonSerializer).validated_data
        with service_errors():
            codes = acknowledge_warnings(order, by=request.user, reason=self._reason(data))
        body = {"loa_version": order.current_loa().version, "acknowledged_warnings": codes}
        return Response(AcknowledgedSerializer(body).data)

    # -- FOC, rejections -------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None,
                   responses={200: FocChangeRecordSerializer(many=True)},
                   description="The FOC changes (supplemental orders), newest first.")  # fmt: skip
    @extend_schema(
        methods=["POST"], request=FocChangeSerializer, responses={200: _ORDER, **_WRITE},
        description="The carrier moved the FOC: the old and the new are both kept, the "
        "order stays in its state.",
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[],
            serializer_class=FocChangeSerializer)  # fmt: skip
    def foc(self, request, *args, **kwargs):
        order = self.get_object()
        if request.method == "GET":
            changes = order.foc_changes.order_by("-changed_at")
            return Response(FocChangeRecordSerializer(changes, many=True).data)
        data = self._valid(FocChangeSerializer).validated_data
        with service_errors():
            change_foc(
                order, new_foc_at=data["new_foc_at"], reason=data["reason"], by=request.user,
                confirmation_number=data.get("confirmation_number", ""),
                **({"foc_timezone": data["foc_timezone"]} if data.get("foc_timezone") else {}),
            )  # fmt: skip
        return self._order_response(order)

    @extend_schema(responses={200: RejectionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def rejections(self, request, *args, **kwargs):
        """The carrier's rejections of this order, newest first, with the LOA version."""
        order = self.get_object()
        return Response(RejectionSerializer(order.rejections.order_by("-rejected_at"),
                                            many=True).data)  # fmt: skip

    # -- port day --------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses={200: TestCallSerializer(many=True)},
                   description="The post-port test calls, newest first.")  # fmt: skip
    @extend_schema(
        methods=["POST"], request=TestCallRequestSerializer,
        responses={201: TestCallSerializer, **_WRITE},
        description="Record one external test call to a ported number (on port day; each "
        "number needs three passing calls from different outside lines). Technicians too.",
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"], url_path="test-calls", url_name="test-calls",
            pagination_class=None, filter_backends=[],
            serializer_class=TestCallRequestSerializer)  # fmt: skip
    def test_calls(self, request, *args, **kwargs):
        order = self.get_object()
        if request.method == "GET":
            calls = order.test_calls.select_related("number").order_by("-tested_at", "-pk")
            return Response(TestCallSerializer(calls, many=True).data)
        data = self._valid(TestCallRequestSerializer).validated_data
        try:
            (number,) = resolve_numbers([data["number"]], order.numbers.all(),
                                        where="on this order")  # fmt: skip
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"number": exc.detail}) from exc
        with service_errors():
            call = record_test_call(order, number, called_from=data["called_from"],
                                    passed=data["passed"], note=data.get("note", ""),
                                    by=request.user)  # fmt: skip
        return Response(TestCallSerializer(call).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PartialPortSerializer, responses={201: PortOrderSerializer, **_WRITE},
        description="Partial port: the numbers that did not move leave this order for a new "
        "linked order (LOA pending), which is returned.",
    )  # fmt: skip
    @action(detail=True, methods=["post"], serializer_class=PartialPortSerializer)
    def partial(self, request, *args, **kwargs):
        order = self.get_object()
        data = self._valid(PartialPortSerializer).validated_data
        try:
            moved = resolve_numbers(data["moved"], order.numbers.all(), where="on this order")
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"moved": exc.detail}) from exc
        with service_errors():
            child = split_partial_port(order, moved=moved, by=request.user, reason=data["reason"])
        return self._order_response(child, status.HTTP_201_CREATED)

    # -- planning --------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "migration", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                description="UUID of a migration of this organization.",
            )
        ],
        responses={200: MigrationPlanSerializer, 400: _BAD},
        description="The go-live plan of a migration from its port orders' FOC timelines "
        "(business days, US federal holidays, multi-carrier stagger). Dates are ISO 8601.",
    )  # fmt: skip
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def plan(self, request, *args, **kwargs):
        raw = (request.query_params.get("migration") or "").strip()
        if not raw:
            raise serializers.ValidationError({"migration": ["The migration's UUID is required."]})
        try:
            migration_uuid = uuid.UUID(raw)
        except ValueError as exc:
            raise serializers.ValidationError({"migration": ["Not a UUID."]}) from exc
        migration = (
            scope_queryset(Migration.objects.all(), self.organization)
            .filter(uuid=migration_uuid)
            .first()
        )
        if migration is None:
            raise serializers.ValidationError(
                {"migration": ["No migration with this UUID in this organization."]}
            )
        result = migration_plan(migration)
        body = MigrationPlanSerializer(_PlanView(result, migration.uuid)).data
        return Response(body)


class _PlanView:
    """A MigrationPlan with the migration's UUID alongside (the plan itself is pure)."""

    def __init__(self, plan, migration_uuid):
        self._plan = plan
        self.migration_uuid = migration_uuid

    def __getattr__(self, name):
        return getattr(self._plan, name)
