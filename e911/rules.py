"""Pure E911 and compliance rules: no database, easy to test.

Sources: USPS Publication 28 (secondary unit designators, state abbreviations), 47 CFR
9.16 (Kari's Law direct dialing and notification) and §506 of RAY BAUM's Act
(dispatchable location), and the states' call-recording statutes cited below."""

from __future__ import annotations

import re
from dataclasses import dataclass

# USPS Publication 28, Appendix C2: secondary unit designators and their abbreviations
# (the ones an office or home uses).
UNIT_DESIGNATORS = {
    "APARTMENT": "APT",
    "BASEMENT": "BSMT",
    "BUILDING": "BLDG",
    "DEPARTMENT": "DEPT",
    "FLOOR": "FL",
    "FRONT": "FRNT",
    "HANGAR": "HNGR",
    "LOBBY": "LBBY",
    "LOWER": "LOWR",
    "OFFICE": "OFC",
    "PENTHOUSE": "PH",
    "REAR": "REAR",
    "ROOM": "RM",
    "SIDE": "SIDE",
    "SPACE": "SPC",
    "SUITE": "STE",
    "TRAILER": "TRLR",
    "UNIT": "UNIT",
    "UPPER": "UPPR",
}
ABBREVIATIONS = frozenset(UNIT_DESIGNATORS.values())
DISPATCH_LINE_MAX = 60  # characters a dispatch screen shows for the second line

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
_PO_BOX = re.compile(r"\b(P\.?\s*O\.?\s*BOX|POST\s+OFFICE\s+BOX|PO\s*BX)\b", re.I)
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def unit_part(designator: str, value: str) -> str:
    """'Suite', '200' -> 'STE 200'; a value that already names its designator keeps it
    ('Suite 200' -> 'STE 200', 'Rm 12' -> 'RM 12')."""
    value = " ".join((value or "").split()).upper()
    if not value:
        return ""
    first, _, rest = value.partition(" ")
    first = first.rstrip(".")
    if first in UNIT_DESIGNATORS:
        return f"{UNIT_DESIGNATORS[first]} {rest}".strip()
    if first in ABBREVIATIONS:
        return f"{first} {rest}".strip()
    return f"{UNIT_DESIGNATORS[designator.upper()]} {value}"


def dispatch_second_line(floor: str = "", suite: str = "", room: str = "") -> str:
    """Floor, suite and room as one USPS-abbreviated line: 'FL 3 STE 200 RM 12'."""
    return " ".join(
        part
        for part in (unit_part("FLOOR", floor), unit_part("SUITE", suite), unit_part("ROOM", room))
        if part
    )


@dataclass(frozen=True)
class AddressProblem:
    code: str
    message: str


def dispatch_problems(line1, city, state, postal_code, normalized_error="") -> list[AddressProblem]:
    """What a 911 dispatcher could not use in this address (offline checks)."""
    problems = []
    line1 = (line1 or "").strip()
    po_box = bool(_PO_BOX.search(line1))
    if normalized_error and not po_box:
        # The parser's own text is not for end users; say what it means.
        problems.append(
            AddressProblem("unparseable", "The street line could not be read as a US street "
                                          "address (house number and street name).")
        )  # fmt: skip
    if po_box:
        problems.append(AddressProblem("po_box", "A PO box is not a place: give the street "
                                                 "address where the phone is."))  # fmt: skip
    elif line1 and not re.match(r"^\d", line1):
        problems.append(AddressProblem("no_house_number", "The street line has no house number."))
    if (state or "").upper() not in US_STATES:
        problems.append(AddressProblem("unknown_state", f"Unknown state {state!r}."))
    if not _ZIP.match((postal_code or "").strip()):
        problems.append(AddressProblem("unknown_zip", f"Not a ZIP code: {postal_code!r}."))
    if not (city or "").strip():
        problems.append(AddressProblem("no_city", "The city is missing."))
    return problems


def prefix_swallows_911(prefix: str) -> bool:
    """Whether an outside-line rule starting with `prefix` (e.g. '9', '9*', '91') would
    take the digits of 911 as the start of an outside call. Kari's Law needs 911 to work
    with no prefix, so such a rule is safe only when the dial plan matches 911 first."""
    core = re.sub(r"[^0-9*#]", "", prefix or "").rstrip("*#")
    return bool(core) and "911".startswith(core)


def dial_plan_problems(prefixes, *, emergency_matched_first: bool) -> list[str]:
    """Why this dial plan could swallow 911, or [] when it cannot."""
    unsafe = [p for p in prefixes or () if prefix_swallows_911(p)]
    if unsafe and not emergency_matched_first:
        return [
            f"Outside-line prefix {p!r} would take 911 as the start of an outside call: "
            "match 911 (and 933) before it in the dial plan, then record that it is."
            for p in unsafe
        ]
    return []


# All-party (two-party) consent states for recording calls, with the statute.
ALL_PARTY_CONSENT_STATES = {
    "CA": "Cal. Penal Code § 632",
    "DE": "Del. Code tit. 11, § 1335(a)(4)",
    "FL": "Fla. Stat. § 934.03",
    "IL": "720 ILCS 5/14-2",
    "MD": "Md. Code, Cts. & Jud. Proc. § 10-402",
    "MA": "Mass. Gen. Laws ch. 272, § 99",
    "MI": "Mich. Comp. Laws § 750.539c",
    "MT": "Mont. Code § 45-8-213",
    "NH": "N.H. Rev. Stat. § 570-A:2",
    "PA": "18 Pa. C.S. § 5703",
    "WA": "Wash. Rev. Code § 9.73.030",
}
