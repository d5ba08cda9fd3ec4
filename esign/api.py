"""The signing routes of a port order, beside porting's own under
/api/o/<org>/port-orders/<id>/: send the LOA for signature, list and revoke the links,
download the sealed signed LOA (docs/api.md)."""

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from porting.api.orders import PortOrderRoutes
from tenancy.api_base import (
    WRITE_RESPONSES,
    PdfOrJsonNegotiation,
    RefusalSerializer,
    service_errors,
)
from tenancy.portal import portal_base_url, request_meta

from .models import SigningRequest
from .services import check_signed_loa, revoke_signing_request, send_signing_request


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


class PortOrderSigningViewSet(PortOrderRoutes):
    """Routes only (no list or detail of its own): the port order's signing links."""

    @extend_schema(
        request=SendForSignatureSerializer,
        responses={201: SigningRequestSerializer, **WRITE_RESPONSES},
        description="Email the authorized person a link to sign the current LOA version. "
        "Earlier live links of the order stop working. The link is never returned.",
    )
    @action(detail=True, methods=["post"], url_path="loa/send", url_name="loa-send",
            serializer_class=SendForSignatureSerializer)  # fmt: skip
    def send_loa(self, request, *args, **kwargs):

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

        order = self.get_object()
        rows = list(SigningRequest.objects.filter(loa__port_order=order).select_related("loa"))
        # A live link's state compares its LOA with the order's current LOA and numbers:
        # one order, its numbers loaded once, for every row.
        prefetch_related_objects([order], "numbers")
        for row in rows:
            row.loa.port_order = order
        return Response(SigningRequestSerializer(rows, many=True).data)

    @extend_schema(
        request=RevokeLinkSerializer, responses={200: SigningRequestSerializer, **WRITE_RESPONSES}
    )
    @action(detail=True, methods=["post"], url_path="signing-requests/revoke",
            url_name="signing-request-revoke", serializer_class=RevokeLinkSerializer)  # fmt: skip
    def revoke_link(self, request, *args, **kwargs):
        """Stop one of the order's signing links from working."""

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
                {"rule": "seal_invalid", "detail": check.verdict}, status=status.HTTP_409_CONFLICT
            )
        if not data:
            raise Http404("The signed file is missing.")
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{loa.signature.document_id}.pdf"'
        response["X-Seal-Status"] = "valid" if check.valid else "invalid"
        return response
