"""LOA-vs-CSR checks (porting.loa_checks): one test per rule, and each classic rejection.

Plain pytest, no database: the engine takes dataclasses and returns findings."""

import dataclasses
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from porting.loa_checks import (
    REJECT_CODES,
    Address,
    CsrFacts,
    Finding,
    LoaFacts,
    NumberFact,
    check_loa,
    fold,
)
from tenancy.phone import shown

TODAY = date(2025, 6, 2)
BTN = "+17135550100"
ACCOUNT_NUMBERS = [BTN, "+17135550101", "+17135550102"]
CSR_ADDRESS = Address("1200 Westheimer Road", "Suite 200", "Houston", "TX", "77006")


def make_csr(**changes) -> CsrFacts:
    csr = CsrFacts(
        account_name="Acme Tax Services LLC",
        authorized_person="Linh Nguyen",
        service_address=CSR_ADDRESS,
        account_number="8310-4412-0098",
        btn=BTN,
        has_pin=False,
        numbers_on_account=list(ACCOUNT_NUMBERS),
        csr_date=TODAY - timedelta(days=3),
    )
    return dataclasses.replace(csr, **changes)


def make_loa(**changes) -> LoaFacts:
    """An LOA copied from make_csr() character for character, porting every number."""
    loa = LoaFacts(
        business_name="Acme Tax Services LLC",
        service_address=CSR_ADDRESS,
        account_number="8310-4412-0098",
        btn=BTN,
        authorized_person="Linh Nguyen",
        pin_provided=False,
        numbers=[NumberFact(BTN, "main_line")]
        + [NumberFact(n, "user_did") for n in ACCOUNT_NUMBERS[1:]],
    )
    return dataclasses.replace(loa, **changes)


def run(loa=None, csr=None, other_open_orders=None, today=TODAY) -> list[Finding]:
    findings = check_loa(
        loa or make_loa(),
        csr or make_csr(),
        other_open_orders=other_open_orders or {},
        today=today,
    )
    for finding in findings:  # every finding of every test: its code is in the catalog
        entry = REJECT_CODES[finding.code]
        assert finding.severity == entry.severity
        assert finding.reject_reason.startswith(entry.title)
        assert finding.fix
    return findings


def codes(findings, severity=None) -> list[str]:
    return [f.code for f in findings if severity in (None, f.severity)]


def blockers(findings) -> list[Finding]:
    return [f for f in findings if f.severity == "blocker"]


def only(findings, code) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


def with_address(**changes) -> LoaFacts:
    return make_loa(service_address=dataclasses.replace(CSR_ADDRESS, **changes))


# --------------------------------------------------------------------------- clean


def test_an_loa_copied_from_the_csr_has_no_findings():
    assert run() == []


def test_findings_are_deterministic_and_blockers_come_first():
    loa = make_loa(
        business_name="Acme Tax",
        numbers=[
            NumberFact("+17135550102", "fax"),
            NumberFact("+17135550199", "user_did"),
            NumberFact(BTN, "hunt_pilot"),
        ],
    )
    csr = make_csr(csr_date=TODAY - timedelta(days=45))
    first = run(loa, csr)
    shuffled = list(loa.numbers)
    random.Random(4).shuffle(shuffled)
    second = run(dataclasses.replace(loa, numbers=shuffled), csr)
    assert first == second
    severities = [f.severity for f in first]
    assert severities == sorted(severities, key=["blocker", "warning"].index)
    assert {"blocker", "warning"} <= set(severities)


def test_module_imports_no_django():
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys, porting.loa_checks; "
        "assert not [m for m in sys.modules if m.startswith('django')]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# --------------------------------------------------------------------------- rule 1: name


def test_acme_tax_vs_acme_tax_services_llc_is_a_blocker_naming_the_words_and_llc():
    finding = only(run(make_loa(business_name="Acme Tax")), "NAME_MISMATCH")
    assert finding.severity == "blocker"
    assert finding.loa_value == "Acme Tax"
    assert finding.csr_value == "Acme Tax Services LLC"
    assert "LOA omits 'Services'" in finding.reject_reason
    assert "'LLC'" in finding.reject_reason
    assert "Acme Tax Services LLC" in finding.fix


def test_acme_corp_vs_acme_corporation_is_a_blocker():
    csr = make_csr(account_name="Acme Corporation")
    finding = only(run(make_loa(business_name="Acme Corp"), csr), "NAME_MISMATCH")
    assert finding.severity == "blocker"
    assert "'Corp' vs 'Corporation'" in finding.reject_reason
    assert "character for character" in finding.reject_reason


def test_name_equal_after_folding_is_only_a_warning_to_copy_the_csr_text():
    csr = make_csr(account_name="ACME TAX SERVICES LLC")
    findings = run(make_loa(business_name="Acme Tax  Services, L.L.C."), csr)
    assert codes(findings) == ["NAME_FORMAT"]
    assert findings[0].severity == "warning"
    assert "copy the CSR text" in findings[0].reject_reason


def test_name_differing_only_in_surrounding_whitespace_has_no_finding():
    assert run(make_loa(business_name="  Acme Tax Services LLC ")) == []


@pytest.mark.parametrize(
    ("loa_name", "csr_name", "expected"),
    [
        ("Acme Tax Services", "Acme Tax Services LLC", "LOA omits the entity suffix 'LLC'"),
        ("Acme Tax Services Inc", "Acme Tax Services LLC", "a different legal entity"),
        ("Acme Tax Services LLC", "Acme Tax Services", "LOA adds the entity suffix 'LLC'"),
        ("Smith and Jones PC", "Smith & Jones PC", "'and' on the LOA vs '&' on the CSR"),
        ("Tax Services Acme LLC", "Acme Tax Services LLC", "different order"),
        ("Acme Tax Co", "Acme Tax Company", "'Co' vs 'Company'"),
    ],
)
def test_name_mismatches_say_why(loa_name, csr_name, expected):
    csr = make_csr(account_name=csr_name)
    finding = only(run(make_loa(business_name=loa_name), csr), "NAME_MISMATCH")
    assert finding.severity == "blocker"
    assert expected in finding.reject_reason
    assert "% similar" in finding.reject_reason


def test_missing_business_name_is_a_blocker():
    finding = only(run(make_loa(business_name="")), "NAME_MISMATCH")
    assert "no business name" in finding.reject_reason


_PUNCTUATION = ".,'\"-()/:;!?*+_"


@st.composite
def disguised(draw, name):
    """The name with random case, punctuation and whitespace changes."""
    out = [draw(st.sampled_from(["", " ", "\t", "  "]))]
    for ch in name:
        if ch == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\t", " \n "])))
        else:
            out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        out.append(draw(st.text(alphabet=_PUNCTUATION, max_size=2)))
    out.append(draw(st.sampled_from(["", " ", "."])))
    return "".join(out)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&"
_word = st.text(alphabet=_LETTERS, min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), words=st.lists(_word, min_size=1, max_size=6))
def test_property_a_name_compared_with_a_disguised_copy_of_itself_never_blocks(data, words):
    name = " ".join(words)
    loa_name = data.draw(disguised(name))
    findings = check_loa(
        make_loa(business_name=loa_name),
        make_csr(account_name=name),
        other_open_orders={},
        today=TODAY,
    )
    assert blockers(findings) == []
    assert fold(loa_name) == fold(name)


# --------------------------------------------------------------------------- rule 2: address


def test_suite_200_written_as_200_is_a_blocker_with_the_csr_text_as_the_fix():
    finding = only(run(with_address(line2="200")), "ADDRESS_MISMATCH")
    assert finding.severity == "blocker"
    assert finding.field == "service_address.line2"
    assert (finding.loa_value, finding.csr_value) == ("200", "Suite 200")
    assert "no designator" in finding.reject_reason
    assert finding.fix == "Write it exactly as the CSR: Suite 200"


def test_bare_200_at_the_end_of_the_street_line_is_a_blocker_too():
    findings = run(with_address(line1="1200 Westheimer Road 200", line2=""))
    assert "ADDRESS_MISMATCH" in codes(findings, "blocker")


@pytest.mark.parametrize("loa_line2", ["Ste 200", "STE 200", "Ste. 200", "Suite #200"])
def test_ste_200_vs_suite_200_is_not_a_blocker_only_a_format_warning(loa_line2):
    findings = run(with_address(line2=loa_line2))
    assert blockers(findings) == []
    finding = only(findings, "ADDRESS_FORMAT")
    assert "Suite 200" in finding.fix


def test_street_abbreviation_and_suite_on_the_street_line_are_not_blockers():
    findings = run(with_address(line1="1200 Westheimer Rd Ste 200", line2=""))
    assert codes(findings) == ["ADDRESS_FORMAT"]


def test_state_name_vs_abbreviation_and_zip_plus_4_are_fine():
    findings = run(with_address(state="Texas", postal_code="77006-1234"))
    assert blockers(findings) == []
    assert run(with_address(postal_code="77006-1234")) == []


@pytest.mark.parametrize(
    ("changes", "field", "phrase"),
    [
        ({"line2": ""}, "service_address.line2", "LOA omits the suite/unit 'Suite 200'"),
        ({"line2": "Suite 210"}, "service_address.line2", "'Suite 210'"),
        ({"line2": "#200"}, "service_address.line2", "a different designator"),
        ({"line2": "Unit 200"}, "service_address.line2", "a different designator"),
        ({"line1": "1210 Westheimer Road"}, "service_address.line1", "street line differs"),
        ({"city": "Bellaire"}, "service_address.city", "city differs"),
        ({"state": "LA"}, "service_address.state", "state differs"),
        ({"postal_code": "77007"}, "service_address.postal_code", "ZIP 77007"),
    ],
)
def test_address_mismatches_are_blockers(changes, field, phrase):
    findings = [f for f in run(with_address(**changes)) if f.code == "ADDRESS_MISMATCH"]
    assert [f.field for f in findings] == [field]
    assert findings[0].severity == "blocker"
    assert phrase in findings[0].reject_reason


def test_a_suite_the_csr_does_not_have_is_a_blocker():
    csr = make_csr(service_address=dataclasses.replace(CSR_ADDRESS, line2=""))
    finding = only(run(make_loa(), csr), "ADDRESS_MISMATCH")
    assert "which the CSR does not have" in finding.reject_reason
    assert "Remove the suite" in finding.fix


def test_failed_normalization_falls_back_to_folded_text_and_warns():
    po_box = Address("PO Box 4410", "", "Houston", "TX", "77210")
    csr = make_csr(service_address=po_box)
    spelled = Address("P.O. Box 4410", "", "HOUSTON", "tx", "77210")
    same = run(make_loa(service_address=spelled), csr)
    assert codes(same) == ["ADDRESS_FORMAT", "ADDRESS_UNVERIFIED"]
    assert "normalization failed" in same[1].reject_reason
    other = run(make_loa(service_address=dataclasses.replace(po_box, line1="PO Box 4411")), csr)
    assert codes(other) == ["ADDRESS_MISMATCH", "ADDRESS_UNVERIFIED"]


# --------------------------------------------------------------------------- rules 3-6


def test_account_number_ignores_spaces_and_dashes():
    assert run(make_loa(account_number="8310 4412 0098")) == []
    assert run(make_loa(account_number="831044120098")) == []


def test_a_different_account_number_is_a_blocker_from_the_latest_invoice():
    finding = only(run(make_loa(account_number="8310-4412-0089")), "ACCOUNT_MISMATCH")
    assert finding.severity == "blocker"
    assert "latest invoice, never from memory" in finding.fix


def test_a_different_btn_is_a_blocker_and_formatting_is_ignored():
    assert run(make_loa(btn="(713) 555-0100")) == []
    finding = only(run(make_loa(btn="+17135550101")), "BTN_MISMATCH")
    assert finding.severity == "blocker"
    assert finding.csr_value == BTN


def test_authorized_person_compared_folded():
    assert run(make_loa(authorized_person="LINH  NGUYEN.")) == []
    finding = only(run(make_loa(authorized_person="Tom Office-Manager")), "AUTH_NAME_MISMATCH")
    assert finding.severity == "blocker"
    assert "account owner" in finding.fix


def test_a_pin_on_the_account_and_none_on_the_loa_is_a_blocker():
    finding = only(run(make_loa(pin_provided=False), make_csr(has_pin=True)), "PIN_REQUIRED")
    assert finding.severity == "blocker"
    assert run(make_loa(pin_provided=True), make_csr(has_pin=True)) == []
    assert run(make_loa(pin_provided=True), make_csr(has_pin=False)) == []


# --------------------------------------------------------------------------- rules 7-10


def test_each_number_not_on_the_account_is_its_own_blocker():
    loa = make_loa(
        numbers=[*make_loa().numbers, NumberFact("+17135550198"), NumberFact("713-555-0199")]
    )
    findings = [f for f in run(loa) if f.code == "TN_NOT_ON_ACCOUNT"]
    assert [f.loa_value for f in findings] == ["+17135550198", "+17135550199"]
    assert all(f.severity == "blocker" for f in findings)
    # The value stays E.164; the sentence shows the number as pages do.
    assert all(shown(f.loa_value) in f.reject_reason for f in findings)


def test_porting_the_btn_while_other_numbers_stay_is_a_partial_port_blocker():
    loa = make_loa(numbers=[NumberFact(BTN, "main_line"), NumberFact("+17135550101")])
    finding = only(run(loa), "BTN_PARTIAL_PORT")
    assert finding.severity == "blocker"
    assert "new BTN for the numbers that stay" in finding.reject_reason
    assert finding.csr_value == "+17135550102"
    assert "new BTN" in finding.fix


def test_leaving_the_btn_behind_is_not_a_partial_port_of_the_btn():
    loa = make_loa(numbers=[NumberFact("+17135550101"), NumberFact("+17135550102")])
    assert run(loa) == []


@pytest.mark.parametrize(
    ("purpose", "code"),
    [
        ("hunt_pilot", "HUNT_PILOT"),
        ("fax", "FAX_LINE"),
        ("alarm", "ALARM_LINE"),
        ("elevator", "ELEVATOR_LINE"),
        ("modem", "DATA_LINE"),
    ],
)
def test_special_lines_are_warnings(purpose, code):
    numbers = [NumberFact(BTN, "main_line"), NumberFact("+17135550101", purpose)]
    numbers.append(NumberFact("+17135550102", "user_did"))
    finding = only(run(make_loa(numbers=numbers)), code)
    assert finding.severity == "warning"
    assert finding.loa_value == "+17135550101"
    assert len(run(make_loa(numbers=numbers))) == 1


def test_dsl_warning_says_the_data_service_is_disconnected():
    numbers = [NumberFact(n, "modem") for n in ACCOUNT_NUMBERS]
    findings = run(make_loa(numbers=numbers))
    assert len(findings) == 3
    assert all("disconnected" in f.reject_reason for f in findings)


def test_a_number_on_another_open_order_is_a_pending_order_blocker():
    findings = run(other_open_orders={"(713) 555-0101": "port order #12"})
    finding = only(findings, "PENDING_ORDER")
    assert finding.severity == "blocker"
    assert (finding.loa_value, finding.csr_value) == ("+17135550101", "port order #12")


def test_toll_free_numbers_mixed_with_local_numbers_are_a_blocker():
    csr = make_csr(numbers_on_account=[*ACCOUNT_NUMBERS, "+18885550123"])
    loa = make_loa(numbers=[*make_loa().numbers, NumberFact("+18885550123")])
    assert codes(run(loa, csr)) == ["TOLL_FREE_MIXED"]


def test_an_loa_without_numbers_is_a_blocker():
    assert codes(run(make_loa(numbers=[]))) == ["NO_NUMBERS"]


# --------------------------------------------------------------------------- rule 11: the CSR


def test_a_csr_older_than_30_days_is_a_warning():
    assert run(csr=make_csr(csr_date=TODAY - timedelta(days=30))) == []
    finding = only(run(csr=make_csr(csr_date=TODAY - timedelta(days=31))), "CSR_STALE")
    assert finding.severity == "warning"
    assert "31 days old" in finding.reject_reason


def test_no_csr_date_is_a_blocker():
    finding = only(run(csr=make_csr(csr_date=None)), "CSR_MISSING")
    assert finding.severity == "blocker"


def test_a_csr_dated_in_the_future_is_a_warning():
    assert codes(run(csr=make_csr(csr_date=TODAY + timedelta(days=2)))) == ["CSR_DATE_INVALID"]


def test_an_empty_csr_gives_one_blocker_and_compares_nothing():
    empty = CsrFacts("", "", Address(), "", "", False, [], None)
    assert codes(run(csr=empty)) == ["CSR_MISSING"]


def test_blank_csr_fields_are_named_not_compared():
    csr = make_csr(account_name="", numbers_on_account=[])
    finding = only(run(make_loa(business_name="Anything"), csr), "CSR_INCOMPLETE")
    assert "account name and numbers on the account" in finding.reject_reason
    assert codes(run(make_loa(business_name="Anything"), csr)) == ["CSR_INCOMPLETE"]


# --------------------------------------------------------------------------- the catalog


def test_everything_wrong_at_once():
    loa = LoaFacts(
        business_name="Acme Tax",
        service_address=Address("1200 Westheimer Rd", "200", "Houston", "TX", "77006"),
        account_number="8310-4412-0089",
        btn="+17135550101",
        authorized_person="Front Desk",
        pin_provided=False,
        numbers=[NumberFact(BTN, "hunt_pilot"), NumberFact("+17135550177", "alarm")],
    )
    csr = make_csr(has_pin=True, csr_date=TODAY - timedelta(days=90))
    findings = run(loa, csr, {BTN: "port order #3"})
    assert set(codes(findings, "blocker")) == {
        "NAME_MISMATCH",
        "ADDRESS_MISMATCH",
        "ACCOUNT_MISMATCH",
        "BTN_MISMATCH",
        "AUTH_NAME_MISMATCH",
        "PIN_REQUIRED",
        "TN_NOT_ON_ACCOUNT",
        "BTN_PARTIAL_PORT",
        "PENDING_ORDER",
    }
    assert set(codes(findings, "warning")) == {"CSR_STALE", "HUNT_PILOT", "ALARM_LINE"}


def test_catalog_entries_are_complete():
    for code, entry in REJECT_CODES.items():
        assert entry.code == code
        assert code == code.upper() and " " not in code
        assert entry.severity in ("blocker", "warning")
        assert entry.title and entry.meaning and entry.typical_fix


def catalog_scenarios():
    """One input per checked code; together they raise every code check_loa can emit."""
    suite_less = dataclasses.replace(CSR_ADDRESS, line1="PO Box 1", line2="")
    numbers = [NumberFact(BTN, "hunt_pilot"), NumberFact("+17135550101", "fax")]
    numbers += [NumberFact("+17135550102", "elevator"), NumberFact("+18005550100", "modem")]
    numbers.append(NumberFact("+17135550103", "alarm"))
    yield make_loa(), make_csr(csr_date=None), {}
    yield make_loa(), make_csr(account_name="", csr_date=TODAY + timedelta(days=1)), {}
    yield make_loa(numbers=[]), make_csr(), {}
    yield (
        make_loa(business_name="ACME TAX", account_number="1", btn="+17135550102", numbers=numbers),
        make_csr(has_pin=True, csr_date=TODAY - timedelta(days=99)),
        {BTN: "port order #1"},
    )
    yield make_loa(authorized_person="X", business_name="acme tax services llc"), make_csr(), {}
    yield with_address(line2="Ste 200", line1="1200 Westheimer Rd"), make_csr(), {}
    yield make_loa(service_address=suite_less), make_csr(service_address=suite_less), {}
    yield with_address(line2="200"), make_csr(numbers_on_account=[*ACCOUNT_NUMBERS, "+1713555"]), {}


def test_every_finding_code_is_in_the_catalog_and_every_checked_code_is_raised():
    raised = set()
    for loa, csr, others in catalog_scenarios():
        findings = check_loa(loa, csr, other_open_orders=others, today=TODAY)
        for finding in findings:
            assert finding.code in REJECT_CODES, finding
            assert finding.severity == REJECT_CODES[finding.code].severity
        raised |= {f.code for f in findings}
    detected = {code for code, entry in REJECT_CODES.items() if entry.detected}
    assert raised == detected


def test_blank_loa_fields_are_mismatches():
    loa = make_loa(service_address=Address(), account_number="", btn="", authorized_person="")
    findings = run(loa)
    assert set(codes(findings)) == {
        "ADDRESS_MISMATCH",
        "ACCOUNT_MISMATCH",
        "BTN_MISMATCH",
        "AUTH_NAME_MISMATCH",
    }
    assert all(f.severity == "blocker" for f in findings)


def test_the_docs_describe_every_code():
    text = (Path(__file__).resolve().parent.parent / "docs" / "loa-checks.md").read_text()
    for code in REJECT_CODES:
        assert f"`{code}`" in text, code
