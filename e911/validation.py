"""Address validation for dispatchable locations, pluggable.

`E911_VALIDATOR` (a dotted path) names the validator; the default normalizes offline
with usaddress-scourgify and flags what a dispatcher could not use. A provider adapter
(a carrier's E911 API) implements the same one method; its answer, including any
corrected address, is final: the location stores and shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from sites.addresses import normalize_address

from .rules import DISPATCH_LINE_MAX, AddressProblem, dispatch_problems, dispatch_second_line


@dataclass(frozen=True)
class AddressInput:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    floor: str = ""
    suite: str = ""
    room: str = ""


@dataclass(frozen=True)
class ValidationResult:
    status: str  # ValidationStatus value: normalized | validated | failed
    message: str = ""
    line1: str = ""
    line2: str = ""  # floor / suite / room as dispatch shows it (≤ 60 characters)
    city: str = ""
    state: str = ""
    postal_code: str = ""
    reference: str = ""
    problems: list[str] = field(default_factory=list)


class OfflineValidator:
    """USPS Pub. 28 normalization without a network: 'normalized' when a dispatcher can
    use the address, 'failed' with the reasons when not."""

    name = "offline (usaddress-scourgify)"

    def validate(self, address: AddressInput) -> ValidationResult:
        normalized = normalize_address(
            address.line1, address.line2, address.city, address.state, address.postal_code
        )
        problems = dispatch_problems(
            address.line1, address.city, address.state, address.postal_code, normalized.error
        )
        units = dispatch_second_line(address.floor, address.suite, address.room)
        if not units and normalized.line2:
            units = normalized.line2
        elif units and normalized.line2 and normalized.line2 not in units:
            units = f"{normalized.line2} {units}"
        if len(units) > DISPATCH_LINE_MAX:
            problems.append(_too_long(units))
        messages = [p.message for p in problems]
        return ValidationResult(
            status="failed" if problems else "normalized",
            message=" ".join(messages) or "Normalized to USPS format; not checked by a provider.",
            line1=normalized.line1,
            line2=units[:DISPATCH_LINE_MAX],
            city=normalized.city,
            state=normalized.state,
            postal_code=normalized.postal_code,
            problems=[p.code for p in problems],
        )


def _too_long(units):
    return AddressProblem(
        "line2_too_long",
        f"Floor, suite and room make {len(units)} characters; dispatch screens show "
        f"{DISPATCH_LINE_MAX}. Shorten them.",
    )


def get_validator():
    path = getattr(settings, "E911_VALIDATOR", "") or "e911.validation.OfflineValidator"
    return import_string(path)()
