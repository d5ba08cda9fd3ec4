"""Kari's Law per site (direct 911 dialing, the dial plan, on-site notification) and the
933 test after the port, as the kernel's `tenancy.checks.Item`s; and how a 933
read-back is compared with the site's location (docs/e911-karis-compliance.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.utils import timezone
from scourgify import normalize_address_record
from scourgify.address_constants import (
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STATE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

from e911.models import DispatchableLocation, SiteE911, Test933
from e911.rules import UNIT_DESIGNATORS, dial_plan_problems
from porting.models import PhoneNumber
from sites.addresses import normalize_address
from tenancy.checks import Item
from tenancy.phone import shown


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _site_record(site) -> SiteE911 | None:
    try:
        return site.e911
    except SiteE911.DoesNotExist:
        return None


def latest_933_test(site) -> Test933 | None:
    return Test933.objects.filter(site=site).order_by("-called_at", "-pk").first()


def karis_law_items(site, *, record=None, latest_test=None, _loaded=False) -> list[Item]:
    """Kari's Law for one site: direct dialing verified, the dial plan cannot swallow
    911, on-site notification configured (blocking); and the 933 test after the port
    (not blocking before the port: it can only happen after it)."""
    if not _loaded:
        record = _site_record(site)
        latest_test = latest_933_test(site)
    items = []
    if record is None or record.direct_dial_verified_at is None:
        items.append(Item(
            "karis_direct_dial", "Direct 911 dialing with no prefix", False,
            detail="Not verified yet: dial 911 (or 933) with no prefix from a phone at "
                   "the site and record who did it and how.",
        ))  # fmt: skip
    else:
        items.append(Item(
            "karis_direct_dial", "Direct 911 dialing with no prefix", True,
            detail=f"Verified: {record.direct_dial_method}",
            evidence=record.direct_dial_method, who=_who(record.direct_dial_verified_by),
            when=record.direct_dial_verified_at,
        ))  # fmt: skip
    if record is None or record.direct_dial_verified_at is None:
        items.append(Item(
            "karis_dial_plan", "Outside-line prefix cannot swallow 911", False,
            detail="Record the dial plan's outside-line prefixes (e.g. 9) with the "
                   "direct-dial verification.",
        ))  # fmt: skip
    else:
        problems = dial_plan_problems(
            record.outside_line_prefixes, emergency_matched_first=record.emergency_matched_first
        )
        prefixes = ", ".join(record.outside_line_prefixes) or "none"
        first = " (911 matched first)" if record.emergency_matched_first else ""
        items.append(Item(
            "karis_dial_plan", "Outside-line prefix cannot swallow 911", not problems,
            detail=" ".join(problems) or f"Outside-line prefixes: {prefixes}{first}.",
            evidence=f"prefixes: {prefixes}{first}", who=_who(record.direct_dial_verified_by),
            when=record.direct_dial_verified_at,
        ))  # fmt: skip
    recipients = list(record.notification_recipients) if record else []
    items.append(Item(
        "karis_notification", "On-site notification when 911 is dialed", bool(recipients),
        detail=("Notified: " + ", ".join(recipients)) if recipients else
               "Nobody is notified on site: configure at least one recipient (front desk, "
               "security) in the phone system, then record it.",
        evidence=", ".join(recipients),
        who=_who(record.direct_dial_verified_by) if recipients else "",
        when=record.direct_dial_verified_at if recipients else None,
    ))  # fmt: skip
    items.append(test_933_item(site, latest_test=latest_test, _loaded=True))
    return items


def test_933_item(site, *, latest_test=None, _loaded=False) -> Item:
    """The site's 933 item: ok only when the latest 933 test (by call time) passed; a
    mismatch reopens it until a later test passes."""
    test = latest_test if _loaded else latest_933_test(site)
    title = "933 test after the port, location read back"
    if test is None:
        return Item("e911_933_test", title, False, blocking=False,
                    detail="No 933 test yet: after the port, dial 933 from the site and "
                           "record what was read back.")  # fmt: skip
    when = f"{timezone.localtime(test.called_at):%Y-%m-%d %H:%M}"
    if test.result == Test933.Result.PASS:
        return Item("e911_933_test", title, True, blocking=False,
                    detail=f"Passed on {when} from {shown(test.caller)}.",
                    evidence=f"{test.readback_address} · {shown(test.readback_callback)}",
                    who=_who(test.recorded_by), when=test.called_at)  # fmt: skip
    return Item("e911_933_test", title, False, blocking=False,
                detail=f"Mismatch on {when}: " + "; ".join(test.differences)
                       + " Fix the carrier's record and test again.",
                evidence=f"{test.readback_address} · {shown(test.readback_callback)}",
                who=_who(test.recorded_by), when=test.called_at)  # fmt: skip


def karis_law_items_for_sites(sites) -> dict[int, list[Item]]:
    """karis_law_items for many sites in three queries (for reports)."""
    sites = list(sites)
    ids = [s.pk for s in sites]
    records = {r.site_id: r for r in SiteE911.objects.filter(site_id__in=ids)
               .select_related("direct_dial_verified_by")}  # fmt: skip
    latest = {}
    for test in (
        Test933.objects.filter(site_id__in=ids)
        .select_related("recorded_by")
        .order_by("site_id", "-called_at", "-pk")
    ):
        latest.setdefault(test.site_id, test)
    return {
        s.pk: karis_law_items(
            s, record=records.get(s.pk), latest_test=latest.get(s.pk), _loaded=True
        )
        for s in sites
    }


def site_default_location(site) -> DispatchableLocation | None:
    return DispatchableLocation.objects.filter(
        site=site, is_site_default=True, is_current=True
    ).first()


def expected_callback_number(site) -> PhoneNumber | None:
    """The number a 933 read-back should give as the callback: the site's first
    main-line number (lowest id), else its first ported or live number."""
    numbers = PhoneNumber.objects.filter(site=site).order_by("pk")
    return (
        numbers.filter(purpose=PhoneNumber.Purpose.MAIN_LINE).first()
        or numbers.filter(status__in=[PhoneNumber.Status.PORTED, PhoneNumber.Status.LIVE]).first()
    )


_WORDS = {
    **STREET_TYPE_ABBREVIATIONS,
    **DIRECTIONAL_REPLACEMENTS,
    **OCCUPANCY_TYPE_ABBREVIATIONS,
    **UNIT_DESIGNATORS,
}


_UNIT_WORDS = frozenset(UNIT_DESIGNATORS) | frozenset(UNIT_DESIGNATORS.values()) | {"#"}


# A unit designator and its value: "Suite 200", "FL 3", "Rm. 12B", "# 4".
_UNIT = re.compile(
    r"(?<![A-Z0-9])(" + "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True))
    + r")\.?\s*((?!\d{5}(?:-\d{4})?\b)[0-9][A-Z0-9-]*|[A-Z](?![A-Z]))"
)  # fmt: skip


def _tokens(text: str) -> list[str]:
    words = re.sub(r"[^A-Z0-9#]+", " ", (text or "").upper()).split()
    return [_WORDS.get(w, w) for w in words]


def _units(text: str) -> tuple[str, list[str]]:
    """Split unit designators off a line: ('123 MAIN ST, DALLAS', ['STE 200', 'FL 3'])."""
    found = []

    def take(match):
        word = match.group(1)
        found.append(f"{UNIT_DESIGNATORS.get(word, word)} {match.group(2)}")
        return " "

    rest = _UNIT.sub(take, (text or "").upper())
    return rest, found


@dataclass(frozen=True)
class _Parts:
    street: str
    units: tuple[str, ...]
    city: str
    state: str
    postal_code: str

    LABELS = (
        ("street", "street"),
        ("units", "floor/suite/room"),
        ("city", "city"),
        ("state", "state"),
        ("postal_code", "ZIP code"),
    )


def _canon_state(value: str) -> str:
    value = " ".join((value or "").upper().split())
    return STATE_ABBREVIATIONS.get(value, value)


def _parts(line1, line2, city, state, postal_code) -> _Parts:
    rest1, units1 = _units(line1)
    rest2, units2 = _units(line2)
    street = " ".join(_tokens(f"{rest1} {rest2}"))
    return _Parts(
        street=street,
        units=tuple(sorted(" ".join(_tokens(u)) for u in units1 + units2)),
        city=" ".join(_tokens(city)),
        state=_canon_state(state),
        postal_code=(postal_code or "").strip()[:5],
    )


def expected_parts(location: DispatchableLocation) -> _Parts:
    if location.normalized_line1:
        return _parts(location.normalized_line1, location.normalized_line2,
                      location.normalized_city, location.normalized_state,
                      location.normalized_postal_code)  # fmt: skip
    normalized = normalize_address(location.address_line1, location.address_line2,
                                   location.city, location.state, location.postal_code)  # fmt: skip
    units = " ".join(p for p in (location.floor, location.suite, location.room) if p)
    if normalized.ok:
        return _parts(normalized.line1, f"{normalized.line2} {units}", normalized.city,
                      normalized.state, normalized.postal_code)  # fmt: skip
    return _parts(location.address_line1, f"{location.address_line2} {units}", location.city,
                  location.state, location.postal_code)  # fmt: skip


def readback_parts(text: str) -> _Parts | None:
    """The read-back as parts: unit designators are taken off first (the USPS parser
    reads one unit at most), then the rest goes through the USPS parser. None when it
    cannot be read."""
    rest, units = _units(text)
    rest = re.sub(r"\s*,(\s*,)+", ",", re.sub(r"\s+", " ", rest)).strip(" ,")
    try:
        # normalize_address takes parts; a read-back is one line, which the same USPS
        # parser (usaddress-scourgify) splits itself.
        result = normalize_address_record(rest)
    except Exception:  # the parser raises assorted errors on garbage input
        return None
    if not result.get("city"):
        return None
    return _parts(result.get("address_line_1") or "",
                  f"{result.get('address_line_2') or ''} {' '.join(units)}",
                  result.get("city") or "", result.get("state") or "",
                  result.get("postal_code") or "")  # fmt: skip


def compare_address(expected: _Parts, readback_text: str, expected_text: str) -> list[str]:
    got = readback_parts(readback_text)
    if got is None:
        if _tokens(readback_text) == _tokens(expected_text):
            return []
        return [f"Address: read back “{readback_text}”, which could not be read as an "
                f"address; expected “{expected_text}”."]  # fmt: skip
    differences = []
    for name, label in _Parts.LABELS:
        want, have = getattr(expected, name), getattr(got, name)
        if want != have:
            if name == "units":
                want, have = " ".join(want) or "none", " ".join(have) or "none"
            differences.append(f"Address {label}: read back “{have or '—'}”, "
                               f"expected “{want or '—'}”.")  # fmt: skip
    return differences


def _e164(value) -> str:
    try:
        parsed = phonenumbers.parse(str(value or ""), "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def compare_callback(expected: str, readback: str) -> list[str]:
    if not expected:
        return ["Callback: the site has no main-line or ported number to expect; set a "
                "number's site and purpose (main line)."]  # fmt: skip
    got = _e164(readback)
    if not got:
        return [
            f"Callback: read back “{readback}”, not a phone number; expected {shown(expected)}."
        ]
    if got != expected:
        return [f"Callback: read back {shown(got)}, expected {shown(expected)}."]
    return []
