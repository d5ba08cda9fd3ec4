"""LOA-vs-CSR checks: catch a carrier's port rejection before the LOA is submitted.

Pure Python: plain dataclasses in, `Finding`s out; no database, no Django models. The
losing carrier compares the LOA with its Customer Service Record (CSR) character for
character and rejects on any mismatch, each rejection costing 3-10 business days.
`check_loa()` runs every rule below and names, for each problem, the reject reason the
carrier would give and the fix. `REJECT_CODES` is the catalog of those reasons.

Severity: a *blocker* stops submission (the carrier will reject); a *warning* needs an
acknowledgement (the carrier may reject, or the port needs extra handling).
See docs/loa-checks.md for the rules and the reasons behind each severity."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from sites.addresses import normalize_address
from tenancy.phone import shown

from .nanp import TOLL_FREE_NPAS

BLOCKER = "blocker"
WARNING = "warning"

# The purposes a number on the LOA can have (porting.models uses the same words).
PURPOSES = ("user_did", "main_line", "hunt_pilot", "fax", "alarm", "elevator", "modem")

CSR_MAX_AGE_DAYS = 30


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class NumberFact:
    e164: str
    purpose: str = "user_did"


@dataclass(frozen=True)
class LoaFacts:
    business_name: str
    service_address: Address
    account_number: str
    btn: str
    authorized_person: str
    pin_provided: bool
    numbers: list[NumberFact] = field(default_factory=list)


@dataclass(frozen=True)
class CsrFacts:
    account_name: str
    authorized_person: str
    service_address: Address
    account_number: str
    btn: str
    has_pin: bool
    numbers_on_account: list[str] = field(default_factory=list)
    csr_date: date | None = None


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class RejectCode:
    code: str
    title: str  # the reject reason as a carrier words it
    meaning: str
    typical_fix: str
    severity: str  # "blocker" | "warning"
    detected: bool = True  # False: only the carrier can tell (recorded from a rejection)


@dataclass(frozen=True)
class Finding:
    code: str
    field: str
    loa_value: str
    csr_value: str
    severity: str  # "blocker" | "warning"
    reject_reason: str  # what the carrier would say, and why the values differ
    fix: str


def _rc(code, title, meaning, typical_fix, severity, detected=True):
    return code, RejectCode(code, title, meaning, typical_fix, severity, detected)


# Catalog order is also the order findings of equal severity are listed in.
REJECT_CODES: dict[str, RejectCode] = dict(
    [
        _rc(
            "CSR_MISSING",
            "No CSR on file",
            "There is no dated Customer Service Record to check the LOA against; the CSR "
            "is the only source of truth for what the carrier will compare.",
            "Ask the customer (or the losing carrier) for a current CSR and enter it with "
            "its date before preparing the LOA.",
            BLOCKER,
        ),
        _rc(
            "CSR_INCOMPLETE",
            "CSR incomplete",
            "Fields the carrier compares are blank on the CSR we hold, so the LOA cannot be "
            "checked against them.",
            "Complete the CSR from the carrier's record (not from the LOA).",
            BLOCKER,
        ),
        _rc(
            "NO_NUMBERS",
            "No telephone numbers requested",
            "The LOA lists no numbers to port.",
            "Add the numbers to port, each exactly as on the CSR.",
            BLOCKER,
        ),
        _rc(
            "NAME_MISMATCH",
            "End-user name mismatch",
            "The business name on the LOA is not the legal name on the carrier account. "
            "Carriers compare character for character: 'Acme Corp' is not 'Acme "
            "Corporation', 'Acme Tax' is not 'Acme Tax Services LLC'.",
            "Copy the account name from the CSR, entity suffix included, and re-sign.",
            BLOCKER,
        ),
        _rc(
            "ADDRESS_MISMATCH",
            "Service address mismatch",
            "The service address (street, suite, city, state or ZIP) differs from the "
            "address on the carrier account. The most common reason for a port rejection.",
            "Copy the service address from the CSR, suite and its designator included "
            "('Suite 200', not '200').",
            BLOCKER,
        ),
        _rc(
            "ACCOUNT_MISMATCH",
            "Account number mismatch",
            "The account number on the LOA is not the losing carrier's account number.",
            "Take the account number from the latest invoice, never from memory.",
            BLOCKER,
        ),
        _rc(
            "BTN_MISMATCH",
            "Billing telephone number mismatch",
            "The BTN on the LOA is not the main (billing) number of the carrier account.",
            "Take the BTN from the latest invoice or the CSR.",
            BLOCKER,
        ),
        _rc(
            "AUTH_NAME_MISMATCH",
            "Authorized name mismatch",
            "The person signing is not the account owner or authorized contact on the CSR.",
            "Have the account owner named on the CSR sign, or have the customer add the "
            "signer to the account with the losing carrier first.",
            BLOCKER,
        ),
        _rc(
            "PIN_REQUIRED",
            "Account PIN/passcode required or invalid",
            "The carrier account is protected by a PIN or passcode (port-out protection) "
            "and the LOA does not carry it.",
            "Get the port-out PIN from the account owner (or from the losing carrier) and "
            "add it to the LOA.",
            BLOCKER,
        ),
        _rc(
            "TN_NOT_ON_ACCOUNT",
            "Telephone number not on account",
            "A number on the LOA is not on this carrier account: it belongs to another "
            "account or carrier, or was mistyped.",
            "Remove the number or move it to the order for the account that holds it "
            "(one LOA per carrier account).",
            BLOCKER,
        ),
        _rc(
            "BTN_PARTIAL_PORT",
            "Partial port of BTN: new BTN required",
            "The billing number is being ported while other numbers stay on the account; "
            "the carrier needs a new BTN for the numbers that remain.",
            "Port every number on the account, or have the customer name one of the "
            "remaining numbers as the new BTN and write it on the LOA.",
            BLOCKER,
        ),
        _rc(
            "PENDING_ORDER",
            "Pending order exists",
            "The number is already on another open port order; the carrier rejects a "
            "second request until the first is completed or cancelled.",
            "Cancel the other order or take the number off one of the two orders.",
            BLOCKER,
        ),
        _rc(
            "TOLL_FREE_MIXED",
            "Toll-free numbers need a separate request",
            "Toll-free numbers move by a RespOrg change through Somos, not a local port; "
            "they cannot share an LOA with local numbers.",
            "Put the toll-free numbers on their own order and LOA.",
            BLOCKER,
        ),
        _rc(
            "TN_DISCONNECTED",
            "Telephone number disconnected / not in service",
            "The number is no longer working on the losing carrier's switch, so there is "
            "nothing to port (often because the old service was cancelled too early).",
            "Ask the losing carrier to restore the number at once, then resubmit.",
            BLOCKER,
            detected=False,
        ),
        _rc(
            "SIGNATURE_INVALID",
            "LOA signature missing, illegible or out of date",
            "The LOA is unsigned, the signature is unreadable, or it is older than the "
            "carrier accepts.",
            "Have the authorized person re-sign a fresh LOA.",
            BLOCKER,
            detected=False,
        ),
        _rc(
            "DUE_DATE_INVALID",
            "Requested due date invalid",
            "The requested port date is shorter than the carrier's interval, a weekend or "
            "a holiday.",
            "Request a business day at least the carrier's FOC interval away.",
            BLOCKER,
            detected=False,
        ),
        _rc(
            "TN_NOT_PORTABLE",
            "Telephone number not portable",
            "The number cannot move to the winning carrier: no coverage in its rate center, or "
            "a number type the winning carrier does not take.",
            "Take the number off the order, or port it to a carrier that covers it; a "
            "portability check before the order says so in advance.",
            BLOCKER,
            detected=False,
        ),
        _rc(
            "CARRIER_OTHER",
            "Other carrier rejection",
            "The carrier rejected the order for a reason outside this catalog (an "
            "unresponsive losing carrier, a port type or split the carrier requires); its own "
            "code and words are kept beside this one.",
            "Read the carrier's words on the rejection and answer them, with the carrier's "
            "porting team when it is not about the letter.",
            BLOCKER,
            detected=False,
        ),
        _rc(
            "NAME_FORMAT",
            "End-user name spelled differently",
            "The names match once case, punctuation and spacing are ignored, but the text "
            "differs; a strict carrier compares character for character.",
            "Copy the account name from the CSR exactly.",
            WARNING,
        ),
        _rc(
            "ADDRESS_FORMAT",
            "Service address written differently",
            "The addresses are the same by USPS rules ('Ste' = 'Suite', 'St' = 'Street') "
            "but written differently; a strict carrier compares the text.",
            "Copy the service address from the CSR exactly.",
            WARNING,
        ),
        _rc(
            "ADDRESS_UNVERIFIED",
            "Service address could not be normalized",
            "USPS normalization failed on one of the addresses, so they were compared as "
            "folded text ('St' and 'Street' then count as different; suite designators "
            "are still matched by USPS rules).",
            "Check the address by eye against the CSR and correct any typo.",
            WARNING,
        ),
        _rc(
            "CSR_STALE",
            "CSR out of date",
            f"The CSR is more than {CSR_MAX_AGE_DAYS} days old; the account (name, "
            "address, numbers, PIN) may have changed since.",
            "Pull a fresh CSR and re-run the check before submitting.",
            WARNING,
        ),
        _rc(
            "CSR_DATE_INVALID",
            "CSR date in the future",
            "The CSR's date is after today, probably a typo; its age cannot be judged.",
            "Correct the CSR date.",
            WARNING,
        ),
        _rc(
            "HUNT_PILOT",
            "Hunt group / complex feature on the line",
            "The number is the pilot of a hunt group: a complex port. Carriers often "
            "reject until the hunt group is removed, or port it on a longer interval.",
            "Port the pilot with all its member lines, or have the customer ask the "
            "losing carrier to dissolve the hunt group first; rebuild it on the new platform.",
            WARNING,
        ),
        _rc(
            "FAX_LINE",
            "Fax line: special service type",
            "The number is a fax line. It ports, but fax over VoIP needs T.38 or an "
            "analog adapter or a fax service, tested before the port.",
            "Confirm the line has no special features on the CSR and plan the fax endpoint.",
            WARNING,
        ),
        _rc(
            "ALARM_LINE",
            "Alarm line: special service type",
            "The number serves an alarm panel; monitoring may stop at the port, and some "
            "carriers treat such lines as non-portable or special.",
            "Confirm with the alarm company; move the panel to a cellular communicator or "
            "a tested adapter before the port.",
            WARNING,
        ),
        _rc(
            "ELEVATOR_LINE",
            "Elevator line: special service type",
            "The number serves an elevator emergency phone, which must keep working (life safety).",
            "Confirm with the elevator company; keep the line or provide a tested "
            "replacement (cellular or adapter) before the port.",
            WARNING,
        ),
        _rc(
            "DATA_LINE",
            "Data/DSL or modem line: service type not portable as is",
            "The number carries a modem or DSL service. DSL riding on the line is "
            "disconnected when the number ports; carriers may reject until it is removed.",
            "Move the data service (dry loop or new circuit) first, or confirm with the "
            "customer that it may stop.",
            WARNING,
        ),
    ]
)

_SEVERITY_RANK = {BLOCKER: 0, WARNING: 1}
_CODE_RANK = {code: i for i, code in enumerate(REJECT_CODES)}

_PURPOSE_CODES = {
    "hunt_pilot": "HUNT_PILOT",
    "fax": "FAX_LINE",
    "alarm": "ALARM_LINE",
    "elevator": "ELEVATOR_LINE",
    "modem": "DATA_LINE",
}
_PURPOSE_REASONS = {
    "hunt_pilot": "a hunt-group pilot: a complex port the carrier may reject while the "
    "hunt group exists",
    "fax": "a fax line: it ports, but faxing needs T.38, an adapter or a fax service",
    "alarm": "an alarm line: monitoring can stop at the port",
    "elevator": "an elevator emergency line: life safety, it must keep working",
    "modem": "a modem/DSL line: data service on it is disconnected when the number ports",
}


def _finding(code, field_name, loa_value, csr_value, why, fix) -> Finding:
    entry = REJECT_CODES[code]
    reason = f"{entry.title}: {why}" if why else entry.title
    # The values stay E.164 (what is compared, and what the API sends); the sentences are
    # read by people, who see numbers as every page shows them.
    return Finding(
        code=code,
        field=field_name,
        loa_value=str(loa_value or ""),
        csr_value=str(csr_value or ""),
        severity=entry.severity,
        reject_reason=shown(reason),
        fix=shown(fix or entry.typical_fix),
    )


# --------------------------------------------------------------------------- text folding

_SPACE = re.compile(r"\s+")


def _squash(text) -> str:
    """Whitespace trimmed and collapsed: invisible differences on a printed form."""
    return _SPACE.sub(" ", str(text or "")).strip()


def _words(text) -> list[str]:
    """Words with punctuation deleted and case kept; '&' stays a word of its own."""
    out = []
    for raw in str(text or "").replace("&", " & ").split():
        word = "".join(ch for ch in raw if ch.isalnum() or ch == "&")
        if word:
            out.append(word)
    return out


def fold(text) -> str:
    """Case, punctuation and whitespace folded: 'Acme Tax Services, L.L.C.' -> 'acme tax
    services llc'. Punctuation is deleted (not turned into a space) so 'L.L.C.' = 'LLC';
    '&' is kept, as a word: 'Smith & Jones' is not 'Smith Jones'."""
    return " ".join(_words(text)).casefold()


def _quote(words) -> str:
    return " ".join(words)


def _join(items) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# Legal-entity suffixes, by family: two spellings of one family are still different text.
_ENTITY_SUFFIXES = {
    "LLC": ("LLC", "Limited Liability Company"),
    "PLLC": ("PLLC",),
    "LLP": ("LLP", "Limited Liability Partnership"),
    "LP": ("LP", "Limited Partnership"),
    "Inc": ("Inc", "Incorporated"),
    "Corp": ("Corp", "Corporation"),
    "Co": ("Co", "Company"),
    "Ltd": ("Ltd", "Limited"),
    "PC": ("PC", "Professional Corporation"),
    "PA": ("PA", "Professional Association"),
}
# (folded words, display spelling, family), longest first so 'Limited Liability Company'
# wins over 'Company'.
_SUFFIX_FORMS = sorted(
    (
        (tuple(spelling.casefold().split()), spelling, family)
        for family, spellings in _ENTITY_SUFFIXES.items()
        for spelling in spellings
    ),
    key=lambda item: -len(item[0]),
)


def _split_suffix(words: list[str]):
    """(core words, (display spelling, family) or None) for a name's trailing suffix."""
    folded = [w.casefold() for w in words]
    for form, spelling, family in _SUFFIX_FORMS:
        n = len(form)
        if len(folded) > n and tuple(folded[-n:]) == form:
            return words[:-n], (spelling, family)
    return words, None


def _word_differences(loa_words: list[str], csr_words: list[str]) -> list[str]:
    """Plain-English differences between two word lists (case-insensitive)."""
    a = [w.casefold() for w in loa_words]
    b = [w.casefold() for w in csr_words]
    if a == b:
        return []
    if sorted(a) == sorted(b):
        return ["the same words in a different order"]
    notes = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        loa_part, csr_part = _quote(loa_words[i1:i2]), _quote(csr_words[j1:j2])
        if op == "insert":
            notes.append(f"LOA omits '{csr_part}'")
        elif op == "delete":
            notes.append(f"LOA adds '{loa_part}', which the CSR does not have")
        elif op == "replace":
            notes.append(f"'{loa_part}' on the LOA vs '{csr_part}' on the CSR")
    return notes


def _similarity(a: str, b: str) -> str:
    return f"{round(fuzz.ratio(fold(a), fold(b)))}% similar"


def explain_name_difference(loa_name: str, csr_name: str) -> list[str]:
    """Why two business names differ after folding: missing/extra/changed words and the
    entity suffix. Empty when they are equal after folding."""
    loa_words, csr_words = _words(loa_name), _words(csr_name)
    if [w.casefold() for w in loa_words] == [w.casefold() for w in csr_words]:
        return []
    loa_core, loa_suffix = _split_suffix(loa_words)
    csr_core, csr_suffix = _split_suffix(csr_words)
    notes = _word_differences(loa_core, csr_core)
    if loa_suffix is None and csr_suffix is not None:
        notes.append(f"LOA omits the entity suffix '{csr_suffix[0]}'")
    elif loa_suffix is not None and csr_suffix is None:
        notes.append(f"LOA adds the entity suffix '{loa_suffix[0]}', which the CSR does not have")
    elif loa_suffix and csr_suffix and loa_suffix[0].casefold() != csr_suffix[0].casefold():
        if loa_suffix[1] == csr_suffix[1]:
            notes.append(
                f"'{loa_suffix[0]}' vs '{csr_suffix[0]}': the same kind of entity spelled "
                "differently, and carriers compare character for character"
            )
        else:
            notes.append(
                f"'{loa_suffix[0]}' on the LOA vs '{csr_suffix[0]}' on the CSR: a different "
                "legal entity"
            )
    return notes


# --------------------------------------------------------------------------- addresses

# USPS Publication 28 secondary unit designators: every spelling -> the USPS abbreviation.
_DESIGNATORS = {
    "APARTMENT": "APT", "APT": "APT", "BASEMENT": "BSMT", "BSMT": "BSMT",
    "BUILDING": "BLDG", "BLDG": "BLDG", "DEPARTMENT": "DEPT", "DEPT": "DEPT",
    "FLOOR": "FL", "FL": "FL", "FRONT": "FRNT", "FRNT": "FRNT", "HANGAR": "HNGR",
    "HNGR": "HNGR", "KEY": "KEY", "LOBBY": "LBBY", "LBBY": "LBBY", "LOT": "LOT",
    "LOWER": "LOWR", "LOWR": "LOWR", "OFFICE": "OFC", "OFC": "OFC", "PENTHOUSE": "PH",
    "PH": "PH", "PIER": "PIER", "REAR": "REAR", "ROOM": "RM", "RM": "RM", "SIDE": "SIDE",
    "SLIP": "SLIP", "SPACE": "SPC", "SPC": "SPC", "STOP": "STOP", "SUITE": "STE",
    "STE": "STE", "TRAILER": "TRLR", "TRLR": "TRLR", "UNIT": "UNIT", "UPPER": "UPPR",
    "UPPR": "UPPR", "#": "#",
}  # fmt: skip
_DESIGNATOR_NAMES = {
    "APT": "Apartment", "BSMT": "Basement", "BLDG": "Building", "DEPT": "Department",
    "FL": "Floor", "FRNT": "Front", "HNGR": "Hangar", "KEY": "Key", "LBBY": "Lobby",
    "LOT": "Lot", "LOWR": "Lower", "OFC": "Office", "PH": "Penthouse", "PIER": "Pier",
    "REAR": "Rear", "RM": "Room", "SIDE": "Side", "SLIP": "Slip", "SPC": "Space",
    "STOP": "Stop", "STE": "Suite", "TRLR": "Trailer", "UNIT": "Unit", "UPPR": "Upper",
    "#": "#",
}  # fmt: skip
_ORDINAL = re.compile(r"^(\d+)(ST|ND|RD|TH)$")


def _unit_tokens(text) -> list[str]:
    return re.findall(r"#|[A-Z0-9]+", str(text or "").upper())


def _units(secondary: str, raw_text: str) -> tuple[tuple[str | None, str], ...]:
    """((designator, identifier), ...) of a secondary address line ('STE 200' ->
    (('STE', '200'),)). A designator that appears nowhere in the text as entered was
    invented by the normalizer (scourgify turns a bare '200' into 'UNIT 200'): it counts as
    no designator at all, because the carrier sees '200', not 'Unit 200'."""
    raw_designators = {_DESIGNATORS[t] for t in _unit_tokens(raw_text) if t in _DESIGNATORS}
    units: list[list] = []
    for token in _unit_tokens(secondary):
        designator = _DESIGNATORS.get(token)
        if designator is not None:
            if designator == "#" and units and units[-1][0] not in (None, "#") and not units[-1][1]:
                continue  # 'Suite #200' is 'Suite 200'
            units.append([designator, ""])
            continue
        match = _ORDINAL.match(token)
        ident = match.group(1) if match else token  # 'FL 2ND' = 'FL 2'
        if units and not units[-1][1]:
            units[-1][1] = ident
        elif units:
            units[-1][1] += " " + ident
        else:
            units.append([None, ident])
    return tuple(
        (designator if designator in raw_designators else None, ident)
        for designator, ident in units
    )


def _unit_text(units) -> str:
    return ", ".join((f"{_DESIGNATOR_NAMES.get(d, d)} {i}" if d else i).strip() for d, i in units)


def _zip5(postal_code) -> str:
    return re.sub(r"\D", "", str(postal_code or ""))[:5]


def _address_text(address: Address) -> str:
    parts = [address.line1, address.line2, address.city, address.state, address.postal_code]
    return ", ".join(_squash(p) for p in parts if _squash(p))


def _unit_findings(loa_units, csr_units, loa: Address, csr: Address) -> list[Finding]:
    if loa_units == csr_units:
        return []
    csr_unit_raw = _squash(csr.line2) or _squash(csr.line1)
    loa_unit_raw = _squash(loa.line2) or _unit_text(loa_units)
    fix = (
        f"Write it exactly as the CSR: {csr_unit_raw}"
        if csr_units
        else (
            "Remove the suite/unit from the LOA's service address: the CSR has none "
            f"({_address_text(csr)})."
        )
    )
    if not loa_units:
        why = f"LOA omits the suite/unit '{_unit_text(csr_units)}'"
    elif not csr_units:
        why = f"LOA adds '{_unit_text(loa_units)}', which the CSR does not have"
    elif [i for _, i in loa_units] == [i for _, i in csr_units]:
        missing = [d for (d, _), (cd, _) in zip(loa_units, csr_units, strict=True) if not d and cd]
        if missing:
            why = (
                f"LOA writes '{_unit_text(loa_units)}' with no designator, the CSR has "
                f"'{_unit_text(csr_units)}'"
            )
        else:
            why = (
                f"LOA says '{_unit_text(loa_units)}', the CSR says '{_unit_text(csr_units)}' "
                "(a different designator)"
            )
    else:
        why = f"LOA says '{_unit_text(loa_units)}', the CSR says '{_unit_text(csr_units)}'"
    return [
        _finding(
            "ADDRESS_MISMATCH",
            "service_address.line2",
            loa_unit_raw,
            _squash(csr.line2) or _unit_text(csr_units),
            why,
            fix,
        )
    ]


def _check_address(loa: Address, csr: Address) -> list[Finding]:
    findings: list[Finding] = []
    copy_fix = f"Copy the service address from the CSR exactly: {_address_text(csr)}"
    loa_n = normalize_address(loa.line1, loa.line2, loa.city, loa.state, loa.postal_code)
    csr_n = normalize_address(csr.line1, csr.line2, csr.city, csr.state, csr.postal_code)
    normalized = loa_n.ok and csr_n.ok
    if normalized:
        pairs = {
            "line1": (loa_n.line1, csr_n.line1),
            "city": (loa_n.city, csr_n.city),
            "state": (loa_n.state, csr_n.state),
        }
        loa_units = _units(loa_n.line2, f"{loa.line1} {loa.line2}")
        csr_units = _units(csr_n.line2, f"{csr.line1} {csr.line2}")
    else:
        pairs = {
            "line1": (fold(loa.line1), fold(csr.line1)),
            "city": (fold(loa.city), fold(csr.city)),
            "state": (fold(loa.state), fold(csr.state)),
        }
        loa_units = _units(loa.line2, loa.line2)
        csr_units = _units(csr.line2, csr.line2)
        failed = [
            f"{side} ({result.error.split(',')[0]})"
            for side, address, result in (("LOA", loa, loa_n), ("CSR", csr, csr_n))
            if not result.ok and _squash(address.line1)
        ]
        if failed:
            findings.append(
                _finding(
                    "ADDRESS_UNVERIFIED",
                    "service_address",
                    _address_text(loa),
                    _address_text(csr),
                    f"USPS normalization failed for the {_join(failed)}; compared as plain text",
                    None,
                )
            )
    labels = {"line1": "street line", "city": "city", "state": "state"}
    for part, (loa_value, csr_value) in pairs.items():
        if loa_value != csr_value:
            raw_loa, raw_csr = _squash(getattr(loa, part)), _squash(getattr(csr, part))
            why = (
                f"LOA has no {labels[part]}"
                if not raw_loa
                else f"the {labels[part]} differs ('{raw_loa}' vs '{raw_csr}')"
            )
            findings.append(
                _finding(
                    "ADDRESS_MISMATCH",
                    f"service_address.{part}",
                    raw_loa,
                    raw_csr,
                    why,
                    f"Write the {labels[part]} exactly as the CSR: {raw_csr}",
                )
            )
    findings += _unit_findings(loa_units, csr_units, loa, csr)
    loa_zip, csr_zip = _zip5(loa.postal_code), _zip5(csr.postal_code)
    if loa_zip != csr_zip:
        findings.append(
            _finding(
                "ADDRESS_MISMATCH",
                "service_address.postal_code",
                _squash(loa.postal_code),
                _squash(csr.postal_code),
                "LOA has no ZIP code"
                if not loa_zip
                else f"ZIP {loa_zip} on the LOA vs {csr_zip} on the CSR",
                f"Write the ZIP code exactly as the CSR: {_squash(csr.postal_code)}",
            )
        )
    if not any(f.code == "ADDRESS_MISMATCH" for f in findings):
        differences = [
            f"'{_squash(getattr(loa, part))}' vs '{_squash(getattr(csr, part))}'"
            for part in ("line1", "line2", "city", "state")
            if _squash(getattr(loa, part)) != _squash(getattr(csr, part))
        ]
        if differences:
            findings.append(
                _finding(
                    "ADDRESS_FORMAT",
                    "service_address",
                    _address_text(loa),
                    _address_text(csr),
                    f"same address by USPS rules, written differently: {_join(differences)}",
                    copy_fix,
                )
            )
    return findings


# --------------------------------------------------------------------------- numbers


def canonical_tn(value) -> str:
    """A NANP number as E.164 (+1NXXNXXXXXX) whatever its punctuation; other text as is."""
    text = str(value or "").strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return ("+" + digits) if text.startswith("+") and digits else text


def _is_toll_free(e164: str) -> bool:
    return e164.startswith("+1") and e164[2:5] in TOLL_FREE_NPAS


def _fold_account(value) -> str:
    return re.sub(r"[\s\-]", "", str(value or "")).casefold()


def same_account_number(a, b) -> bool:
    """Whether two account numbers are the same for the carrier: spaces, dashes and case
    are how it is printed, not what it is. The check and the LOA's staleness both ask here."""
    return _fold_account(a) == _fold_account(b)


def same_btn(a, b) -> bool:
    """Whether two BTNs are the same number, whatever their punctuation."""
    return canonical_tn(a) == canonical_tn(b)


# --------------------------------------------------------------------------- the checks


def _check_name(loa_name: str, csr_name: str) -> list[Finding]:
    loa_text, csr_text = _squash(loa_name), _squash(csr_name)
    if loa_text == csr_text:
        return []
    copy_fix = f"Copy the name from the CSR character for character: {csr_text}"
    if not loa_text:
        why = "LOA has no business name"
        return [_finding("NAME_MISMATCH", "business_name", "", csr_text, why, copy_fix)]
    if fold(loa_text) == fold(csr_text):
        return [
            _finding(
                "NAME_FORMAT",
                "business_name",
                loa_text,
                csr_text,
                "exact spelling differs (case, punctuation or spacing): copy the CSR text",
                copy_fix,
            )
        ]
    notes = explain_name_difference(loa_text, csr_text)
    why = "; ".join(notes) + f" ({_similarity(loa_text, csr_text)})"
    return [_finding("NAME_MISMATCH", "business_name", loa_text, csr_text, why, copy_fix)]


def _check_authorized_person(loa_person: str, csr_person: str) -> list[Finding]:
    loa_text, csr_text = _squash(loa_person), _squash(csr_person)
    if fold(loa_text) == fold(csr_text):
        return []
    if not loa_text:
        why = "LOA names no authorized signer"
    else:
        notes = _word_differences(_words(loa_text), _words(csr_text))
        why = "; ".join(notes) + f" ({_similarity(loa_text, csr_text)})"
    return [
        _finding(
            "AUTH_NAME_MISMATCH",
            "authorized_person",
            loa_text,
            csr_text,
            why,
            f"The LOA must be signed by the account owner as on the CSR: {csr_text}. If "
            f"{loa_text or 'someone else'} must sign, have the customer add them to the "
            "account with the losing carrier first.",
        )
    ]


def _check_account_number(loa_value: str, csr_value: str) -> list[Finding]:
    if same_account_number(loa_value, csr_value):
        return []
    a, b = _fold_account(loa_value), _fold_account(csr_value)
    if not a:
        why = "LOA has no account number"
    elif len(a) != len(b):
        why = f"{len(a)} characters on the LOA vs {len(b)} on the CSR"
    else:
        positions = sum(1 for x, y in zip(a, b, strict=True) if x != y)
        why = f"{positions} of {len(a)} characters differ"
    return [
        _finding(
            "ACCOUNT_MISMATCH",
            "account_number",
            _squash(loa_value),
            _squash(csr_value),
            why,
            f"Use the account number on the latest invoice, never from memory: "
            f"{_squash(csr_value)} on the CSR.",
        )
    ]


def _check_btn(loa_btn: str, csr_btn: str) -> list[Finding]:
    a, b = canonical_tn(loa_btn), canonical_tn(csr_btn)
    if same_btn(loa_btn, csr_btn):
        return []
    return [
        _finding(
            "BTN_MISMATCH",
            "btn",
            a,
            b,
            "LOA has no BTN" if not a else f"BTN {a} on the LOA vs {b} on the CSR",
            f"Write the BTN exactly as on the CSR and the latest invoice: {b}",
        )
    ]


def _check_csr_date(csr_date: date | None, today: date) -> list[Finding]:
    if csr_date is None:
        return [
            _finding(
                "CSR_MISSING",
                "csr_date",
                "",
                "",
                "no dated CSR: the LOA cannot be checked against the carrier's record",
                None,
            )
        ]
    age = (today - csr_date).days
    if age < 0:
        why = f"CSR dated {csr_date.isoformat()}, after today ({today.isoformat()})"
        return [_finding("CSR_DATE_INVALID", "csr_date", "", csr_date.isoformat(), why, None)]
    if age > CSR_MAX_AGE_DAYS:
        why = f"CSR dated {csr_date.isoformat()} is {age} days old (limit {CSR_MAX_AGE_DAYS})"
        return [_finding("CSR_STALE", "csr_date", "", csr_date.isoformat(), why, None)]
    return []


def _check_numbers(
    loa: LoaFacts, csr: CsrFacts, loa_numbers: list[NumberFact], other_open_orders
) -> list[Finding]:
    findings: list[Finding] = []
    wanted = [n.e164 for n in loa_numbers]
    if not wanted:
        return [_finding("NO_NUMBERS", "numbers", "", "", "the LOA lists no numbers", None)]

    csr_btn = canonical_tn(csr.btn) or canonical_tn(loa.btn)
    on_account = {canonical_tn(n) for n in csr.numbers_on_account if str(n or "").strip()}
    if on_account:
        if csr_btn:
            on_account.add(csr_btn)
        for e164 in wanted:
            if e164 not in on_account:
                findings.append(
                    _finding(
                        "TN_NOT_ON_ACCOUNT",
                        "numbers",
                        e164,
                        "",
                        f"{e164} is not on account {_squash(csr.account_number)}",
                        f"Take {e164} off this LOA, or check the CSR of the account that "
                        "holds it and put it on that account's order.",
                    )
                )
        staying = sorted(on_account - set(wanted))
        if csr_btn and csr_btn in wanted and staying:
            findings.append(
                _finding(
                    "BTN_PARTIAL_PORT",
                    "btn",
                    csr_btn,
                    ", ".join(staying),
                    f"the BTN {csr_btn} ports while "
                    f"{len(staying)} number(s) stay on the account ({', '.join(staying)}); "
                    "the carrier needs a new BTN for the numbers that stay",
                    "Port every number on the account, or have the customer choose one of "
                    f"the numbers that stay ({staying[0]}, say) as the new BTN, confirm it "
                    "with the losing carrier and write it on the LOA as the new BTN for "
                    "the remaining service.",
                )
            )

    normalized_others = {canonical_tn(k): v for k, v in (other_open_orders or {}).items()}
    for e164 in wanted:
        if e164 in normalized_others:
            label = normalized_others[e164]
            findings.append(
                _finding(
                    "PENDING_ORDER",
                    "numbers",
                    e164,
                    label,
                    f"{e164} is already on {label}",
                    f"Cancel {label} or take {e164} off one of the two orders.",
                )
            )

    toll_free = [e for e in wanted if _is_toll_free(e)]
    if toll_free and len(toll_free) < len(wanted):
        findings.append(
            _finding(
                "TOLL_FREE_MIXED",
                "numbers",
                ", ".join(toll_free),
                "",
                f"toll-free {', '.join(toll_free)} on an LOA with local numbers",
                "Move the toll-free numbers to their own order and LOA (RespOrg change "
                "through Somos, 3-5 business days).",
            )
        )

    for number in loa_numbers:
        code = _PURPOSE_CODES.get(number.purpose)
        if code:
            findings.append(
                _finding(
                    code,
                    "numbers",
                    number.e164,
                    "",
                    f"{number.e164} is {_PURPOSE_REASONS[number.purpose]}",
                    REJECT_CODES[code].typical_fix,
                )
            )
    return findings


def _csr_gaps(csr: CsrFacts) -> list[str]:
    gaps = []
    if not _squash(csr.account_name):
        gaps.append("account name")
    if not _squash(csr.service_address.line1):
        gaps.append("service address")
    if not _squash(csr.account_number):
        gaps.append("account number")
    if not canonical_tn(csr.btn):
        gaps.append("BTN")
    if not _squash(csr.authorized_person):
        gaps.append("authorized person")
    if not [n for n in csr.numbers_on_account if str(n or "").strip()]:
        gaps.append("numbers on the account")
    return gaps


def check_loa(
    loa: LoaFacts,
    csr: CsrFacts,
    *,
    other_open_orders: dict[str, str],
    today: date,
) -> list[Finding]:
    """Every problem a carrier would reject the LOA for, blockers first; deterministic.

    CSR fields left blank are not compared (a single CSR_INCOMPLETE blocker names them);
    LOA fields left blank are mismatches with the CSR."""
    findings: list[Finding] = []
    findings += _check_csr_date(csr.csr_date, today)
    gaps = _csr_gaps(csr)
    if gaps and not (csr.csr_date is None and len(gaps) == 6):
        findings.append(
            _finding(
                "CSR_INCOMPLETE",
                "csr",
                "",
                "",
                f"the CSR on file has no {_join(gaps)}",
                f"Fill in the CSR's {_join(gaps)} from the carrier's record (not from the LOA).",
            )
        )
    if _squash(csr.account_name):
        findings += _check_name(loa.business_name, csr.account_name)
    if _squash(csr.service_address.line1):
        findings += _check_address(loa.service_address, csr.service_address)
    if _squash(csr.account_number):
        findings += _check_account_number(loa.account_number, csr.account_number)
    if canonical_tn(csr.btn):
        findings += _check_btn(loa.btn, csr.btn)
    if _squash(csr.authorized_person):
        findings += _check_authorized_person(loa.authorized_person, csr.authorized_person)
    if csr.has_pin and not loa.pin_provided:
        findings.append(
            _finding(
                "PIN_REQUIRED",
                "pin",
                "none",
                "set",
                "the account has a PIN/passcode and the LOA carries none",
                None,
            )
        )

    seen: set[str] = set()
    loa_numbers = []
    for number in loa.numbers:
        e164 = canonical_tn(number.e164)
        if e164 and e164 not in seen:
            seen.add(e164)
            loa_numbers.append(NumberFact(e164, number.purpose))
    findings += _check_numbers(loa, csr, loa_numbers, other_open_orders)

    unique = set(findings)
    return sorted(
        unique,
        key=lambda f: (
            _SEVERITY_RANK[f.severity],
            _CODE_RANK[f.code],
            f.field,
            f.loa_value,
            f.csr_value,
            f.reject_reason,
        ),
    )


__all__ = [
    "BLOCKER",
    "CSR_MAX_AGE_DAYS",
    "PURPOSES",
    "REJECT_CODES",
    "WARNING",
    "Address",
    "CsrFacts",
    "Finding",
    "LoaFacts",
    "NumberFact",
    "RejectCode",
    "canonical_tn",
    "check_loa",
    "explain_name_difference",
    "fold",
]
