"""Portal signing of LOAs: send, revoke, open, request a correction, sign, verify.

One set of functions serves the PM's pages, the API and the signer's portal. Every
write locks the signing request and re-checks that its link is still alive, so two
tabs (or a replayed POST) cannot sign twice.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from porting.models import LetterOfAuthorization
from porting.selectors import customer_task_due
from tenancy import clock, reminders
from tenancy.history import save_with_history
from tenancy.notify import email_after_commit
from tenancy.portal import (
    LinkDead,
    LinkState,
    enter_link_organization,
    hash_token,
    new_token,
    portal_base_url,
    well_formed,
)
from tenancy.reminders import Point
from tenancy.roles import OWNER_PM, require_role
from webhooks.events import EventType
from webhooks.services import emit

from .documents import field_values, sha256_hex, shown_document, signed_pdf
from .models import CorrectionRequest, LoaSignature, SigningEvent, SigningRequest
from .seal import SealCheck, seal_pdf, signing_key_for, verify_pdf

logger = logging.getLogger(__name__)

DISCLOSURE_VERSION = "2026-11"
MAX_DRAWN_SIGNATURE_BYTES = 100_000
Kind = SigningEvent.Kind


class DocumentChanged(Exception):
    """The LOA changed between the signer opening it and submitting."""


def link_ttl() -> timedelta:
    return timedelta(days=settings.ESIGN_LINK_TTL_DAYS)


def _event(request: SigningRequest, kind, *, meta=None, document_sha256="", **detail):
    meta = meta or {}
    return SigningEvent.objects.create(
        request=request,
        kind=kind,
        ip=meta.get("ip"),
        user_agent=meta.get("user_agent", ""),
        document_sha256=document_sha256,
        detail=detail,
    )


# --- the PM's side --------------------------------------------------------------------


def send_refusal(loa: LetterOfAuthorization) -> str | None:
    """Why this LOA version cannot be sent for signature, or None."""
    order = loa.port_order
    if loa.status != LetterOfAuthorization.Status.DRAFT:
        return f"LOA version {loa.version} is {loa.get_status_display().lower()}."
    if order.current_loa() is None or order.current_loa().pk != loa.pk:
        return "Only the newest LOA version can be sent for signature."
    if not order.is_open:
        return f"The order is {order.get_state_display().lower()}."
    stale = loa.stale_fields()
    if stale:
        return (
            f"LOA version {loa.version} no longer matches {', '.join(stale)}: "
            "prepare a new version first."
        )
    blockers = [f for f in order.loa_findings() if f.severity == "blocker"]
    if blockers:
        return (
            f"The LOA check found {len(blockers)} blocker(s) the carrier would reject "
            f"({', '.join(sorted({f.code for f in blockers}))}): fix them before asking the "
            "customer to sign."
        )
    return None


@transaction.atomic
def send_signing_request(
    loa: LetterOfAuthorization, *, email: str, by, base_url: str, meta=None
) -> SigningRequest:
    """Email the authorized person a link to sign `loa`. Earlier live links for the
    order die (a re-send replaces the old link). The token exists only in the email."""
    order = loa.port_order
    require_role(order.organization_id, by, OWNER_PM, "Sending an LOA for signature")
    LetterOfAuthorization.objects.select_for_update().filter(pk=loa.pk).first()
    refusal = send_refusal(loa)
    if refusal:
        raise ValidationError(refusal)
    request, token, shown = issue_signing_link(loa, email=email, by=by, meta=meta)
    # Sent inside the transaction: if the mail server refuses, nothing is recorded and
    # the PM sees the error; the link is never stored anywhere to resend it from.
    link = base_url.rstrip("/") + reverse("esign:portal", args=[token])
    _send_link_email(request, link, shown.doc, by)
    return request


def issue_signing_link(loa, *, email, by, meta=None):
    """The link itself, without the checks and the email of `send_signing_request`
    (which every user-facing path goes through): earlier live links of the order die, a
    new request is stored by its hash, and the "sent" event is recorded. Returns
    (request, token, shown document); the caller hands the token to the signer."""
    now = clock.now()
    for old in SigningRequest.objects.filter(
        loa__port_order=loa.port_order, revoked_at=None, used_at=None
    ).select_related("loa"):
        _revoke(old, by=by, reason="replaced by a new link", meta=meta, now=now)
    token, token_hash = new_token()
    request = SigningRequest(
        loa=loa, email=email, sent_by=by, token_hash=token_hash, created_at=now,
        expires_at=now + link_ttl(),
    )  # fmt: skip
    request.full_clean(exclude=["token_hash"])
    save_with_history(request, by=by, reason=f"LOA v{loa.version} sent to {email} for signature")
    shown = shown_document(loa)
    _event(request, Kind.SENT, meta=meta, document_sha256=shown.sha256, email=email)
    return request, token, shown


def _send_link_email(request: SigningRequest, link: str, doc: dict, by, *, reminder=False):
    """The signing link, in the organization's name, with a plain-text part and the
    unsubscribe for reminders every customer email carries (tenancy.reminders)."""
    organization = request.loa.port_order.organization
    subject = f"Please review and sign: Letter of Authorization for {doc['business_name']}"
    reminders.branded_email(
        organization,
        to=request.email,
        subject=f"Reminder: {subject}" if reminder else subject,
        template="esign/email_request",
        context={"request": request, "doc": doc, "link": link, "sender": by,
                 "expires_at": request.expires_at, "reminder": reminder},
        reply_to=getattr(by, "email", "") or "",
    ).send()  # fmt: skip


def _revoke(request: SigningRequest, *, by, reason, meta=None, now=None):
    request.revoked_at = now or clock.now()
    request.revoked_reason = reason[:300]
    save_with_history(request, by=by, reason=f"link revoked: {reason}")
    _event(request, Kind.REVOKED, meta=meta, reason=reason[:300])


def signing_due(request: SigningRequest, migration=None):
    """The day a letter should be signed by: with the customer's other porting tasks
    (porting.selectors.customer_task_due), and never later than the link's last day."""
    migration = migration or request.loa.port_order.migration
    last_day = request.expires_at.date() - timedelta(days=1)
    due = customer_task_due(migration)
    return min(due, last_day) if due else last_day


def remind_unsigned(now=None) -> list[int]:
    """Signing links still unused get reminders through the organization's reminder
    machinery (tenancy.reminders): before the letter is due and after it is overdue (the
    signing email itself was the "available" notice), each once, at most one reminder
    email a day to the address, never after it unsubscribed. Only the token's hash is
    stored, so a reminder carries a fresh link that replaces the old one, keeping its
    expiry: signing, a correction, revoking, expiry or a newer LOA version (each ends the
    link) stop the reminders. The swap and the email happen in one transaction per link,
    so running this twice, or on two schedulers, sends nothing twice. Returns the new
    requests' ids."""
    now = now or clock.now()
    due = SigningRequest.objects.filter(
        revoked_at=None, used_at=None, expires_at__gt=now
    ).values_list("pk", flat=True)
    sent = []
    for pk in list(due):
        try:
            reminder = _remind(pk, now=now)
        except OSError:  # the mail server refused: nothing recorded, retried next run
            logger.exception("signing reminder for request #%s not sent", pk)
            continue
        if reminder is not None:
            sent.append(reminder.pk)
    return sent


@transaction.atomic
def _remind(pk, *, now) -> SigningRequest | None:
    old = (
        SigningRequest.objects.select_for_update(of=("self",))
        .select_related("loa__port_order__migration__organization", "sent_by")
        .filter(pk=pk, revoked_at=None, used_at=None, created_at__lte=now)
        .first()
    )
    if old is None or old.link_state(now) != LinkState.ACTIVE:
        return None  # signed, revoked, expired or superseded meanwhile
    if old.created_at.date() == now.date():
        return None  # the link itself went out today
    migration = old.loa.port_order.migration
    round_ = reminders.open_round(migration.organization, old.email, now=now)
    # One ledger key per letter version: a new version starts its reminders afresh.
    key = f"loa-version:{old.loa_id}"
    if round_ is None or not round_.add(key, signing_due(old, migration), skip=(Point.AVAILABLE,)):
        return None
    count = old.reminders_sent + 1
    _revoke(old, by=None, reason=f"replaced by reminder {count}", now=now)
    token, token_hash = new_token()
    request = SigningRequest(
        loa=old.loa, email=old.email, sent_by=old.sent_by, token_hash=token_hash,
        created_at=now, expires_at=old.expires_at, reminders_sent=count,
    )  # fmt: skip
    save_with_history(request, reason=f"reminder {count}: a fresh signing link to {old.email}")
    shown = shown_document(old.loa)
    _event(request, Kind.REMINDED, document_sha256=shown.sha256, email=old.email, number=count)
    link = portal_base_url().rstrip("/") + reverse("esign:portal", args=[token])
    _send_link_email(request, link, shown.doc, old.sent_by, reminder=True)
    round_.record()
    return request


@transaction.atomic
def revoke_signing_request(request: SigningRequest, *, by, reason="", meta=None):
    require_role(request.organization_id, by, OWNER_PM, "Revoking a signing link")
    request = SigningRequest.objects.select_for_update().get(pk=request.pk)
    if request.revoked_at or request.used_at:
        raise ValidationError(f"This link is already {request.get_link_state_display().lower()}.")
    _revoke(request, by=by, reason=reason or "revoked by the project manager", meta=meta)
    return request


# --- the signer's side ----------------------------------------------------------------


def find_request(token: str) -> SigningRequest | None:
    """The request a token names, or None for a malformed or unknown token."""
    if not well_formed(token):
        return None
    enter_link_organization(SigningRequest, token)
    return (
        SigningRequest.objects.select_related(
            "loa__port_order__carrier_account", "loa__port_order__organization"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def signed_copy_for(request: SigningRequest | None):
    """The sealed signature the signer may download with their link: only a link that was
    used to sign, not revoked, and not past its expiry."""
    if request is None or request.outcome != Kind.SIGNED or request.revoked_at is not None:
        return None
    if request.expires_at <= clock.now():
        return None
    return LoaSignature.objects.filter(request=request).select_related("loa").first()


def _live(request: SigningRequest) -> SigningRequest:
    """Lock the request, reload it, and refuse when its link is dead. Only the request's
    row and then its letter's are locked (of=self): locking the joined port order too
    would hold every transition of the order for the whole signing, and take the locks
    in another order than a transition does (port order, then its LOAs)."""
    locked = (
        SigningRequest.objects.select_for_update(of=("self",))
        .select_related("loa__port_order__carrier_account", "loa__port_order__organization")
        .get(pk=request.pk)
    )
    LetterOfAuthorization.objects.select_for_update().filter(pk=locked.loa_id).first()
    state = locked.link_state()
    if state != LinkState.ACTIVE:
        raise LinkDead(state)
    return locked


@transaction.atomic
def open_request(request: SigningRequest, *, meta) -> tuple[SigningRequest, object]:
    """The signer opened the link: record it and return the document shown."""
    request = _live(request)
    shown = shown_document(request.loa)
    _event(request, Kind.OPENED, meta=meta, document_sha256=shown.sha256)
    return request, shown


def _same_document(request, document_sha256):
    shown = shown_document(request.loa)
    if document_sha256 != shown.sha256:
        raise DocumentChanged(
            "The letter changed since you opened it. Please read it again before you "
            "confirm and sign."
        )
    return shown


@transaction.atomic
def request_correction(request, *, wrong: dict[str, str], name: str, meta, document_sha256):
    """The signer marked fields wrong: no signature; the PM gets the corrections."""
    request = _live(request)
    shown = _same_document(request, document_sha256)
    if not wrong:
        raise ValidationError("Mark at least one field as wrong to send a correction.")
    fields = [
        {**item, "comment": wrong[item["field"]][:500]}
        for item in field_values(shown.doc)
        if item["field"] in wrong
    ]
    correction = CorrectionRequest(
        request=request, loa=request.loa, fields=fields, requested_by_name=name[:200]
    )
    save_with_history(correction, reason="correction requested through the signing portal")
    now = clock.now()
    request.used_at = now
    request.outcome = Kind.CORRECTION_REQUESTED
    save_with_history(request, reason="the signer asked for corrections instead of signing")
    _event(
        request, Kind.CORRECTION_REQUESTED, meta=meta, document_sha256=shown.sha256,
        fields=[f["field"] for f in fields], name=name[:200],
    )  # fmt: skip
    emit(request.organization_id, EventType.LOA_CORRECTION_REQUESTED, lambda: {
        "loa": {"port_order": request.loa.port_order_id, "version": request.loa.version},
        "fields": [{"field": f["field"], "label": f["label"], "should_read": f["comment"]}
                   for f in fields],
        "requested_by": name[:200],
    })  # fmt: skip
    sender = request.sent_by
    if sender is not None and sender.email:
        labels = ", ".join(f["label"] for f in fields)
        order = request.loa.port_order
        email_after_commit(
            f"Correction requested on the LOA for {shown.doc['business_name']}",
            f"{name or 'The signer'} did not sign LOA version {request.loa.version} of "
            f"port order #{order.pk} and marked these fields wrong: {labels}.\n\n"
            "Open the order, prepare a corrected version and send it again.",
            [sender.email],
        )
    return correction


def _normalized_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def clean_drawn_signature(value: str) -> str:
    """A PNG data URI of bounded size, or ''. Anything else is refused."""
    if not value:
        return ""
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix):
        raise ValidationError("The drawn signature must be a PNG image.")
    try:
        raw = base64.b64decode(value[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("The drawn signature could not be read.") from exc
    if len(raw) > MAX_DRAWN_SIGNATURE_BYTES:
        raise ValidationError("The drawn signature is too large.")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width > 2000 or image.height > 1000:
                raise ValidationError("The drawn signature must be a PNG of at most 2000×1000.")
            image.verify()
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError("The drawn signature could not be read.") from exc
    return prefix + base64.b64encode(raw).decode("ascii")


@transaction.atomic
def sign(
    request, *, typed_name: str, typed_title: str, consent: bool, meta, document_sha256,
    drawn_signature: str = "", email_copy: bool = True,
) -> LoaSignature:  # fmt: skip
    """The authorized person signs: consent and signature events, the signed PDF with
    its audit certificate, sealed by the organization; the LOA version becomes signed."""
    request = _live(request)
    shown = _same_document(request, document_sha256)
    loa = request.loa
    errors = {}
    if not consent:
        errors["consent"] = "Agree to sign electronically, or ask for a paper copy instead."
    if _normalized_name(typed_name) != _normalized_name(loa.authorized_person):
        errors["typed_name"] = (
            f"This letter names “{loa.authorized_person}” as the authorized person, and only "
            "they may sign it. If that is wrong, mark “Authorized person” as wrong to send "
            "a correction."
        )
    if not typed_title.strip():
        errors["typed_title"] = "Enter your title."
    try:
        drawn_signature = clean_drawn_signature(drawn_signature)
    except ValidationError as exc:
        errors["drawn_signature"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)

    now = clock.now()
    _event(request, Kind.CONSENT, meta=meta, document_sha256=shown.sha256,
           disclosure_version=DISCLOSURE_VERSION)  # fmt: skip
    _event(request, Kind.SIGNED, meta=meta, document_sha256=shown.sha256,
           name=typed_name.strip(), title=typed_title.strip())  # fmt: skip
    loa.status = LetterOfAuthorization.Status.SIGNED
    loa.signed_at = now
    loa.signed_by_name = typed_name.strip()
    save_with_history(
        loa, reason=f"signed through the portal by {loa.signed_by_name} ({request.email})"
    )
    request.used_at = now
    request.outcome = Kind.SIGNED
    save_with_history(request, reason="signed")

    organization = loa.organization
    key = signing_key_for(organization)
    events = list(request.events.order_by("at", "pk"))
    document_id = shown.doc["document_id"]
    pdf = signed_pdf(
        loa,
        signature={"signed_title": typed_title.strip(), "drawn_signature": drawn_signature},
        audit={
            "document_id": document_id,
            "document_sha256": shown.sha256,
            "email": request.email,
            "events": events,
            "seal_subject": key.subject,
            "seal_fingerprint": key.fingerprint,
            "disclosure_version": DISCLOSURE_VERSION,
            "generated_at": now,
        },
    )
    sealed = seal_pdf(pdf, organization, reason=f"Signed Letter of Authorization {document_id}")
    signature = LoaSignature(
        loa=loa, request=request, typed_name=typed_name.strip(), typed_title=typed_title.strip(),
        drawn_signature=drawn_signature, signed_at=now, ip=meta.get("ip"),
        user_agent=meta.get("user_agent", ""), document_id=document_id,
        document_sha256=shown.sha256, sealed_sha256=sha256_hex(sealed),
        seal_fingerprint=key.fingerprint,
    )  # fmt: skip
    signature.sealed_pdf.save(f"{document_id}.pdf", ContentFile(sealed), save=False)
    save_with_history(signature, reason="signed through the portal")
    loa.port_order.forget_cached()
    if email_copy:
        transaction.on_commit(lambda: _send_signed_copy(request.email, document_id, sealed))
    emit(loa.organization_id, EventType.LOA_SIGNED, lambda: {
        "loa": {"port_order": loa.port_order_id, "version": loa.version,
                "document_id": document_id, "signed_by": signature.typed_name,
                "signed_title": signature.typed_title, "signed_at": now.isoformat(),
                "sealed_sha256": signature.sealed_sha256},
    })  # fmt: skip
    sender = request.sent_by
    if sender is not None and sender.email:
        order = loa.port_order
        email_after_commit(
            f"Signed: the LOA for {shown.doc['business_name']}",
            f"{signature.typed_name} ({signature.typed_title}) signed LOA version "
            f"{loa.version} of port order #{order.pk} at {now:%Y-%m-%d %H:%M} UTC "
            f"(document {document_id}).\n\nThe sealed copy is on the order's page. "
            "Next: submit the order to the carrier.",
            [sender.email],
        )
    return signature


def _send_signed_copy(email, document_id, sealed):
    """The signer keeps a copy of what they signed (their right under the disclosure)."""
    try:
        message = EmailMessage(
            subject=f"Your signed Letter of Authorization {document_id}",
            body="Attached is the Letter of Authorization you signed, with its audit "
            "certificate. Keep it for your records.",
            to=[email],
        )
        message.attach(f"{document_id}.pdf", sealed, "application/pdf")
        message.send()
    except Exception:  # the signature stands; a lost copy can be sent again
        logger.exception("Could not email the signed LOA copy")


# --- verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class SignedLoaCheck:
    valid: bool
    summary: str
    sha256: str
    recorded_sha256: str
    seal: SealCheck | None

    def __bool__(self):
        return self.valid

    @property
    def verdict(self) -> str:
        """The summary with its verdict first, for text without a badge (API, CLI)."""
        return f"{'Valid' if self.valid else 'Invalid'}: {self.summary}"


def check_signed_loa(signature: LoaSignature) -> tuple[bytes, SignedLoaCheck]:
    """Read the stored PDF and check it: the same bytes as recorded at signing, and a
    seal that verifies against the organization's own certificates."""
    try:
        with signature.sealed_pdf.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return b"", SignedLoaCheck(
            False, "The signed file is missing from storage.", "", signature.sealed_sha256, None
        )
    digest = sha256_hex(data)
    seal = verify_pdf(data, signature.organization)
    # The page shows valid/invalid as a badge; the summary says why, without repeating it.
    why = seal.summary.removeprefix("Valid: ").removeprefix("Invalid: ")
    if seal.valid and digest != signature.sealed_sha256:
        why = "the file differs from the one recorded at signing."
    summary = why[:1].upper() + why[1:]
    valid = seal.valid and digest == signature.sealed_sha256
    return data, SignedLoaCheck(valid, summary, digest, signature.sealed_sha256, seal)


def resolve_corrections(order, loa, *, by=None):
    """A new LOA version answers the open requests for corrections on the order's earlier
    versions (porting.hooks.LOA_PREPARED)."""
    for correction in CorrectionRequest.objects.filter(
        loa__port_order=order, resolved_by_version=None
    ):
        correction.resolved_by_version = loa.version
        save_with_history(correction, by=by, reason=f"answered by LOA version {loa.version}")
