"""USPS (Publication 28) normalization of civic addresses via usaddress-scourgify.

The address as entered is always kept; the normalized form sits beside it, so that
"Ste 200" and "Suite 200" compare equal later (LOA checks, E911 validation)."""

from dataclasses import dataclass

from scourgify import normalize_address_record
from scourgify.exceptions import AddressNormalizationError


@dataclass(frozen=True)
class NormalizedAddress:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def normalize_address(line1, line2, city, state, postal_code) -> NormalizedAddress:
    if not (line1 or "").strip():
        return NormalizedAddress(error="No street address.")
    record = {
        "address_line_1": line1,
        "address_line_2": line2 or None,
        "city": city,
        "state": state,
        "postal_code": postal_code,
    }
    try:
        result = normalize_address_record(record)
    except AddressNormalizationError as exc:
        return NormalizedAddress(error=str(exc) or exc.__class__.__name__)
    except Exception as exc:  # the parser raises assorted errors on garbage input
        return NormalizedAddress(error=f"Could not parse the address ({exc.__class__.__name__}).")
    return NormalizedAddress(
        line1=result.get("address_line_1") or "",
        line2=result.get("address_line_2") or "",
        city=result.get("city") or "",
        state=result.get("state") or "",
        postal_code=result.get("postal_code") or "",
    )
