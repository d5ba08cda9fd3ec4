"""How a telephone number reads on a page or in a PDF: one format everywhere.

Stored, compared, exported (CSV) and sent by the API, a number is E.164 ("+17205550100").
Shown to people it is the national format for North American numbers ("(720) 555-0100")
and the international format for any other ("+44 20 7946 0018"). Templates use the `phone`
filter (tenancy/templatetags/ui.py); Python that writes text for a page uses `shown`.
"""

import re

import phonenumbers

# An E.164 number inside text: "+" and 8 to 15 digits, not part of a longer run of digits.
_E164_IN_TEXT = re.compile(r"(?<![\w+])\+\d{8,15}(?!\d)")


def _formatted(number: phonenumbers.PhoneNumber) -> str | None:
    if not phonenumbers.is_possible_number(number):
        return None
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def _from_e164(match: re.Match) -> str:
    try:
        number = phonenumbers.parse(match.group(0))
    except phonenumbers.NumberParseException:
        return match.group(0)
    if not phonenumbers.is_valid_number(number):
        return match.group(0)
    return _formatted(number) or match.group(0)


def shown(value) -> str:
    """`value` as people read it: a number (a stored PhoneNumber, or E.164 text, also
    inside a sentence or a list) formatted; anything else — an extension, a number as
    someone typed it, an empty value — as it is."""
    if value is None:
        return ""
    if isinstance(value, phonenumbers.PhoneNumber):
        return _formatted(value) or str(value)
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value)
    return _E164_IN_TEXT.sub(_from_e164, str(value))
