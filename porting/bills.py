"""Bills from the losing carrier: checked and stored beside the carrier account's CSR."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from tenancy.history import save_with_history
from tenancy.images import ImageLimits, check_image

from .models import CarrierBill

MAX_BILL_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a phone photo of a bill, not a decompression bomb
BILL_IMAGE_LIMITS = ImageLimits(
    what="The image", formats=("PNG", "JPEG"), max_bytes=MAX_BILL_BYTES,
    max_pixels=MAX_IMAGE_PIXELS, max_decoded_bytes=4 * MAX_IMAGE_PIXELS,
)  # fmt: skip
KINDS = {b"%PDF-": ("application/pdf", "pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
         b"\xff\xd8\xff": ("image/jpeg", "jpg")}  # fmt: skip


def too_large() -> str:
    return f"The bill is too large: at most {MAX_BILL_BYTES // 2**20} MB."


def bill_kind(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the file's own bytes, never its name or header, or
    ValidationError."""
    if len(data) > MAX_BILL_BYTES:
        raise ValidationError(too_large())
    if not data:
        raise ValidationError("The file is empty.")
    kind = next((k for magic, k in KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError("Upload the bill as a PDF, or a photo or scan as PNG or JPEG.")
    if kind[0] != "application/pdf":
        # Bounded by pixels and decoded size, not only bytes (tenancy/images.py).
        check_image(data, BILL_IMAGE_LIMITS)
    return kind


@transaction.atomic
def attach_bill(account, *, data: bytes, name: str, uploaded_by_name: str = "",
                source: str = "portal") -> CarrierBill:  # fmt: skip
    content_type, extension = bill_kind(data)
    bill = CarrierBill(
        carrier_account=account, original_name=(name or f"bill.{extension}")[:200],
        content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_name=uploaded_by_name[:200], source=source,
    )  # fmt: skip
    bill.organization_id = account.organization_id
    bill.file.save(f"bill.{extension}", ContentFile(data), save=False)
    return save_with_history(
        bill, reason=f"bill uploaded ({source}) for {account}: {bill.original_name}"
    )
