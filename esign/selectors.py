"""Reads of the signing app that other pages show (porting.hooks: LOA_SIGNATURE and
ORDER_PAGE)."""

from django.db.models import Count, Max, Q
from django.urls import reverse

from tenancy.portal import LinkState

from .models import CorrectionRequest, LoaSignature, SigningRequest
from .services import send_refusal


def has_sealed_signature(loa) -> bool:
    """Signed through the portal: a sealed PDF with its audit certificate exists."""
    try:
        return bool(loa.signature.sealed_sha256)
    except LoaSignature.DoesNotExist:
        return False


def sealed_signature(loa):
    """The LOA version's portal signature, when it was sealed; else None."""
    return loa.signature if has_sealed_signature(loa) else None


def sealed_pdf_bytes(loa) -> bytes | None:
    """The sealed signed PDF of the LOA version (porting.hooks.LOA_SEALED_PDF), or None."""
    signature = sealed_signature(loa)
    if signature is None or not signature.sealed_pdf:
        return None
    with signature.sealed_pdf.open("rb") as handle:
        return handle.read()


def order_signing(order, *, user, loas) -> dict:
    """The order page's signing part: the links sent (each with its state and how often
    it was opened), whether one is live, why sending is refused, open corrections."""
    by_pk = {loa.pk: loa for loa in loas}
    current = loas[0] if loas else None
    signing_requests = list(
        SigningRequest.objects.filter(loa__port_order=order).annotate(
            open_count=Count("events", filter=Q(events__kind="opened")),
            last_opened=Max("events__at", filter=Q(events__kind="opened")),
        )
    )
    # Only the newest draft, still matching the order, can be signed: computed once here.
    signable = (
        current is not None and current.status == current.Status.DRAFT
        and not current.stale_fields()
    )  # fmt: skip
    for signing_request in signing_requests:  # their LOA is one already loaded
        signing_request.loa = by_pk[signing_request.loa_id]
        signing_request.loa.port_order = order
        signing_request.state = signing_request.link_state(
            superseded=not (signable and signing_request.loa_id == current.pk)
        )
        signing_request.is_live = signing_request.state == LinkState.ACTIVE
    slug = order.organization.slug
    for loa in loas:
        if has_sealed_signature(loa):
            loa.extra_links = [
                ("signed PDF and seal check", reverse("loa-signed", args=[slug, loa.pk]))
            ]
    return {
        "order_sections": ["esign/_order_signature.html"],
        "send_refusal": send_refusal(current) if current else None,
        "signing_requests": signing_requests,
        "live_request": any(r.state == "active" for r in signing_requests),
        "corrections": list(
            CorrectionRequest.objects.filter(
                loa__port_order=order, resolved_by_version=None
            ).select_related("loa")
        ),
    }


def with_signatures(loas):
    """LOA versions with their signature loaded (porting.hooks.LOA_ROWS)."""
    return loas.select_related("signature")
