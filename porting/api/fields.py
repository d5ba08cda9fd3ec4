"""Fields the porting API shares: NANP numbers in any notation, aware date-times, IANA
time zones, and references to numbers by id or by number."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from tenancy.api_base import DEFAULT_REASON_MAX_LENGTH

from ..models import (
    FocChange,
    PhoneNumber,
)
from ..numbers import e164, parse_nanp

TRANSITION_REASON_MAX = DEFAULT_REASON_MAX_LENGTH
FOC_REASON_MAX = FocChange._meta.get_field("reason").max_length
PARTIAL_REASON_MAX = DEFAULT_REASON_MAX_LENGTH


class NANPNumberField(serializers.CharField):
    """Accepts any common US/NANP notation; stores and returns E.164 (+12145550100)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Any common US notation, e.g. (214) 555-0100 or 214.555.0100; returned in E.164.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return e164(parse_nanp(text))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value):
        return getattr(value, "as_e164", None) or str(value)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit UTC offset (a carrier's FOC without one is ambiguous)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "ISO 8601 with the UTC offset, e.g. 2031-03-02T22:00:00-06:00."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Give the UTC offset too, e.g. 2031-03-02T22:00:00-06:00."
                )
        return super().to_internal_value(value)


class TimeZoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "IANA time zone the carrier gave, e.g. America/Chicago.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text:
            try:
                ZoneInfo(text)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise serializers.ValidationError(
                    f"'{text}' is not an IANA time zone (e.g. America/Chicago)."
                ) from exc
        return text


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A number's id, or the number itself in any US notation.",
    }
)
class NumberRefField(serializers.Field):
    """A telephone number named by its id (an integer) or by the number (a string in any
    US notation). Resolved later against an organization-scoped queryset."""

    default_error_messages = {"invalid": "Give a number's id or the telephone number."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 0 < data < 2**63:
                self.fail("invalid")
            return ("id", data)
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        text = data.strip()
        try:
            return ("number", e164(parse_nanp(text)))
        except DjangoValidationError as exc:
            if text.isdigit() and len(text) <= 9:  # form data: ids arrive as strings
                return ("id", int(text))
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value):
        return value


def resolve_numbers(refs, queryset, *, where: str) -> list[PhoneNumber]:
    """The numbers `refs` name within `queryset` (already organization-scoped), in the
    order given and without duplicates; unknown ones are a 400 naming each."""
    ids = {value for kind, value in refs if kind == "id"}
    e164s = {value for kind, value in refs if kind == "number"}
    found = list(queryset.filter(Q(pk__in=ids) | Q(number__in=e164s)))
    by_id = {n.pk: n for n in found}
    by_number = {str(n.number): n for n in found}
    numbers, missing = [], []
    for kind, value in refs:
        number = by_id.get(value) if kind == "id" else by_number.get(value)
        if number is None:
            missing.append(f"No number {value} {where}.")
        elif number not in numbers:
            numbers.append(number)
    if missing:
        raise serializers.ValidationError(missing)
    return numbers
