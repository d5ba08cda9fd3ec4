"""Port orders: /api/o/<org>/port-orders/. Every write goes through porting.services, which
hold the rules and name the one that refuses; this package only translates (docs/api.md,
"Porting"). The LOA routes are in loa.py, the FOC and port-day routes in port_day.py."""

import uuid

from django.db.models import OuterRef, Prefetch, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.models import Migration
from tenancy.api_base import (
    BAD_RESPONSE,
    WRITE_RESPONSES,
    OrgRolePermission,
    OrgScopedGenericViewSet,
    service_errors,
)
from tenancy.scoping import scope_queryset

from ..models import (
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
)
from ..selectors import migration_plan
from ..services import (
    available_transitions,
    create_port_order,
    transition_order,
)
from .carriers import CarrierOrderActions
from .loa import LoaActions
from .port_day import PortDayActions
from .serializers import (
    ORDER_RESPONSE,
    AvailableTransitionSerializer,
    MigrationPlanSerializer,
    PortOrderAPIFilter,
    PortOrderCreateSerializer,
    PortOrderSerializer,
    PortOrderUpdateSerializer,
    TransitionSerializer,
)


class PortOrderPermission(OrgRolePermission):
    """As everywhere (404 before 403), except that the on-site actions (transitions and
    test calls) are open to the roles that make test calls (`PostPortTestCall.write_roles`,
    technicians included): the service then checks each transition's own roles and names
    the rule when it refuses."""

    ON_SITE_ACTIONS = frozenset({"transition", "test_calls", "carrier_activate"})

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or view.action not in self.ON_SITE_ACTIONS:
            return super().has_permission(request, view)
        membership = view.resolve_membership(request)
        view.resolve_url_object()
        return membership.can_write(PostPortTestCall)


class PortOrderRoutes(OrgScopedGenericViewSet):
    """What every route under port-orders/ shares: the scoped queryset, the permission,
    and the helpers. Apps above porting add routes of their own by subclassing it (the
    signing app: esign/api.py)."""

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
        fresh = self.with_details(OrgScopedGenericViewSet.get_queryset(self)).get(pk=order.pk)
        body = PortOrderSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=code)


class PortOrderViewSet(
    CarrierOrderActions,
    LoaActions,
    PortDayActions,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    PortOrderRoutes,
):
    """Port orders: one per carrier account. Created through the porting service (which
    refuses mixed accounts, toll-free with geographic numbers, numbers on another open
    order); the state moves only through `transition/`, and orders are never deleted
    (cancel is a transition)."""

    # -- create ----------------------------------------------------------------------------

    @extend_schema(
        request=PortOrderCreateSerializer,
        responses={201: PortOrderSerializer, **WRITE_RESPONSES},
    )
    def create(self, request, *args, **kwargs):
        data = self._valid(PortOrderCreateSerializer).validated_data
        with service_errors():
            order = create_port_order(
                data["carrier_account"],
                data["numbers"],
                winning_carrier=data["winning_carrier"],
                requested_date=data.get("requested_date"),
                connection=data.get("connection"),
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
        responses={200: ORDER_RESPONSE, **WRITE_RESPONSES},
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
        you now (services.available_transitions, with the rule named apart)."""
        order = self.get_object()
        rows = [
            {
                "name": name,
                "label": label,
                "allowed": refused is None,
                "rule": refused.rule if refused else None,
                "detail": refused.message if refused else None,
            }
            for name, label, refused in available_transitions(order, by=request.user,
                                                               as_text=False)
        ]  # fmt: skip
        return Response(AvailableTransitionSerializer(rows, many=True).data)

    # -- planning --------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "migration", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                description="UUID of a migration of this organization.",
            )
        ],
        responses={200: MigrationPlanSerializer, 400: BAD_RESPONSE},
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
