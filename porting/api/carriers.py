"""Carrier connections (/api/o/<org>/carrier-connections/) and what goes through them:
the carrier routes of a port order (…/port-orders/<id>/carrier/…) and a carrier
account's CSR request (…/carrier-accounts/<id>/csr/). The same services as the pages and
the command line (porting.carriers.services, docs/carriers.md)."""

from contextlib import contextmanager

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response

from tenancy.api_base import (
    WRITE_RESPONSES,
    OrgScopedSerializer,
    OrgScopedViewSet,
    drf_validation_error,
    service_errors,
)
from tenancy.roles import OWNER_PM
from tenancy.rules import TransitionRefused
from tenancy.scoping import scope_queryset

from ..carriers import services as carriers
from ..carriers.base import CarrierError
from ..carriers.registry import MANUAL, PROVIDER_CHOICES
from ..models import CarrierConnection, CarrierEvent, CarrierExchange, OrderNote
from .serializers import ReasonSerializer


class CarrierFailed(APIException):
    """The provider refused or failed: 502 with its words; nothing changed here."""

    status_code = status.HTTP_502_BAD_GATEWAY

    def __init__(self, exc: CarrierError):
        self.detail = {
            "rule": "carrier_error",
            "detail": exc.message,
            "provider_status": exc.status_code,
            "provider_code": exc.provider_code or None,
            "request_id": exc.request_id or None,
            "retryable": exc.retryable,
        }


CARRIER_RESPONSES = {
    **WRITE_RESPONSES,
    502: OpenApiResponse(
        description="The provider refused or failed (its words in `detail`); nothing changed."
    ),
}


@contextmanager
def carrier_errors():
    """Translate a provider failure (502), and the services' refusals as everywhere."""
    try:
        with service_errors():
            yield
    except CarrierError as exc:
        raise CarrierFailed(exc) from exc


# -- connections -----------------------------------------------------------------------------


class CarrierConnectionSerializer(OrgScopedSerializer):
    provider = serializers.ChoiceField(choices=[c for c in PROVIDER_CHOICES if c[0] != MANUAL])
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=500,
        style={"input_type": "password"},
        help_text="Write-only; stored encrypted, never returned. Omit to keep the stored key, "
        "send an empty string to remove it.",
    )
    has_api_key = serializers.BooleanField(read_only=True)
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = CarrierConnection
        fields = [
            "id",
            "uuid",
            "provider",
            "name",
            "api_key",
            "has_api_key",
            "webhook_public_key",
            "base_url",
            "is_active",
            "webhook_url",
            "created_at",
        ]
        read_only_fields = ["uuid", "created_at"]

    def get_webhook_url(self, connection) -> str:
        request = self.context.get("request")
        path = connection.webhook_path
        return request.build_absolute_uri(path) if request else path

    def save_instance(self, instance):
        request = self.context.get("request")
        api_key = self.initial_data.get("api_key") if "api_key" in self.initial_data else None
        instance.organization = self.organization
        try:
            return carriers.save_connection(
                instance,
                by=getattr(request, "user", None),
                reason=self.context.get("reason", ""),
                api_key=api_key,
            )
        except Exception as exc:
            from django.core.exceptions import ValidationError

            if isinstance(exc, ValidationError):
                raise drf_validation_error(exc) from exc
            if isinstance(exc, TransitionRefused):
                raise serializers.ValidationError({"detail": exc.message}) from exc
            raise

    def create(self, validated_data):
        validated_data.pop("api_key", None)
        return self.save_instance(CarrierConnection(**validated_data))

    def update(self, instance, validated_data):
        validated_data.pop("api_key", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.save_instance(instance)


class CarrierConnectionViewSet(OrgScopedViewSet):
    """The organization's connections to winning carriers' porting APIs. The API key is
    write-only (`has_api_key` tells whether one is stored); connections are disabled, not
    deleted, since orders and their logs refer to them."""

    serializer_class = CarrierConnectionSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ("name", "created_at")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # As on the pages: a connection's addresses and key are the owners' and PMs'.
        if self.membership.role not in OWNER_PM:
            raise PermissionDenied("Carrier connections are for owners and project managers.")


# -- order routes ----------------------------------------------------------------------------


class ExchangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CarrierExchange
        fields = [
            "id",
            "at",
            "operation",
            "method",
            "path",
            "status_code",
            "ms",
            "request_id",
            "request_body",
            "response_body",
            "error",
        ]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CarrierEvent
        fields = [
            "id",
            "provider_event_id",
            "event_type",
            "source",
            "status",
            "reason",
            "occurred_at",
            "received_at",
            "dismissed_at",
        ]


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderNote
        fields = ["id", "body", "source", "author_name", "provider_note_id", "created_at"]
        read_only_fields = ["source", "author_name", "provider_note_id", "created_at"]


class OrderConnectionSerializer(serializers.Serializer):
    connection = serializers.PrimaryKeyRelatedField(
        queryset=CarrierConnection.objects.none(),
        allow_null=True,
        help_text="The connection to submit through; null: the order is worked by hand.",
    )

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        fields["connection"].queryset = (
            scope_queryset(CarrierConnection.objects.all(), organization)
            if organization is not None
            else CarrierConnection.objects.none()
        )
        return fields


class PortabilityRequestSerializer(OrderConnectionSerializer):
    numbers = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        help_text="Ids of the organization's numbers to check.",
    )


class CarrierNumberActions:
    @extend_schema(
        request=PortabilityRequestSerializer,
        responses={200: None, **CARRIER_RESPONSES},
        description="Check numbers' portability through a connection before an order is "
        "created; each answer is stored on its number.",
    )
    @action(detail=False, methods=["post"], url_path="portability", url_name="portability")
    def portability(self, request, *args, **kwargs):
        serializer = PortabilityRequestSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        numbers = list(self.get_queryset().filter(pk__in=data["numbers"]).order_by("number"))
        if len(numbers) != len(set(data["numbers"])) or data["connection"] is None:
            raise serializers.ValidationError({"numbers": ["Unknown numbers or connection."]})
        with carrier_errors():
            rows = carriers.check_portability(data["connection"], numbers, by=request.user)
        return Response(_portability_rows(rows))


def _portability_rows(rows):
    return [
        {
            "number": str(n.number),
            "portable": r.portable if r else None,
            "fast_portable": r.fast_portable if r else None,
            "reason": r.reason if r else "",
        }
        for n, r in rows
    ]


class CarrierOrderActions:
    """The carrier routes of a port order."""

    @extend_schema(
        request=ReasonSerializer,
        responses={200: None, **CARRIER_RESPONSES},
        description="Submit to the carrier: the provider's order is created (or "
        "found again), the sealed signed LOA and the bill uploaded, the requested "
        "FOC chosen from the allowed windows, then `submit_loa` recorded.",
    )
    @action(detail=True, methods=["post"], url_path="carrier/submit", url_name="carrier-submit")
    def carrier_submit(self, request, *args, **kwargs):
        order = self.get_object()
        with carrier_errors():
            order = carriers.submit_to_carrier(
                order, by=request.user, reason=self._reason(request.data)
            )
        return self._order_response(order)

    @extend_schema(
        request=None,
        responses={200: None, **CARRIER_RESPONSES},
        description="Read the provider's order and comments now and apply what "
        "changed, as its events would.",
    )
    @action(detail=True, methods=["post"], url_path="carrier/sync", url_name="carrier-sync")
    def carrier_sync(self, request, *args, **kwargs):
        order = self.get_object()
        with carrier_errors():
            carriers.sync_order(order, by=request.user)
        return self._order_response(order)

    @extend_schema(request=None, responses={200: None, **CARRIER_RESPONSES})
    @action(
        detail=True,
        methods=["post"],
        url_path="carrier/portability",
        url_name="carrier-portability",
    )
    def carrier_portability(self, request, *args, **kwargs):
        """Check the order's numbers' portability through its connection (stored on each)."""
        order = self.get_object()
        with carrier_errors():
            rows = carriers.check_portability(
                order.connection, list(order.numbers.all()), by=request.user, order=order
            )
        return Response(_portability_rows(rows))

    @extend_schema(request=OrderConnectionSerializer, responses={200: None, **CARRIER_RESPONSES})
    @action(
        detail=True, methods=["post"], url_path="carrier/connection", url_name="carrier-connection"
    )
    def carrier_connection(self, request, *args, **kwargs):
        """Name the order's carrier connection (null: by hand), before it is submitted."""
        order = self.get_object()
        serializer = OrderConnectionSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with carrier_errors():
            order = carriers.set_order_connection(
                order,
                serializer.validated_data["connection"],
                by=request.user,
                reason=self.change_reason(),
            )
        return self._order_response(order)

    @extend_schema(request=None, responses={200: None, **CARRIER_RESPONSES})
    @action(detail=True, methods=["post"], url_path="carrier/activate", url_name="carrier-activate")
    def carrier_activate(self, request, *args, **kwargs):
        """On-demand activation on port day, where the provider offers it (technicians too)."""
        order = self.get_object()
        with carrier_errors():
            job = carriers.activate_on_carrier(order, by=request.user)
        return Response({"job": job.id, "status": job.status})

    @extend_schema(responses={200: ExchangeSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        url_path="carrier/exchanges",
        url_name="carrier-exchanges",
        pagination_class=None,
        filter_backends=[],
    )
    def carrier_exchanges(self, request, *args, **kwargs):
        """Everything sent to the provider for this order and its answers, secrets redacted."""
        order = self.get_object()
        return Response(
            ExchangeSerializer(order.exchanges.order_by("-at", "-pk")[:200], many=True).data
        )

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        url_path="carrier/events",
        url_name="carrier-events",
        pagination_class=None,
        filter_backends=[],
    )
    def carrier_events(self, request, *args, **kwargs):
        """The provider's events for this order: applied, flagged (with why) or ignored."""
        order = self.get_object()
        return Response(
            EventSerializer(order.carrier_events.order_by("-received_at", "-pk"), many=True).data
        )

    @extend_schema(methods=["GET"], responses={200: NoteSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=NoteSerializer,
        responses={201: NoteSerializer, **CARRIER_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="notes",
        url_name="notes",
        pagination_class=None,
        filter_backends=[],
        serializer_class=NoteSerializer,
    )
    def notes(self, request, *args, **kwargs):
        """The order's notes; a new one goes to the provider as a comment when the order
        is at a carrier."""
        order = self.get_object()
        if request.method == "GET":
            return Response(NoteSerializer(order.notes.order_by("-created_at"), many=True).data)
        data = self._valid(NoteSerializer).validated_data
        with carrier_errors():
            note = carriers.add_note(order, data["body"], by=request.user)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CsrRequestSerializer(serializers.Serializer):
    connection = serializers.PrimaryKeyRelatedField(queryset=CarrierConnection.objects.none())

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        fields["connection"].queryset = (
            scope_queryset(CarrierConnection.objects.all(), organization)
            if organization is not None
            else CarrierConnection.objects.none()
        )
        return fields


class CarrierAccountCsrActions:
    @extend_schema(
        request=CsrRequestSerializer,
        responses={200: None, **CARRIER_RESPONSES},
        description="Request the account's CSR through a connection: when it "
        "returns, the CSR fields are filled as received and the LOA check runs.",
    )
    @action(detail=True, methods=["post"], url_path="csr", url_name="csr")
    def csr(self, request, *args, **kwargs):
        account = self.get_object()
        serializer = CsrRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with carrier_errors():
            outcome = carriers.request_csr(
                account, serializer.validated_data["connection"], by=request.user
            )
        return Response(
            {
                "status": outcome.status,
                "error": outcome.error or None,
                "message": outcome.text,
                "findings": {
                    str(pk): [
                        {"code": f.code, "severity": f.severity, "field": f.field} for f in fs
                    ]
                    for pk, fs in outcome.findings.items()
                },
            }
        )
