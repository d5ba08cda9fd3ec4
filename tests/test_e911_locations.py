"""E911 points 1-3: dispatchable locations and their validation, coverage of every
911-capable endpoint, and registrations made before port day."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from e911.locations import selectors
from e911.locations.selectors import coverage, port_day_e911_refusal
from e911.locations.services import (
    assign_endpoint,
    change_location,
    create_location,
    set_registration,
)
from e911.models import DispatchableLocation, EndpointE911, RemoteWorker
from e911.rules import DISPATCH_LINE_MAX, dispatch_problems, dispatch_second_line, unit_part
from e911.validation import ValidationResult
from tenancy.rules import TransitionRefused

from . import factories as f
from .e911_helpers import e911_ready

ADDRESS = {
    "address_line1": "123 Main Street", "city": "Dallas", "state": "TX", "postal_code": "75201",
}  # fmt: skip


# --- rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("designator", "value", "expected"),
    [
        ("SUITE", "200", "STE 200"),
        ("SUITE", "Suite 200", "STE 200"),
        ("SUITE", "ste. 200", "STE 200"),
        ("FLOOR", "3", "FL 3"),
        ("FLOOR", "floor 3", "FL 3"),
        ("ROOM", "Rm 12", "RM 12"),
        ("ROOM", "", ""),
    ],
)
def test_unit_designators_follow_usps(designator, value, expected):
    assert unit_part(designator, value) == expected


def test_second_line_combines_floor_suite_room():
    assert dispatch_second_line("3", "Suite 200", "12") == "FL 3 STE 200 RM 12"


@given(st.text(alphabet="0123456789ABC ", max_size=30), st.text(alphabet="0123456789", max_size=30))
def test_second_line_is_upper_case_abbreviated_and_deterministic(suite, room):
    line = dispatch_second_line("", suite, room)
    assert line == line.upper() and line == dispatch_second_line("", suite, room)
    assert "SUITE" not in line and "ROOM " not in line


@pytest.mark.parametrize(
    ("line1", "state", "zip_code", "code"),
    [
        ("PO Box 12", "TX", "75201", "po_box"),
        ("Main Street", "TX", "75201", "no_house_number"),
        ("123 Main Street", "XX", "75201", "unknown_state"),
        ("123 Main Street", "TX", "7520", "unknown_zip"),
    ],
)
def test_what_a_dispatcher_cannot_use(line1, state, zip_code, code):
    assert code in [p.code for p in dispatch_problems(line1, "Dallas", state, zip_code)]


# --- locations --------------------------------------------------------------------------


@pytest.fixture
def site(world_a):
    return world_a["site"]


def test_offline_validation_normalizes_and_builds_the_dispatch_line(site, pm_a):
    location = create_location(
        migration=site.migration, by=pm_a, site=site, floor="3", suite="Ste 200", room="12",
        address_line1="123 main st", city="dallas", state="tx", postal_code="75201",
    )  # fmt: skip
    assert location.validation_status == "normalized" and location.dispatchable
    assert (location.normalized_line1, location.normalized_line2) == (
        "123 MAIN ST", "FL 3 STE 200 RM 12",
    )  # fmt: skip
    assert (location.address_line1, location.state) == ("123 main st", "TX")  # kept as entered


def test_po_box_fails_with_the_reason(site, pm_a):
    location = create_location(migration=site.migration, by=pm_a, site=site,
                               **{**ADDRESS, "address_line1": "PO Box 77"})  # fmt: skip
    assert location.validation_status == "failed" and not location.dispatchable
    assert "PO box" in location.validation_message


def test_a_second_line_over_sixty_characters_fails(site, pm_a):
    location = create_location(migration=site.migration, by=pm_a, site=site, **ADDRESS,
                               floor="A" * 20, suite="B" * 20, room="C" * 20)  # fmt: skip
    assert location.validation_status == "failed"
    assert f"{DISPATCH_LINE_MAX}" in location.validation_message
    assert len(location.normalized_line2) <= DISPATCH_LINE_MAX


class FakeProvider:
    """A carrier's E911 API: its corrected answer is final."""

    name = "Acme E911 API"

    def validate(self, address):
        return ValidationResult(
            status="validated", message="MSAG valid", line1="123 N MAIN ST", line2="STE 200",
            city="DALLAS", state="TX", postal_code="75201-1234", reference="ACME-42",
        )  # fmt: skip


def test_a_provider_adapter_is_set_in_settings_and_its_answer_is_final(site, pm_a, settings):
    settings.E911_VALIDATOR = "tests.test_e911_locations.FakeProvider"
    location = create_location(migration=site.migration, by=pm_a, site=site, **ADDRESS)
    assert (location.validation_status, location.validator, location.provider_reference) == (
        "validated", "Acme E911 API", "ACME-42",
    )  # fmt: skip
    assert location.one_line == "123 N MAIN ST, STE 200, DALLAS TX 75201-1234"


def test_a_validated_location_is_never_edited_in_place(site, pm_a, settings):
    settings.E911_VALIDATOR = "tests.test_e911_locations.FakeProvider"
    location = create_location(migration=site.migration, by=pm_a, site=site, **ADDRESS,
                               is_site_default=True)  # fmt: skip
    location.room = "14"
    with pytest.raises(ValidationError, match="never edited"):
        location.full_clean()
    endpoint = f.EndpointFactory(site=site)
    assign_endpoint(endpoint, by=pm_a, location=DispatchableLocation.objects.get(pk=location.pk))
    new = change_location(DispatchableLocation.objects.get(pk=location.pk), by=pm_a, room="14")
    old = DispatchableLocation.objects.get(pk=location.pk)
    assert (old.is_current, old.superseded_by_id, old.room) == (False, new.pk, "")
    assert new.is_current and new.is_site_default and new.room == "14"
    assert EndpointE911.objects.get(endpoint=endpoint).location_id == new.pk
    assert old.history.count() >= 2  # kept, with who and why


# --- coverage ---------------------------------------------------------------------------


@pytest.fixture
def office(world_a):
    migration = world_a["migration"]
    return f.SiteFactory(migration=migration, name="Plano")


def test_coverage_per_endpoint_kind_and_source(office, pm_a):
    migration = office.migration
    desk = f.EndpointFactory(site=office, kind="desk_phone")
    fax = f.EndpointFactory(site=office, kind="fax")
    softphone = f.EndpointFactory(site=office, kind="softphone", is_remote_worker=True)
    report = coverage(migration)
    rows = {row.endpoint.pk: row for row in report.rows}
    assert not rows[desk.pk].covered and "default location" in rows[desk.pk].problem

    create_location(migration=migration, by=pm_a, site=office, is_site_default=True, **ADDRESS)
    assign_endpoint(fax, by=pm_a, non_dialing=True, exempt_reason="receive-only fax line")
    rows = {row.endpoint.pk: row for row in coverage(migration).rows}
    assert rows[desk.pk].covered and rows[desk.pk].source == "site default"
    assert rows[fax.pk].source == "exempt" and rows[fax.pk].problem == "receive-only fax line"
    # The office address never covers a remote worker's softphone.
    assert not rows[softphone.pk].covered and rows[softphone.pk].source == "home"


def test_a_desk_phone_cannot_be_exempted(office, pm_a):
    desk = f.EndpointFactory(site=office, kind="desk_phone")
    with pytest.raises(ValidationError, match="can dial 911"):
        assign_endpoint(desk, by=pm_a, non_dialing=True, exempt_reason="never used")


def test_twenty_two_remote_workers_on_the_office_address_are_all_uncovered(office, pm_a):
    """Remote workers left on the office's 911 address are not covered: a dispatcher would
    be sent to the office for a call from home (RAY BAUM'S Act; docs/domain-rules.md)."""
    migration = office.migration
    create_location(migration=migration, by=pm_a, site=office, is_site_default=True, **ADDRESS)
    for i in range(22):
        phone = f.EndpointFactory(site=office, kind="softphone", is_remote_worker=True)
        worker = RemoteWorker.objects.create(migration=migration, name=f"W{i}",
                                             email=f"w{i}@acme.example")  # fmt: skip
        worker.endpoints.add(phone)
    report = coverage(migration)
    missing = [row for row in report.missing if row.source == "home"]
    assert len(missing) == 22
    assert all("home location" in row.problem for row in missing)
    assert report.by_site[office]["total"] == 22 and report.by_site[office]["covered"] == 0


def test_a_phone_shared_by_two_workers_is_judged_on_the_first_by_name(office, pm_a):
    """Whichever worker was linked first, the rule reads the workers in name order."""
    from django.utils import timezone

    migration = office.migration
    phone = f.EndpointFactory(site=office, kind="softphone", is_remote_worker=True)
    zoe = RemoteWorker.objects.create(migration=migration, name="Zoe", email="z@acme.example",
                                      confirmed_at=timezone.now())  # fmt: skip
    create_location(migration=migration, by=pm_a, remote_worker=zoe, **ADDRESS)
    zoe.endpoints.add(phone)  # linked first, home confirmed
    adam = RemoteWorker.objects.create(migration=migration, name="Adam", email="a@acme.example")
    adam.endpoints.add(phone)  # linked later, not confirmed
    for load in ("all", "missing"):
        (row,) = [r for r in coverage(migration, load=load).rows if r.endpoint_id == phone.pk]
        assert not row.covered and row.problem == "No home location for Adam."
        assert row.endpoint == phone  # an uncovered row always carries its endpoint


def test_an_endpoint_deleted_while_coverage_reads_is_left_out(office, pm_a, monkeypatch):
    """The reads are separate queries: a row whose endpoint is gone by the time the
    objects are loaded is dropped, not looked up blindly (a 500 on the dashboard)."""

    migration = office.migration
    kept = f.EndpointFactory(site=office)
    doomed = f.EndpointFactory(site=office)
    real = selectors._attach_endpoints

    def delete_first(*args, **kwargs):
        doomed.delete()
        return real(*args, **kwargs)

    doomed_pk = doomed.pk
    monkeypatch.setattr(selectors, "_attach_endpoints", delete_first)
    report = coverage(migration)
    ids = [row.endpoint_id for row in report.rows]
    assert kept.pk in ids and doomed_pk not in ids
    assert report.by_site[office]["total"] == 1


def test_coverage_runs_a_fixed_number_of_queries(office, pm_a):
    migration = office.migration
    create_location(migration=migration, by=pm_a, site=office, is_site_default=True, **ADDRESS)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            coverage(migration)
        return len(ctx)

    first = RemoteWorker.objects.create(migration=migration, name="W", email="w@acme.example")
    first.endpoints.add(f.EndpointFactory(site=office, kind="softphone", is_remote_worker=True))
    f.EndpointFactory(site=office)
    small = queries()
    for i in range(30):
        endpoint = f.EndpointFactory(site=office, kind="softphone", is_remote_worker=i % 2 == 0)
        if i % 2 == 0:
            worker = RemoteWorker.objects.create(migration=migration, name=f"W{i}",
                                                 email=f"q{i}@acme.example")  # fmt: skip
            worker.endpoints.add(endpoint)
    assert queries() == small


# --- registrations and the port-day gate -----------------------------------------------


def test_port_day_needs_active_registrations_and_located_endpoints(world_a, pm_a):
    from porting.services import acknowledge_warnings, transition_order

    from .signing import sign_loa

    order = world_a["port_order"]
    number = world_a["number"]
    sign_loa(order.current_loa(), by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "submit_loa", by=pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=timezone.now())
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "start_port_day", by=pm_a)
    assert exc.value.rule == "e911_ready"
    assert "not registered at the winning carrier" in exc.value.message

    site = world_a["site"]
    location = create_location(migration=site.migration, by=pm_a, site=site, **ADDRESS)
    set_registration(migration=site.migration, by=pm_a, number=number, status="pending",
                     location=location)  # fmt: skip
    assert "registration pending" in port_day_e911_refusal(order)
    set_registration(migration=site.migration, by=pm_a, number=number, status="active")
    if number.endpoint_id:  # its phone needs a location too
        assert "default location" in port_day_e911_refusal(order)
    e911_ready(order, pm_a)
    assert port_day_e911_refusal(order) is None
    assert transition_order(order, "start_port_day", by=pm_a).state == "port_day"


def test_registration_rules(world_a, pm_a, viewer_a):
    site, number = world_a["site"], world_a["number"]
    with pytest.raises(ValidationError, match="names the location"):
        set_registration(migration=site.migration, by=pm_a, number=number, status="active")
    failed = create_location(migration=site.migration, by=pm_a, site=site,
                             **{**ADDRESS, "address_line1": "PO Box 1"})  # fmt: skip
    with pytest.raises(ValidationError, match="normalized or validated"):
        set_registration(migration=site.migration, by=pm_a, number=number, status="active",
                         location=failed)  # fmt: skip
    with pytest.raises(TransitionRefused):
        set_registration(migration=site.migration, by=viewer_a, number=number, status="pending")
