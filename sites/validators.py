import re
import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError

_MAC_SEPARATORS = re.compile(r"[\s:\-.]")
_HEX12 = re.compile(r"^[0-9A-F]{12}$")


def normalize_mac(value: str) -> str:
    """'00-1a-2b-3c-4d-5e', '001A.2B3C.4D5E', '001a2b3c4d5e' -> '00:1A:2B:3C:4D:5E'."""
    if value is None:
        return ""
    raw = _MAC_SEPARATORS.sub("", str(value)).upper()
    if not raw:
        return ""
    if not _HEX12.match(raw):
        raise ValidationError(
            f"'{value}' is not a MAC address (12 hex digits, e.g. 00:1A:2B:3C:4D:5E).",
            code="invalid_mac",
        )
    if raw == "000000000000" or raw == "FFFFFFFFFFFF":
        raise ValidationError(f"'{value}' is not a device MAC address.", code="invalid_mac")
    if int(raw[0:2], 16) & 1:
        raise ValidationError(
            f"'{value}' is a multicast address, not a device MAC.", code="invalid_mac"
        )
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


@lru_cache(maxsize=1)
def valid_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


US_TIMEZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Detroit",
    "America/Indiana/Indianapolis", "America/Boise", "America/Puerto_Rico",
)  # fmt: skip


def validate_timezone(value: str):
    if value not in valid_timezones():
        raise ValidationError(
            f"'{value}' is not an IANA time zone (e.g. America/Chicago).", code="invalid_tz"
        )


_EXTENSION = re.compile(r"^[0-9]{2,8}$")


def validate_extension(value: str):
    if value and not _EXTENSION.match(value):
        raise ValidationError(
            f"'{value}' is not an extension (2 to 8 digits).", code="invalid_extension"
        )
