"""The FOC and port-day routes of /api/o/<org>/port-orders/<id>/."""

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api_base import (
    WRITE_RESPONSES,
    service_errors,
)

from ..services import change_foc, record_test_call, split_partial_port
from .fields import resolve_numbers
from .serializers import (
    ORDER_RESPONSE,
    FocChangeRecordSerializer,
    FocChangeSerializer,
    PartialPortSerializer,
    PortOrderSerializer,
    RejectionSerializer,
    TestCallRequestSerializer,
    TestCallSerializer,
)


class PortDayActions:
    """FOC changes, rejections, post-port test calls and partial ports of a port order."""

    # -- FOC, rejections -------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None,
                   responses={200: FocChangeRecordSerializer(many=True)},
                   description="The FOC changes (supplemental orders), newest first.")  # fmt: skip
    @extend_schema(
        methods=["POST"], request=FocChangeSerializer,
        responses={200: ORDER_RESPONSE, **WRITE_RESPONSES},
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
        responses={201: TestCallSerializer, **WRITE_RESPONSES},
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
        request=PartialPortSerializer, responses={201: PortOrderSerializer, **WRITE_RESPONSES},
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
