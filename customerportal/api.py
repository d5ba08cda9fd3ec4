"""/api/o/<org>/portal-links/, stuck-flags/ and questionnaires/: the customer portal's
links (send, list, revoke; the token only ever in the email), the stuck flags (list,
clear) and the site questionnaires (list, read, accept into the inventory). Each route
calls the same service as the page (docs/customer-portal.md)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.models import Migration
from tenancy import reminders
from tenancy.api_base import WRITE_RESPONSES, OrgScopedGenericViewSet, service_errors
from tenancy.portal import portal_base_url
from tenancy.scoping import scope_queryset

from . import questionnaire as q
from . import services
from .models import CustomerPortalLink, Questionnaire, StuckFlag
from .selectors import customer_tasks


class PortalLinkSerializer(serializers.ModelSerializer):
    migration = serializers.UUIDField(source="migration.uuid", read_only=True)
    state = serializers.CharField(source="link_state", read_only=True)
    reminders_off = serializers.SerializerMethodField(
        help_text="The contact unsubscribed from the organization's reminders."
    )

    class Meta:
        model = CustomerPortalLink
        fields = [
            "id",
            "migration",
            "name",
            "email",
            "state",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_seen_at",
            "reminders_off",
        ]
        read_only_fields = fields

    def get_reminders_off(self, link) -> bool:
        if hasattr(link, "opted_out"):  # annotated by the list
            return link.opted_out
        return bool(reminders.opted_out(link.organization, [link.email]))


class SendPortalLinkSerializer(serializers.Serializer):
    migration = serializers.UUIDField()
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()


class PortalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class StuckFlagSerializer(serializers.ModelSerializer):
    migration = serializers.UUIDField(source="migration.uuid", read_only=True)

    class Meta:
        model = StuckFlag
        fields = [
            "id",
            "migration",
            "task_key",
            "task_title",
            "note",
            "raised_by_name",
            "raised_at",
            "cleared_at",
        ]
        read_only_fields = fields


class QuestionnaireSerializer(serializers.ModelSerializer):
    migration = serializers.UUIDField(source="migration.uuid", read_only=True)

    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "migration",
            "site",
            "status",
            "answers",
            "submitted_by_name",
            "submitted_at",
            "accepted_at",
        ]
        read_only_fields = fields


class PortalLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedGenericViewSet):
    serializer_class = PortalLinkSerializer
    select_related = ("migration",)
    filterset_fields = ("migration__uuid",)

    def get_queryset(self):
        return super().get_queryset().annotate(opted_out=reminders.opted_out_exists())

    @extend_schema(
        request=SendPortalLinkSerializer, responses={201: PortalLinkSerializer, **WRITE_RESPONSES}
    )
    def create(self, request, org_slug):
        body = SendPortalLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        migration = get_object_or_404(
            self.scoped_migrations(), uuid=body.validated_data["migration"]
        )
        with service_errors():
            link = services.send_portal_link(
                migration,
                name=body.validated_data["name"],
                email=body.validated_data["email"],
                by=request.user,
                base_url=portal_base_url(request),
            )
        return Response(PortalLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    def scoped_migrations(self):
        return scope_queryset(Migration.objects.all(), self.organization)

    @extend_schema(
        request=PortalReasonSerializer, responses={200: PortalLinkSerializer, **WRITE_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, org_slug, pk):
        body = PortalReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            link = services.revoke_portal_link(
                self.get_object(), by=request.user, reason=body.validated_data.get("reason", "")
            )
        return Response(PortalLinkSerializer(link).data)


class StuckFlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedGenericViewSet):
    serializer_class = StuckFlagSerializer
    select_related = ("migration",)
    filterset_fields = ("migration__uuid",)

    @extend_schema(
        request=PortalReasonSerializer, responses={200: StuckFlagSerializer, **WRITE_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def clear(self, request, org_slug, pk):
        body = PortalReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            flag = services.clear_stuck(
                self.get_object(), by=request.user, reason=body.validated_data.get("reason", "")
            )
        return Response(StuckFlagSerializer(flag).data)


class QuestionnaireViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedGenericViewSet
):
    serializer_class = QuestionnaireSerializer
    select_related = ("migration", "site")
    filterset_fields = ("migration__uuid", "status")

    @extend_schema(request=None, responses={200: QuestionnaireSerializer, **WRITE_RESPONSES})
    @action(detail=True, methods=["post"])
    def accept(self, request, org_slug, pk):
        """Import the people into the inventory and send remote workers their links."""
        with service_errors():
            questionnaire = q.accept(
                self.get_object(), by=request.user, base_url=portal_base_url(request)
            )
        return Response(QuestionnaireSerializer(questionnaire).data)


class CustomerTaskSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="e.g. loa:<order>, bill:<account>, contacts:<site>")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["todo", "done", "waiting", "info"])
    detail = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    stuck = serializers.SerializerMethodField()

    def get_stuck(self, task) -> bool:
        return task.stuck is not None


class MigrationTasksSerializer(serializers.Serializer):
    migration = serializers.UUIDField()


class CustomerTaskViewSet(OrgScopedGenericViewSet):
    """The customer's tasks of one migration, as their portal shows them."""

    serializer_class = PortalLinkSerializer  # the model the org scope and roles refer to

    @extend_schema(
        parameters=[MigrationTasksSerializer],
        responses={200: CustomerTaskSerializer(many=True)},
    )
    def list(self, request, org_slug):
        query = MigrationTasksSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        migration = get_object_or_404(
            scope_queryset(Migration.objects.all(), self.organization),
            uuid=query.validated_data["migration"],
        )
        return Response(CustomerTaskSerializer(customer_tasks(migration), many=True).data)
