"""Parsing telephone numbers: E.164, NANP validity, toll-free detection."""

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import PhoneNumber

from tenancy.phone import shown

from .nanp import TOLL_FREE_NPAS


def parse_nanp(raw) -> phonenumbers.PhoneNumber:
    """Parse a US/NANP number in any common format; raise ValidationError with the reason."""
    text = str(raw or "").strip()
    if not text:
        raise ValidationError("A telephone number is required.", code="required")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"'{text}' is not a telephone number.", code="invalid") from exc
    if number.country_code != 1:
        raise ValidationError(f"'{text}' is not a North American (+1) number.", code="not_nanp")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"'{text}' is not a valid NANP number (area code or exchange not in service).",
            code="invalid_nanp",
        )
    return number


class CheckedNumber(PhoneNumber):
    """A number `parse_nanp` has already parsed and checked, for a PhoneNumberField.

    phonenumber_field validates a number again each time it prepares it for the database
    (`is_valid()` in `get_prep_value`): for the row, for its history row, for a lookup.
    That is libphonenumber matching the number against its patterns each time, most of a
    bulk import's cost per number (docs/performance.md). A checked number says so once."""

    @classmethod
    def of(cls, number: phonenumbers.PhoneNumber) -> "CheckedNumber":
        checked = cls()
        checked.merge_from(number)
        return checked

    def is_valid(self) -> bool:
        return True  # parse_nanp checked it


def checked(raw) -> CheckedNumber:
    """`parse_nanp`, as a number a PhoneNumberField stores without checking it again."""
    return CheckedNumber.of(parse_nanp(raw))


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_toll_free(number: phonenumbers.PhoneNumber) -> bool:
    """In the NANP, toll-free is a matter of the area code: libphonenumber's own pattern
    for it is these area codes, and `number_type` (which matches the number against every
    pattern of its region, a third of an import's checks) would only say the same."""
    if number.country_code == 1:
        return str(number.national_number)[:3] in TOLL_FREE_NPAS
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE


def display(e164_text: str) -> str:
    """A stored number as pages show it, "(720) 555-0100" (tenancy.phone.shown)."""
    return shown(e164_text)
