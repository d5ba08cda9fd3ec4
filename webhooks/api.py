"""/api/o/<org>/webhooks/: the organization's endpoints (owners write; the secret only in
the answer that creates or rotates it), their delivery log, and replay (docs/api.md,
docs/webhooks.md)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from tenancy.api_base import WRITE_RESPONSES, OrgScopedGenericViewSet, service_errors
from tenancy.roles import OWNER_PM

from . import services
from .events import EventType
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import recent_deliveries


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint. Its secret is write-never: it appears only in `secret` of the answer
    to a create or a rotate."""

    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), required=False,
        help_text="Event types sent here; empty: every type.",
    )  # fmt: skip

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "event_types", "is_active", "disabled_reason",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "disabled_reason", "created_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown this once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.message_id")
    event_type = serializers.CharField(source="event.type")
    log = WebhookAttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_latency_ms", "last_error", "delivered_at",
                  "created_at", "replay_of", "log"]  # fmt: skip


class _OwnersAndPMs(OrgScopedGenericViewSet):
    """Endpoints and their log are for owners and PMs; other roles get 403."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.membership.role not in OWNER_PM:
            raise PermissionDenied("Webhooks are for the organization's owners and PMs.")


class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _OwnersAndPMs):
    serializer_class = WebhookEndpointSerializer
    ordering_fields = ("url", "created_at")

    @extend_schema(
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **WRITE_RESPONSES},
    )
    def create(self, request, org_slug):
        body = WebhookEndpointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            endpoint, secret = services.create_endpoint(
                self.organization, by=request.user, url=body.validated_data["url"],
                description=body.validated_data.get("description", ""),
                event_types=body.validated_data.get("event_types", []),
            )  # fmt: skip
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointSerializer,
                   responses={200: WebhookEndpointSerializer, **WRITE_RESPONSES})  # fmt: skip
    def partial_update(self, request, org_slug, pk):
        body = WebhookEndpointSerializer(self.get_object(), data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        with service_errors():
            endpoint = services.update_endpoint(
                self.get_object(), by=request.user, reason=self.change_reason(),
                **body.validated_data,
            )  # fmt: skip
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None, **WRITE_RESPONSES})
    def destroy(self, request, org_slug, pk):
        with service_errors():
            services.delete_endpoint(self.get_object(), by=request.user,
                                     reason=self.change_reason())  # fmt: skip
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, responses={200: WebhookEndpointWithSecretSerializer, **WRITE_RESPONSES}
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, org_slug, pk):
        with service_errors():
            secret = services.rotate_secret(self.get_object(), by=request.user)
        endpoint = WebhookEndpoint.objects.get(pk=pk)
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, org_slug, pk):
        """The latest deliveries to the endpoint, each with its attempts."""
        return Response(
            WebhookDeliverySerializer(recent_deliveries(self.get_object()), many=True).data
        )


class WebhookDeliveryViewSet(_OwnersAndPMs):
    serializer_class = WebhookDeliverySerializer

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, **WRITE_RESPONSES})
    @action(detail=True, methods=["post"])
    def replay(self, request, org_slug, pk):
        """Send the delivery's event to its endpoint again (same id and body)."""
        with service_errors():
            again = services.replay(self.get_object(), by=request.user)
        again = WebhookDelivery.objects.select_related("event").get(pk=again.pk)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
