"""A migration's sites, endpoints or numbers as CSV, in the columns the import takes
(inventory/formats.py), so a list exported, edited in a spreadsheet and imported into
another migration reads the same. Secrets are never exported: SIP passwords stay empty.
Numbers are in E.164, as carriers and other systems exchange them."""

import csv

from porting.models import PhoneNumber
from sites.models import Endpoint, Site

from .formats import FORMATS


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _site_row(site: Site) -> dict:
    return {
        "name": site.name, "address_line1": site.address_line1,
        "address_line2": site.address_line2, "city": site.city, "state": site.state,
        "postal_code": site.postal_code, "timezone": site.timezone,
        "seat_count": site.seat_count,
    }  # fmt: skip


def _endpoint_row(endpoint: Endpoint) -> dict:
    return {
        "site": endpoint.site.name, "kind": endpoint.kind, "mac_address": endpoint.mac_address,
        "make": endpoint.make, "model": endpoint.model, "firmware": endpoint.firmware,
        "extension": endpoint.extension, "display_name": endpoint.display_name,
        "user_email": endpoint.user_email, "remote_worker": _yes_no(endpoint.is_remote_worker),
        "sip_username": endpoint.sip_username, "sip_password": "",
    }  # fmt: skip


def _number_row(number: PhoneNumber) -> dict:
    return {
        "number": str(number.number), "purpose": number.purpose,
        "site": number.site.name if number.site_id else "",
        "endpoint_extension": number.endpoint.extension if number.endpoint_id else "",
    }  # fmt: skip


EXPORTS = {
    "sites": (_site_row, ()),
    "endpoints": (_endpoint_row, ("site",)),
    "numbers": (_number_row, ("site", "endpoint")),
}


class _Echo:
    """A file-like object whose write returns the line, for a streamed response."""

    def write(self, value):
        return value


def export_lines(kind: str, queryset):
    """The CSV, line by line (header first): rows read in chunks, one query per chunk."""
    to_row, related = EXPORTS[kind]
    columns = FORMATS[kind].column_names
    writer = csv.DictWriter(_Echo(), fieldnames=columns, lineterminator="\r\n")
    yield writer.writeheader()
    for obj in queryset.select_related(*related).iterator(chunk_size=2000):
        yield writer.writerow({k: _inert(v) for k, v in to_row(obj).items()})


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"). Numbers are E.164
# and start with "+", so only text that could not be a number is quoted.
_FORMULA_START = ("=", "@", "\t", "\r", "-", "+")


def _inert(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not text[1:].isdigit():
        return "'" + text
    return text
