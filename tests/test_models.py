"""Domain rules held by the models and their helpers."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from customers.states import parse_state_list
from porting.models import PhoneNumber
from porting.numbers import TOLL_FREE_NPAS, e164, is_toll_free, parse_nanp
from sites.addresses import normalize_address
from sites.validators import normalize_mac, validate_timezone
from tenancy.fields import fernet

from . import factories as f


@pytest.mark.parametrize(
    "raw",
    [
        "00:04:f2:aa:bb:cc",
        "00-04-F2-AA-BB-CC",
        "0004.f2aa.bbcc",
        "0004f2aabbcc",
        " 00 04 F2 AA BB CC ",
    ],
)
def test_mac_is_normalized_from_any_common_format(raw):
    assert normalize_mac(raw) == "00:04:F2:AA:BB:CC"


@pytest.mark.parametrize(
    "raw", ["00:04:f2:aa:bb", "00:04:f2:aa:bb:cc:dd", "gg:04:f2:aa:bb:cc", "000000000000",
            "ffffffffffff", "01:00:5e:00:00:01"],
)  # fmt: skip
def test_bad_macs_are_refused_with_a_reason(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_mac(raw)
    assert raw.strip() in exc.value.messages[0]


@given(
    st.binary(min_size=6, max_size=6).filter(
        lambda b: not b[0] & 1 and b not in (b"\0" * 6, b"\xff" * 6)
    )
)
def test_mac_normalization_is_idempotent(raw):
    once = normalize_mac(raw.hex())
    assert normalize_mac(once) == once
    assert normalize_mac(once.replace(":", "-").lower()) == once


@pytest.mark.parametrize(
    "raw,expected",
    [("(214) 555-0100", "+12145550100"), ("214.555.0100", "+12145550100"),
     ("+1 214 555 0100", "+12145550100"), ("1-800-555-0199", "+18005550199")],
)  # fmt: skip
def test_numbers_parse_to_e164(raw, expected):
    assert e164(parse_nanp(raw)) == expected


@pytest.mark.parametrize("raw", ["", "555-0100", "+44 20 7946 0958", "(011) 555-0100", "abc"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        parse_nanp(raw)


@pytest.mark.parametrize("npa", sorted(TOLL_FREE_NPAS))
def test_every_toll_free_npa_is_detected(npa):
    assert is_toll_free(parse_nanp(f"{npa}-555-0123"))


@settings(max_examples=400)
@given(
    npa=st.one_of(st.sampled_from(sorted(int(n) for n in TOLL_FREE_NPAS)), st.integers(200, 999)),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
)
def test_toll_free_is_what_libphonenumber_says_for_every_valid_nanp_number(npa, exchange, line):
    number = phonenumbers.parse(f"+1{npa}{exchange}{line:04d}")
    assume(phonenumbers.is_valid_number(number))
    libphonenumber = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE
    assert is_toll_free(number) == libphonenumber


def test_phone_number_kind_is_detected_on_save(world_a):
    tf = f.PhoneNumberFactory(migration=world_a["migration"], number="+18885550123")
    assert tf.kind == PhoneNumber.Kind.TOLL_FREE
    assert world_a["number"].kind == PhoneNumber.Kind.LOCAL


def test_number_status_only_moves_through_transitions(world_a):
    number = world_a["number"]
    with pytest.raises(AttributeError):
        number.status = "live"
    number.start_porting()
    number.mark_ported()
    number.go_live()
    number.save()
    number.refresh_from_db()
    assert number.status == "live"


def test_address_normalization_equates_suite_spellings():
    a = normalize_address("123 Main Street", "Suite 200", "Dallas", "TX", "75201")
    b = normalize_address("123 MAIN ST", "Ste 200", "dallas", "tx", "75201")
    assert a.ok and (a.line1, a.line2) == (b.line1, b.line2) == ("123 MAIN ST", "STE 200")


def test_unparseable_address_is_kept_with_an_error(world_a):
    site = world_a["site"]
    site.address_line1 = "PO Box"
    site.save()
    assert site.address_line1 == "PO Box"  # as entered is never lost
    result = normalize_address("", "", "Dallas", "TX", "75201")
    assert not result.ok and "No street address" in result.error


def test_timezone_must_be_iana():
    validate_timezone("America/Denver")
    with pytest.raises(ValidationError):
        validate_timezone("Mountain Time")


def test_states_are_validated_and_sorted():
    assert parse_state_list("tx; ca ny") == ["CA", "NY", "TX"]
    with pytest.raises(ValueError, match="ZZ"):
        parse_state_list("TX, ZZ")


def test_children_cannot_cross_organizations(world_a, world_b):
    endpoint = f.EndpointFactory.build(
        site=world_b["site"],
        migration=world_a["migration"],
        organization=world_a["migration"].organization,
    )
    with pytest.raises(ValidationError) as exc:
        endpoint.full_clean()
    assert "site" in exc.value.message_dict


def test_encryption_keys_rotate(settings, world_a):
    from cryptography.fernet import Fernet

    endpoint = world_a["endpoint"]
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    endpoint.refresh_from_db()
    assert endpoint.sip_password == "s3cret-SIP-pass"  # old ciphertext still readable
    assert fernet().decrypt(fernet().encrypt(b"x")) == b"x"


def test_services_derive_parents_before_validation(world_a, org_a, pm_a):
    from sites.models import Endpoint, Site
    from tenancy.services import save_org_object

    site = save_org_object(
        Site(migration=world_a["migration"], name="Plano", address_line1="1 Elm St",
             city="Plano", state="TX", postal_code="75024", timezone="America/Chicago"),
        organization=org_a, by=pm_a,
    )  # fmt: skip
    assert site.customer == world_a["customer"]
    endpoint = save_org_object(Endpoint(site=site, kind="softphone"), organization=org_a, by=pm_a)
    assert endpoint.migration == world_a["migration"]


def test_a_long_unparseable_address_is_saved_with_a_truncated_error(world_a):
    site = world_a["site"]
    site.address_line1 = "Building " + "x" * 190
    site.save()
    site.refresh_from_db()
    assert len(site.normalization_error) <= 300
