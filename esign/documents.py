"""The LOA as shown to the signer (HTML, hashed) and as signed (PDF with its audit
certificate, one WeasyPrint document, then sealed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.template.loader import render_to_string

from documents.render import render_pdf
from porting.selectors import loa_document

LOA_TEMPLATE = "porting/loa_document.html"

# The fields the signer confirms one by one: (key, label). The values come from the
# same dict the document is rendered from, so what is confirmed is what is shown.
CONFIRM_FIELDS = (
    ("business_name", "Business name"),
    ("service_address", "Service address"),
    ("account_number", "Account number"),
    ("btn", "Billing telephone number (BTN)"),
    ("numbers", "Telephone numbers to port"),
    ("losing_carrier", "Losing carrier (today's provider)"),
    ("winning_carrier", "Winning carrier (new provider)"),
    ("authorized_person", "Authorized person"),
)


@dataclass(frozen=True)
class ShownDocument:
    html: str
    sha256: str
    doc: dict


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shown_document(loa) -> ShownDocument:
    """The unsigned LOA exactly as the portal shows it, and the SHA-256 of those bytes.
    Deterministic for one version (its date is the version's), so a signature can be
    bound to the document the signer saw."""
    doc = loa_document(loa)
    html = render_to_string(LOA_TEMPLATE, {"doc": doc})
    return ShownDocument(html=html, sha256=sha256_hex(html.encode("utf-8")), doc=doc)


def field_values(doc: dict) -> list[dict]:
    """The key fields as the signer sees them, for the confirmation list."""
    address = ", ".join(
        part
        for part in (
            doc["service_line1"],
            doc["service_line2"],
            f"{doc['service_city']}, {doc['service_state']} {doc['service_postal_code']}",
        )
        if part
    )
    values = {
        **doc,
        "service_address": address,
        "numbers": ", ".join(doc["numbers"]),
        "authorized_person": ", ".join(
            p for p in (doc["authorized_person"], doc["authorized_title"]) if p
        ),
    }
    return [{"field": key, "label": label, "shown": values[key]} for key, label in CONFIRM_FIELDS]


def signed_pdf(loa, *, signature: dict, audit: dict) -> bytes:
    """The LOA with its signature block filled, plus the audit certificate page, as one
    document (not yet sealed)."""
    doc = loa_document(loa)
    doc.update(signature)
    html = render_to_string(LOA_TEMPLATE, {"doc": doc, "audit": audit})
    return render_pdf(html)
