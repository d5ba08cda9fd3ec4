"""Test helpers: sign an LOA version through the real portal services (no upload path
exists any more). `sign_loa` creates the link directly, so it also works for LOAs the
send step would refuse (e.g. to test the order's own guards)."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from esign import services
from esign.models import SigningRequest
from tenancy.portal import TOKEN_PATTERN, new_token

META = {"ip": "203.0.113.7", "user_agent": "pytest-signer/1.0"}
LINK_RE = re.compile(rf"/sign/({TOKEN_PATTERN})/")


def link_request(loa, *, by=None, email="pat@example.com", days=14):
    """A live signing request and its token, without sending email."""
    token, token_hash = new_token()
    request = SigningRequest.objects.create(
        loa=loa, email=email, sent_by=by, token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=days),
    )  # fmt: skip
    return request, token


def token_from_outbox(index=-1) -> str:
    match = LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(1)


def sign_loa(loa, *, by=None, name=None, title="Owner", drawn_signature=""):
    """Open and sign `loa` as its authorized person; returns the LoaSignature."""
    request, _token = link_request(loa, by=by)
    request, shown = services.open_request(request, meta=META)
    signature = services.sign(
        request, typed_name=name or loa.authorized_person, typed_title=title, consent=True,
        meta=META, document_sha256=shown.sha256, drawn_signature=drawn_signature,
    )  # fmt: skip
    loa.refresh_from_db()
    loa.port_order.forget_cached()
    return signature


def portal_form(document_sha256, *, name="", title="Owner", consent=True, wrong=None, **extra):
    """POST data for the portal page: every field confirmed unless named in `wrong`
    ({field: what it should say})."""
    from esign.documents import CONFIRM_FIELDS

    wrong = wrong or {}
    data = {"document_sha256": document_sha256, "typed_name": name, "typed_title": title}
    if consent:
        data["consent"] = "on"
    for key, _label in CONFIRM_FIELDS:
        data[f"confirm_{key}"] = "wrong" if key in wrong else "correct"
        data[f"fix_{key}"] = wrong.get(key, "")
    data.update(extra)
    return data


def shown_sha256(response) -> str:
    match = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', response.content.decode())
    assert match, "the portal page carries the hash of the document it shows"
    return match.group(1)
