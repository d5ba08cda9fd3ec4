"""The LOA routes of /api/o/<org>/port-orders/<id>/."""

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api_base import (
    WRITE_RESPONSES,
    service_errors,
)

from ..services import acknowledge_warnings, prepare_loa
from .serializers import (
    AcknowledgedSerializer,
    FindingsSerializer,
    LoaChangesSerializer,
    LoaSerializer,
    ReasonSerializer,
)


class LoaActions:
    """The LOA routes of a port order: the check's findings, the versions, warnings."""

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
        methods=["POST"], request=LoaChangesSerializer,
        responses={201: LoaSerializer, **WRITE_RESPONSES},
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
        request=ReasonSerializer, responses={200: AcknowledgedSerializer, **WRITE_RESPONSES}
    )
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def acknowledge(self, request, *args, **kwargs):
        """Accept the check's current warnings on the current LOA (recorded with you)."""
        order = self.get_object()
        data = self._valid(ReasonSerializer).validated_data
        with service_errors():
            codes = acknowledge_warnings(order, by=request.user, reason=self._reason(data))
        body = {"loa_version": order.current_loa().version, "acknowledged_warnings": codes}
        return Response(AcknowledgedSerializer(body).data)
