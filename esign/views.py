"""The signer's portal (no account) and the PM's signing pages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from porting.models import LetterOfAuthorization, PortOrder
from tenancy.csp import allow_document_styles
from tenancy.portal import (
    LinkDead,
    LinkState,
    portal_base_url,
    portal_response,
    rate_limited,
    request_meta,
)
from tenancy.views_base import OrgMixin, ServiceActionView

from . import services
from .documents import field_values
from .forms import PortalForm, RevokeForm, SendForm
from .models import LoaSignature, SigningRequest

DEAD_LINK_TEXT = {
    LinkState.EXPIRED: "This signing link has expired.",
    LinkState.REVOKED: "This signing link was withdrawn by the sender.",
    LinkState.USED: "This signing link has already been used.",
    LinkState.SUPERSEDED: "This letter has been replaced or is no longer open for signature.",
}


@method_decorator(never_cache, name="dispatch")
class PortalView(View):
    """/sign/<token>/: read the LOA, confirm each field, consent, sign or send back."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, token):
        limit = settings.PORTAL_RATE_LIMIT_PER_MINUTE
        if rate_limited(request, "portal", limit):
            return portal_response(request, "esign/portal_message.html", {
                "title": "Too many requests",
                "text": "Please wait a minute and try again.",
            }, status=429)  # fmt: skip
        self.signing_request = services.find_request(token)
        if self.signing_request is None:
            raise Http404("No such link.")
        return super().dispatch(request, token)

    def dead(self, state):
        return portal_response(self.request, "esign/portal_message.html", {
            "title": "Link no longer valid",
            "text": DEAD_LINK_TEXT[state],
            "hint": "If you still need to sign, ask the sender for a new link.",
        }, status=410)  # fmt: skip

    def page(self, shown, form, status=200, notice=""):
        response = portal_response(self.request, "esign/portal.html", {
            "shown": shown, "form": form, "doc": shown.doc, "notice": notice,
            "signing_request": self.signing_request,
            "disclosure_version": services.DISCLOSURE_VERSION,
        }, status=status)  # fmt: skip
        # The letter's frame (srcdoc) lives under this page's policy: its style sheet, and
        # only it, is allowed by hash.
        return allow_document_styles(response, shown.html)

    def get(self, request, token):
        try:
            self.signing_request, shown = services.open_request(
                self.signing_request, meta=request_meta(request)
            )
        except LinkDead as exc:
            return self.dead(exc.state)
        form = PortalForm(
            initial={"document_sha256": shown.sha256}, fields_shown=field_values(shown.doc)
        )
        return self.page(shown, form)

    def post(self, request, token):
        meta = request_meta(request)
        if self.signing_request.link_state() != LinkState.ACTIVE:
            return self.dead(self.signing_request.link_state())
        shown = services.shown_document(self.signing_request.loa)
        form = PortalForm(request.POST, fields_shown=field_values(shown.doc))
        if not form.is_valid():
            return self.page(shown, form, status=400)
        data = form.cleaned_data
        wrong = form.wrong_fields()
        try:
            if wrong:
                services.request_correction(
                    self.signing_request, wrong=wrong, name=data["typed_name"], meta=meta,
                    document_sha256=data["document_sha256"],
                )  # fmt: skip
                return portal_response(request, "esign/portal_message.html", {
                    "title": "Sent back for correction",
                    "text": "Thank you. The letter was not signed: we sent your corrections "
                    "to the sender, who will send you a corrected letter to sign.",
                })  # fmt: skip
            signature = services.sign(
                self.signing_request, typed_name=data["typed_name"],
                typed_title=data["typed_title"], consent=data["consent"], meta=meta,
                document_sha256=data["document_sha256"],
                drawn_signature=data["drawn_signature"],
            )  # fmt: skip
        except LinkDead as exc:
            return self.dead(exc.state)
        except services.DocumentChanged as exc:
            fresh = services.shown_document(self.signing_request.loa)
            form = PortalForm(
                initial={"document_sha256": fresh.sha256}, fields_shown=field_values(fresh.doc)
            )
            return self.page(fresh, form, status=409, notice=str(exc))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.page(shown, form, status=400)
        return portal_response(request, "esign/portal_signed.html", {
            "signature": signature, "signing_request": self.signing_request,
            "download_url": reverse("esign:signed-copy", args=[token]),
            "doc": shown.doc,
        })  # fmt: skip


@method_decorator(never_cache, name="dispatch")
class PortalSignedCopy(View):
    """/sign/<token>/signed.pdf: the signer downloads what they signed, sealed, with the
    same link, until it expires. Any other state of the link is a 404 (nothing told)."""

    http_method_names = ["get"]

    def get(self, request, token):
        if rate_limited(request, "portal", settings.PORTAL_RATE_LIMIT_PER_MINUTE):
            return portal_response(request, "esign/portal_message.html", {
                "title": "Too many requests", "text": "Please wait a minute and try again.",
            }, status=429)  # fmt: skip
        signature = services.signed_copy_for(services.find_request(token))
        if signature is None:
            raise Http404("No signed copy here.")
        with signature.sealed_pdf.open("rb") as handle:
            data = handle.read()
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{signature.document_id}.pdf"'
        return response


# --- the PM's side --------------------------------------------------------------------


class _OrderSigningAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = PortOrder

    def get_queryset(self):
        return self.scoped(PortOrder.objects.select_related("carrier_account"))

    def back_url(self, target):
        return self.order_of(target).get_absolute_url()

    def order_of(self, target):
        return target


class SendForSignature(_OrderSigningAction):
    form_class = SendForm

    def act(self, order, data):
        loa = order.current_loa()
        if loa is None:
            raise ValidationError("Prepare an LOA first.")
        services.send_signing_request(
            loa, email=data["email"], by=self.request.user,
            base_url=portal_base_url(self.request), meta=request_meta(self.request),
        )  # fmt: skip
        # The link went to the signer only; the PM is told where, never what.
        return f"LOA version {loa.version} sent to {data['email']} for signature."


class RevokeSigningRequest(_OrderSigningAction):
    model = SigningRequest
    form_class = RevokeForm

    def get_queryset(self):
        return self.scoped(SigningRequest.objects.select_related("loa__port_order"))

    def order_of(self, target):
        return target.loa.port_order

    def act(self, signing_request, data):
        services.revoke_signing_request(
            signing_request, by=self.request.user, reason=data["reason"],
            meta=request_meta(self.request),
        )  # fmt: skip
        return f"The link sent to {signing_request.email} no longer works."


class SignedLoaView(OrgMixin, DetailView):
    """A signed LOA version: its seal checked on every view, its events, the download."""

    model = LetterOfAuthorization
    template_name = "esign/signed_loa.html"

    def get_queryset(self):
        return self.scoped(
            LetterOfAuthorization.objects.select_related(
                "port_order__carrier_account", "signature__request"
            ).filter(signature__isnull=False)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        signature = self.object.signature
        _data, check = services.check_signed_loa(signature)
        context.update(
            signature=signature,
            check=check,
            order=self.object.port_order,
            events=list(signature.request.events.all()),
        )
        return context


class SignedLoaDownload(SignedLoaView):
    """The sealed PDF, verified first. An invalid file is not served as if it were good:
    the page says why, and `?accept_invalid=1` fetches it for investigation."""

    def render_to_response(self, context, **response_kwargs):
        signature: LoaSignature = context["signature"]
        data, check = services.check_signed_loa(signature)
        if not check.valid and self.request.GET.get("accept_invalid") != "1":
            return render(self.request, "esign/signed_loa.html", context, status=409)
        if not data:
            raise Http404("The signed file is missing.")
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{signature.document_id}.pdf"'
        response["X-Seal-Status"] = "valid" if check.valid else "invalid"
        response["Cache-Control"] = "private, no-store"
        return response
