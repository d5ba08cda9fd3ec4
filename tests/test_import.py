"""Inventory import: one service behind the CLI and the upload page; all or nothing."""

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Migration
from inventory.formats import FORMATS, KINDS, MASK
from inventory.services import import_inventory
from porting.models import PhoneNumber
from sites.models import Endpoint, Site

from . import factories as f

PASSWORD = "Tr0ub4dor&3-secret"  # a SIP password that must never come back out

SITE_HEADER = [
    "name", "address_line1", "address_line2", "city", "state", "postal_code", "timezone",
    "seat_count",
]  # fmt: skip
ENDPOINT_HEADER = [
    "site", "kind", "mac_address", "make", "model", "firmware", "extension", "display_name",
    "user_email", "remote_worker", "sip_username", "sip_password",
]  # fmt: skip
NUMBER_HEADER = ["number", "purpose", "site", "endpoint_extension"]


def csv_of(header, *rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def site_row(name="Austin Office", **over):
    row = {
        "name": name, "address_line1": "500 Congress Ave", "address_line2": "Ste 300",
        "city": "Austin", "state": "tx", "postal_code": "78701", "timezone": "America/Chicago",
        "seat_count": "12",
    }  # fmt: skip
    row.update(over)
    return [row[c] for c in SITE_HEADER]


def endpoint_row(site="Austin Office", mac="00-04-f2-aa-00-01", ext="301", **over):
    row = {
        "site": site, "kind": "desk_phone", "mac_address": mac, "make": "Polycom",
        "model": "VVX 450", "firmware": "6.4.3", "extension": ext, "display_name": "Pat Doe",
        "user_email": "pat@acmetax.example", "remote_worker": "no", "sip_username": f"sip{ext}",
        "sip_password": PASSWORD,
    }  # fmt: skip
    row.update(over)
    return [row[c] for c in ENDPOINT_HEADER]


def number_row(number="(512) 555-0101", purpose="user_did", site="", ext=""):
    return [number, purpose, site, ext]


def counts():
    return (
        Site.objects.count(),
        Endpoint.objects.count(),
        PhoneNumber.objects.count(),
        Site.history.count(),
        Endpoint.history.count(),
        PhoneNumber.history.count(),
    )


def located(report):
    return {(e.file, e.row, e.column) for e in report.errors}


def good_files():
    return {
        "sites": csv_of(SITE_HEADER, site_row("Austin Office"), site_row("Plano Branch")),
        "endpoints": csv_of(
            ENDPOINT_HEADER,
            endpoint_row("Austin Office", "00-04-f2-aa-00-01", "301"),
            endpoint_row(
                "plano branch", "0004.F2AA.0002", "302", kind="Softphone", remote_worker="Yes"
            ),
            endpoint_row("Dallas HQ", "0004f2aa0003", "303", kind="FAX", sip_password=""),
        ),
        "numbers": csv_of(
            NUMBER_HEADER,
            number_row("(512) 555-0101", "user_did", "Austin Office", "301"),
            number_row("512.555.0102", "Main line", "", "302"),  # site from the endpoint
            number_row("+1 800 555 0199", "main_line", "Dallas HQ", ""),
            number_row("5125550103", "", "", "101"),  # an endpoint already in the migration
        ),
    }


# --- the service ----------------------------------------------------------------------


def test_good_import_creates_everything_with_history(world_a, pm_a):
    migration = world_a["migration"]
    report = import_inventory(migration, **good_files(), by=pm_a, reason="Site survey")

    assert report.ok, report.errors
    assert report.committed
    assert report.created == {"sites": 2, "endpoints": 3, "numbers": 4}
    assert report.summary() == "Imported 2 sites, 3 endpoints and 4 numbers."

    austin = Site.objects.get(migration=migration, name="Austin Office")
    assert austin.organization == world_a["customer"].organization
    assert austin.customer == world_a["customer"]
    assert austin.state == "TX"
    assert austin.seat_count == 12
    assert austin.normalized_line1 == "500 CONGRESS AVE"
    assert austin.normalized_line2 == "STE 300"

    phones = {e.extension: e for e in Endpoint.objects.filter(migration=migration)}
    assert phones["301"].mac_address == "00:04:F2:AA:00:01"
    assert phones["302"].mac_address == "00:04:F2:AA:00:02"
    assert phones["302"].kind == Endpoint.Kind.SOFTPHONE
    assert phones["302"].is_remote_worker is True
    assert phones["302"].site.name == "Plano Branch"
    assert phones["303"].site == world_a["site"]
    assert phones["303"].kind == Endpoint.Kind.FAX
    assert phones["301"].sip_password == PASSWORD
    assert all(e.organization_id == migration.organization_id for e in phones.values())

    numbers = {str(n.number): n for n in PhoneNumber.objects.filter(migration=migration)}
    assert numbers["+15125550101"].endpoint == phones["301"]
    assert numbers["+15125550102"].site.name == "Plano Branch"
    assert numbers["+15125550102"].purpose == PhoneNumber.Purpose.MAIN_LINE
    assert numbers["+18005550199"].kind == PhoneNumber.Kind.TOLL_FREE
    assert numbers["+15125550101"].kind == PhoneNumber.Kind.LOCAL
    assert numbers["+15125550103"].endpoint == world_a["endpoint"]
    assert numbers["+15125550103"].site == world_a["site"]
    assert numbers["+15125550101"].status == PhoneNumber.Status.LEGACY

    for objects in ([austin], phones.values(), numbers.values()):
        for obj in objects:
            if obj.pk in (world_a["site"].pk, world_a["endpoint"].pk, world_a["number"].pk):
                continue
            record = obj.history.get()
            assert record.history_type == "+"
            assert record.history_user == pm_a
            assert record.history_change_reason == "Site survey"
    # History never holds the SIP password.
    assert "sip_password" not in {f.name for f in Endpoint.history.model._meta.fields}


def test_default_reason_is_recorded(world_a, pm_a):
    report = import_inventory(world_a["migration"], sites=csv_of(SITE_HEADER, site_row()), by=pm_a)
    assert report.ok
    record = Site.objects.get(name="Austin Office").history.get()
    assert record.history_change_reason == "Inventory import from CSV"


def test_one_bad_row_anywhere_writes_nothing(world_a, pm_a):
    files = good_files()
    files["numbers"] = csv_of(
        NUMBER_HEADER,
        number_row("(512) 555-0101", "user_did", "Austin Office", "301"),
        number_row("(512) 555-0102"),
        number_row("555-0100"),  # row 4: not a full number
    )
    before = counts()

    report = import_inventory(world_a["migration"], **files, by=pm_a)

    assert not report.ok and not report.committed
    assert counts() == before
    assert report.created == {"sites": 0, "endpoints": 0, "numbers": 0}
    assert report.rows == {"sites": 2, "endpoints": 3, "numbers": 3}
    [error] = report.errors
    assert (error.file, error.row, error.column, error.value) == (
        "numbers",
        4,
        "number",
        "555-0100",
    )
    assert "not a valid NANP number" in error.message
    assert report.summary() == "Nothing was imported: 1 error."


def test_every_row_of_every_file_is_checked(world_a, pm_a):
    sites = csv_of(
        SITE_HEADER,
        site_row("Austin Office"),
        site_row("Bad State", state="XX"),  # row 3
        site_row("Bad Zip", postal_code="7870"),  # row 4
        site_row("Bad TZ", timezone="Central", seat_count="-3"),  # row 5: two errors
        site_row("", city=""),  # row 6: two required cells empty
    )
    endpoints = csv_of(
        ENDPOINT_HEADER,
        endpoint_row(kind="robot"),  # row 2
        endpoint_row(mac="01:00:5e:00:00:01", ext="302"),  # row 3: multicast
        endpoint_row(mac="", ext="3x", user_email="not-an-email"),  # row 4
        endpoint_row(mac="", ext="", remote_worker="maybe"),  # row 5
    )
    numbers = csv_of(
        NUMBER_HEADER,
        number_row("+44 20 7946 0958"),  # row 2
        number_row("(512) 555-0101", purpose="pager"),  # row 3
    )
    before = counts()
    report = import_inventory(
        world_a["migration"], sites=sites, endpoints=endpoints, numbers=numbers, by=pm_a
    )
    assert counts() == before
    assert located(report) == {
        ("sites", 3, "state"),
        ("sites", 4, "postal_code"),
        ("sites", 5, "timezone"),
        ("sites", 5, "seat_count"),
        ("sites", 6, "name"),
        ("sites", 6, "city"),
        ("endpoints", 2, "kind"),
        ("endpoints", 3, "mac_address"),
        ("endpoints", 4, "extension"),
        ("endpoints", 4, "user_email"),
        ("endpoints", 5, "remote_worker"),
        ("numbers", 2, "number"),
        ("numbers", 3, "purpose"),
    }
    # Sorted: file order, then row, then column order.
    assert [(e.file, e.row) for e in report.errors] == sorted(
        [(e.file, e.row) for e in report.errors], key=lambda t: (KINDS.index(t[0]), t[1])
    )
    messages = {(e.file, e.row, e.column): e.message for e in report.errors}
    assert "leading zero (07870?)" in messages[("sites", 4, "postal_code")]
    assert "multicast" in messages[("endpoints", 3, "mac_address")]
    assert "not one of: desk_phone" in messages[("endpoints", 2, "kind")]
    assert "North American" in messages[("numbers", 2, "number")]
    assert "Required" in messages[("sites", 6, "name")]


def test_missing_and_unknown_columns_are_file_errors(world_a, pm_a):
    header = [c for c in SITE_HEADER if c != "timezone"] + ["colour"]
    report = import_inventory(
        world_a["migration"], sites=csv_of(header, ["x"] * len(header)), by=pm_a
    )
    assert located(report) == {("sites", 1, "timezone"), ("sites", 1, "colour")}
    messages = " ".join(e.message for e in report.errors)
    assert "Required column “timezone” is missing" in messages
    assert "Unknown column “colour”. Allowed columns: name, address_line1" in messages


def test_header_is_matched_ignoring_case_and_spaces_and_optional_columns_may_be_omitted(
    world_a, pm_a
):
    sites = (
        "Name,Address Line1,CITY,State,Postal-Code,TimeZone\n"
        "Tiny,1 Elm St,Waco,TX,76701,america/chicago\n"
    )
    numbers = "number\n2545550111\n"
    report = import_inventory(world_a["migration"], sites=sites, numbers=numbers, by=pm_a)
    assert report.ok, report.errors
    tiny = Site.objects.get(name="Tiny")
    assert (tiny.timezone, tiny.seat_count, tiny.address_line2) == ("America/Chicago", 0, "")
    assert PhoneNumber.objects.get(number="+12545550111").purpose == PhoneNumber.Purpose.USER_DID


def test_duplicates_inside_a_file_name_both_rows(world_a, pm_a):
    sites = csv_of(SITE_HEADER, site_row("Austin Office"), site_row("AUSTIN office"))
    endpoints = csv_of(
        ENDPOINT_HEADER,
        endpoint_row(mac="00:04:F2:AA:00:01", ext="301"),
        endpoint_row(mac="0004f2aa0001", ext="302"),  # same MAC, other spelling
        endpoint_row(mac="00:04:F2:AA:00:03", ext="301"),  # same extension
    )
    numbers = csv_of(NUMBER_HEADER, number_row("(512) 555-0101"), number_row("+15125550101"))
    report = import_inventory(
        world_a["migration"], sites=sites, endpoints=endpoints, numbers=numbers, by=pm_a
    )
    messages = {(e.file, e.row, e.column): e.message for e in report.errors}
    assert messages == {
        ("sites", 3, "name"): "Site “AUSTIN office” is on rows 2 and 3 of this file.",
        ("endpoints", 3, "mac_address"): "MAC address 00:04:F2:AA:00:01 is on rows 2 and 3 "
        "of this file.",
        ("endpoints", 4, "extension"): "Extension 301 is on rows 2 and 4 of this file.",
        ("numbers", 3, "number"): "(512) 555-0101 is on rows 2 and 3 of this file.",
    }
    assert Site.objects.filter(name__iexact="austin office").count() == 0


def test_duplicates_against_the_database(world_a, pm_a):
    migration = world_a["migration"]
    other = f.MigrationFactory(customer=world_a["customer"], name="Acme phase 2")
    other_phone = f.EndpointFactory(site=f.SiteFactory(migration=other), extension="900")
    f.PhoneNumberFactory(migration=other, number="+15125550199")

    sites = csv_of(SITE_HEADER, site_row("dallas hq"))  # exists, other case
    endpoints = csv_of(
        ENDPOINT_HEADER,
        endpoint_row("Dallas HQ", mac=world_a["endpoint"].mac_address.lower(), ext="301"),
        endpoint_row("Dallas HQ", mac=other_phone.mac_address, ext="302"),  # other migration
        endpoint_row("Dallas HQ", mac="", ext="101"),  # extension already in this migration
        endpoint_row("Dallas HQ", mac="", ext="900"),  # fine: 900 is in the other migration
    )
    numbers = csv_of(
        NUMBER_HEADER,
        number_row(str(world_a["number"].number)),
        number_row("512-555-0199"),
    )
    before = counts()
    report = import_inventory(migration, sites=sites, endpoints=endpoints, numbers=numbers, by=pm_a)
    assert counts() == before
    messages = {(e.file, e.row, e.column): e.message for e in report.errors}
    assert set(messages) == {
        ("sites", 2, "name"),
        ("endpoints", 2, "mac_address"),
        ("endpoints", 3, "mac_address"),
        ("endpoints", 4, "extension"),
        ("numbers", 2, "number"),
        ("numbers", 3, "number"),
    }
    assert "“Dallas HQ” already exists in this migration" in messages[("sites", 2, "name")]
    assert "in this migration" in messages[("endpoints", 2, "mac_address")]
    assert "in migration “Acme phase 2”" in messages[("endpoints", 3, "mac_address")]
    assert "unique within the organization" in messages[("endpoints", 3, "mac_address")]
    assert (
        messages[("endpoints", 4, "extension")] == "Extension 101 already exists in this migration."
    )
    assert "in migration “Acme phase 2”" in messages[("numbers", 3, "number")]


def test_same_mac_and_number_in_another_organization_are_allowed(world_a, world_b, pm_a):
    endpoints = csv_of(
        ENDPOINT_HEADER, endpoint_row("Dallas HQ", mac=world_b["endpoint"].mac_address, ext="301")
    )
    numbers = csv_of(NUMBER_HEADER, number_row(str(world_b["number"].number)))
    report = import_inventory(world_a["migration"], endpoints=endpoints, numbers=numbers, by=pm_a)
    assert report.ok, report.errors
    assert Endpoint.objects.filter(mac_address=world_b["endpoint"].mac_address).count() == 2
    assert PhoneNumber.objects.filter(number=world_b["number"].number).count() == 2


def test_references_resolve_within_the_import_and_are_checked(world_a, pm_a):
    sites = csv_of(SITE_HEADER, site_row("Austin Office"))
    endpoints = csv_of(
        ENDPOINT_HEADER,
        endpoint_row("Austin Office", ext="301"),
        endpoint_row("Houston", mac="", ext="302"),  # row 3: no such site
    )
    numbers = csv_of(
        NUMBER_HEADER,
        number_row("5125550101", site="Austin Office", ext="301"),
        number_row("5125550102", ext="999"),  # row 3: no such extension
        number_row("5125550103", site="Nowhere"),  # row 4: no such site
        number_row("5125550104", site="Dallas HQ", ext="301"),  # row 5: 301 is in Austin
    )
    report = import_inventory(
        world_a["migration"], sites=sites, endpoints=endpoints, numbers=numbers, by=pm_a
    )
    messages = {(e.file, e.row, e.column): e.message for e in report.errors}
    assert set(messages) == {
        ("endpoints", 3, "site"),
        ("numbers", 3, "endpoint_extension"),
        ("numbers", 4, "site"),
        ("numbers", 5, "site"),
    }
    assert "No site named “Houston”" in messages[("endpoints", 3, "site")]
    assert "No endpoint with extension 999" in messages[("numbers", 3, "endpoint_extension")]
    assert "at site “Austin Office”, not “Dallas HQ”" in messages[("numbers", 5, "site")]


def test_an_unreadable_sites_file_does_not_bury_the_endpoints_in_reference_errors(world_a, pm_a):
    report = import_inventory(
        world_a["migration"],
        sites="name,city\nAustin Office,Austin\n",
        endpoints=csv_of(ENDPOINT_HEADER, endpoint_row("Austin Office")),
        by=pm_a,
    )
    assert {e.file for e in report.errors} == {"sites"}


def test_bom_crlf_and_blank_lines(world_a, pm_a):
    text = csv_of(SITE_HEADER, site_row("Austin Office"), ["", "", "", "", "", "", "", ""])
    text += "\n" + csv_of(SITE_HEADER, site_row("Waco", state="ZZ")).split("\n", 1)[1]
    text += "\n\n,,,\n"
    data = "\ufeff".encode() + text.replace("\n", "\r\n").encode("utf-8")
    report = import_inventory(world_a["migration"], sites=io.BytesIO(data), by=pm_a)
    # Row numbers count the blank rows, as a spreadsheet would show them.
    assert located(report) == {("sites", 5, "state")}

    good = "\ufeff".encode() + csv_of(SITE_HEADER, site_row("Austin Office")).encode() + b"\r\n\r\n"
    report = import_inventory(world_a["migration"], sites=good, by=pm_a)
    assert report.ok, report.errors
    assert Site.objects.filter(name="Austin Office").exists()


def test_text_file_objects_and_uploads_are_accepted(world_a, pm_a):
    upload = SimpleUploadedFile("numbers.csv", b"number\n5125550111\n", content_type="text/csv")
    report = import_inventory(
        world_a["migration"],
        sites=io.StringIO(csv_of(SITE_HEADER, site_row())),
        numbers=upload,
        by=pm_a,
    )
    assert report.ok and report.created["sites"] == 1 and report.created["numbers"] == 1


def test_non_utf8_and_binary_files_get_a_clear_error(world_a, pm_a):
    latin1 = csv_of(SITE_HEADER, site_row("Café Ñandú")).encode("latin-1")
    report = import_inventory(world_a["migration"], sites=latin1, by=pm_a)
    [error] = report.errors
    assert error.file == "sites" and error.row == 2
    assert "not UTF-8" in error.message and "CSV UTF-8" in error.message

    report = import_inventory(world_a["migration"], sites=b"PK\x03\x04rest-of-xlsx", by=pm_a)
    assert "spreadsheet workbook, not CSV" in report.errors[0].message

    report = import_inventory(world_a["migration"], sites=b"", by=pm_a)
    assert "empty" in report.errors[0].message

    report = import_inventory(
        world_a["migration"], sites="name;address_line1;city\nA;B;C\n", by=pm_a
    )
    assert "comma-separated" in report.errors[0].message


def test_size_and_row_limits(world_a, pm_a, settings):
    settings.INVENTORY_IMPORT_MAX_ROWS = 3
    rows = [number_row(f"51255501{i:02d}") for i in range(4)]
    report = import_inventory(world_a["migration"], numbers=csv_of(NUMBER_HEADER, *rows), by=pm_a)
    assert "4 rows; at most 3" in report.errors[0].message

    settings.INVENTORY_IMPORT_MAX_BYTES = 100
    report = import_inventory(
        world_a["migration"], numbers="number\n" + "5125550101\n" * 20, by=pm_a
    )
    assert "larger than the 100 bytes limit" in report.errors[0].message
    upload = SimpleUploadedFile("n.csv", b"number\n" + b"5125550101\n" * 20)
    report = import_inventory(world_a["migration"], numbers=upload, by=pm_a)
    assert "larger than" in report.errors[0].message
    assert PhoneNumber.objects.count() == 1


def test_row_with_too_many_cells_is_reported_without_echoing_it(world_a, pm_a):
    row = ",".join(endpoint_row("Dallas HQ")) + f",{PASSWORD}-shifted"
    text = ",".join(ENDPOINT_HEADER) + "\n" + row + "\n"
    report = import_inventory(world_a["migration"], endpoints=text, by=pm_a)
    [error] = report.errors
    assert (error.row, error.column, error.value) == (2, "", "")
    assert "unquoted comma" in error.message
    assert PASSWORD not in json.dumps(report.as_dict())


def test_enumerations_and_booleans_accept_value_or_label_in_any_case(world_a, pm_a):
    rows = [
        endpoint_row("Dallas HQ", mac="", ext=str(400 + i), kind=kind, remote_worker=flag)
        for i, (kind, flag) in enumerate(
            [("Desk Phone", "TRUE"), ("analog adapter (ata)", "1"), ("ATA", "false"),
             ("conference", "0"), ("DECT handset", "Y"), ("", "")]
        )
    ]  # fmt: skip
    numbers = csv_of(
        NUMBER_HEADER,
        number_row("5125550101", "Hunt-group pilot"),
        number_row("5125550102", "MODEM"),
        number_row("5125550103", "Modem / DSL"),
    )
    report = import_inventory(
        world_a["migration"], endpoints=csv_of(ENDPOINT_HEADER, *rows), numbers=numbers, by=pm_a
    )
    assert report.ok, report.errors
    got = dict(Endpoint.objects.filter(extension__startswith="40").values_list("extension", "kind"))
    assert got == {"400": "desk_phone", "401": "ata", "402": "ata", "403": "conference",
                   "404": "dect", "405": "desk_phone"}  # fmt: skip
    remote = set(Endpoint.objects.filter(is_remote_worker=True).values_list("extension", flat=True))
    assert remote == {"400", "401", "404"}
    purposes = set(
        PhoneNumber.objects.filter(number__startswith="+1512").values_list("purpose", flat=True)
    )
    assert purposes == {"hunt_pilot", "modem"}


def test_sip_password_is_encrypted_at_rest_and_never_reported(world_a, pm_a):
    report = import_inventory(
        world_a["migration"],
        endpoints=csv_of(ENDPOINT_HEADER, endpoint_row("Dallas HQ", ext="301")),
        by=pm_a,
    )
    assert report.ok
    phone = Endpoint.objects.get(extension="301")
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sip_password FROM {table} WHERE id = %s", [phone.pk])  # noqa: S608
        [raw] = cursor.fetchone()
    assert PASSWORD not in raw and raw.startswith("gAAAAA")  # Fernet token
    assert phone.sip_password == PASSWORD
    assert PASSWORD not in repr(phone)

    # A failing row with a password: the report masks it everywhere.
    bad = csv_of(
        ENDPOINT_HEADER,
        endpoint_row("Nowhere", mac="zz", ext="302", sip_password=PASSWORD),
        endpoint_row("Dallas HQ", mac="", ext="303", sip_password="x" * 1),
    )
    report = import_inventory(world_a["migration"], endpoints=bad, by=pm_a)
    assert not report.ok
    dumped = json.dumps(report.as_dict()) + repr(report) + report.summary()
    assert PASSWORD not in dumped
    assert all(e.column != "sip_password" or e.value in ("", MASK) for e in report.errors)


def test_unparseable_address_is_kept_with_a_warning(world_a, pm_a):
    long_street = "Building " + "x" * 190  # the parser's message quotes it: > 300 chars
    sites = csv_of(SITE_HEADER, site_row("Odd", address_line1=long_street, address_line2=""))
    report = import_inventory(world_a["migration"], sites=sites, by=pm_a)
    assert report.ok, report.errors
    [warning] = report.warnings
    assert (warning.file, warning.row, warning.column) == ("sites", 2, "address_line1")
    assert "could not be USPS-normalized" in warning.message
    odd = Site.objects.get(name="Odd")
    assert odd.address_line1 == long_street and odd.normalization_error
    assert odd.normalized_line1 == ""


def test_dry_run_validates_and_writes_nothing(world_a, pm_a):
    before = counts()
    report = import_inventory(world_a["migration"], **good_files(), by=pm_a, dry_run=True)
    assert report.ok and not report.committed
    assert counts() == before
    assert (
        report.summary() == "Dry run: no errors; would import 2 sites, 3 endpoints and 4 numbers."
    )


def test_closed_migration_refuses_imports(world_a, pm_a):
    migration = world_a["migration"]
    Migration.objects.filter(pk=migration.pk).update(status=Migration.Status.COMPLETED)
    report = import_inventory(migration, sites=csv_of(SITE_HEADER, site_row()), by=pm_a)
    assert "migration is completed" in report.errors[0].message
    assert not Site.objects.filter(name="Austin Office").exists()


def test_a_user_without_a_write_role_cannot_use_the_service(world_a, viewer_a, pm_b):
    from django.core.exceptions import PermissionDenied

    for user in (viewer_a, pm_b):
        with pytest.raises(PermissionDenied):
            import_inventory(world_a["migration"], sites=csv_of(SITE_HEADER, site_row()), by=user)


def test_a_conflicting_write_during_the_import_rolls_everything_back(world_a, pm_a, monkeypatch):
    from inventory import services

    real_write = services._write

    def racing_write(validator, **kwargs):
        # Another request takes the MAC after validation, before the insert.
        f.EndpointFactory(site=world_a["site"], mac_address="00:04:F2:AA:00:01", extension="")
        return real_write(validator, **kwargs)

    monkeypatch.setattr(services, "_write", racing_write)
    before = counts()
    report = import_inventory(world_a["migration"], **good_files(), by=pm_a)
    assert not report.ok and not report.committed
    assert "conflicted" in report.errors[0].message
    assert counts() == before


def test_validation_runs_a_bounded_number_of_queries(world_a, pm_a):
    def files(n):
        return {
            "sites": csv_of(SITE_HEADER, *[site_row(f"Site {i}") for i in range(n)]),
            "endpoints": csv_of(
                ENDPOINT_HEADER,
                *[
                    endpoint_row(f"Site {i % n}", f"0004F2B{i:05X}", str(5000 + i))
                    for i in range(n)
                ],
            ),
            "numbers": csv_of(
                NUMBER_HEADER,
                *[
                    number_row(f"512555{i:04d}", site=f"Site {i % n}", ext=str(5000 + i))
                    for i in range(n)
                ],
            ),
        }

    query_counts = []
    for n in (10, 200):
        with CaptureQueriesContext(connection) as ctx:
            report = import_inventory(world_a["migration"], **files(n), by=pm_a, dry_run=True)
        assert report.ok, report.errors[:3]
        query_counts.append(len(ctx.captured_queries))
    assert query_counts[0] == query_counts[1]
    assert query_counts[1] <= 10

    # The write is bulk too: batches, not a query per row (SQLite's 999-parameter limit
    # makes its batches ~50 rows; PostgreSQL inserts 1,000 rows per query).
    with CaptureQueriesContext(connection) as ctx:
        report = import_inventory(world_a["migration"], **files(200), by=pm_a)
    assert report.ok and report.created == {"sites": 200, "endpoints": 200, "numbers": 200}
    assert len(ctx.captured_queries) < 60


# --- the management command -----------------------------------------------------------


@pytest.fixture
def csv_files(tmp_path):
    def write(**contents):
        paths = {}
        for kind, text in contents.items():
            path = tmp_path / f"{kind}.csv"
            path.write_text(text, encoding="utf-8")
            paths[kind] = str(path)
        return paths

    return write


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_inventory", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_and_prints_counts(world_a, pm_a, csv_files):
    paths = csv_files(**good_files())
    out, _ = run(
        "--migration", str(world_a["migration"].uuid), "--sites", paths["sites"],
        "--endpoints", paths["endpoints"], "--numbers", paths["numbers"],
        "--user", "pm_a", "--reason", "From the CLI",
    )  # fmt: skip
    assert "Imported 2 sites, 3 endpoints and 4 numbers." in out
    assert (
        Site.objects.get(name="Plano Branch").history.get().history_change_reason == "From the CLI"
    )
    assert Site.objects.get(name="Plano Branch").history.get().history_user == pm_a


def test_command_dry_run_writes_nothing(world_a, pm_a, csv_files):
    paths = csv_files(sites=good_files()["sites"])
    before = counts()
    out, _ = run("--migration", str(world_a["migration"].uuid), "--sites", paths["sites"],
                 "--user", "pm_a", "--dry-run")  # fmt: skip
    assert "Dry run: no errors; would import 2 sites" in out
    assert counts() == before


def test_command_reports_each_error_and_exits_nonzero(world_a, pm_a, csv_files):
    paths = csv_files(
        sites=csv_of(SITE_HEADER, site_row("Austin Office", state="XX")),
        endpoints=csv_of(ENDPOINT_HEADER, endpoint_row("Austin Office", mac="nope")),
    )
    before = counts()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 errors"):
        call_command(
            "import_inventory", "--migration", str(world_a["migration"].uuid),
            "--sites", paths["sites"], "--endpoints", paths["endpoints"], "--user", "pm_a",
            stdout=out, stderr=err,
        )  # fmt: skip
    lines = err.getvalue().strip().splitlines()
    assert lines[0].startswith(f"{paths['sites']}, row 2, column state: “XX” is not a USPS")
    assert lines[1].startswith(f"{paths['endpoints']}, row 2, column mac_address: ")
    assert PASSWORD not in err.getvalue() + out.getvalue()
    assert counts() == before


def test_command_json_report(world_a, pm_a, csv_files):
    paths = csv_files(endpoints=csv_of(ENDPOINT_HEADER, endpoint_row("Nowhere")))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_inventory", "--migration", str(world_a["migration"].uuid),
                     "--endpoints", paths["endpoints"], "--user", "pm_a", "--json",
                     stdout=out, stderr=io.StringIO())  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["ok"] is False and data["committed"] is False
    assert data["errors"][0] | {"message": ""} == {
        "file": "endpoints", "row": 2, "column": "site", "value": "Nowhere", "message": "",
    }  # fmt: skip
    assert PASSWORD not in out.getvalue()

    paths = csv_files(numbers="number\n5125550111\n")
    out, _ = run("--migration", str(world_a["migration"].uuid), "--numbers", paths["numbers"],
                 "--user", "pm_a", "--json")  # fmt: skip
    data = json.loads(out)
    assert data["ok"] is True and data["created"] == {"sites": 0, "endpoints": 0, "numbers": 1}


def test_command_refuses_users_without_a_write_role(world_a, viewer_a, pm_b, csv_files):
    paths = csv_files(sites=csv_of(SITE_HEADER, site_row()))
    for username in ("viewer_a", "pm_b"):
        with pytest.raises(CommandError, match="not an owner or project manager"):
            run("--migration", str(world_a["migration"].uuid), "--sites", paths["sites"],
                "--user", username)  # fmt: skip
    with pytest.raises(CommandError, match="No active user"):
        run("--migration", str(world_a["migration"].uuid), "--sites", paths["sites"],
            "--user", "nobody")  # fmt: skip
    with pytest.raises(CommandError, match="No migration"):
        run("--migration", "00000000-0000-0000-0000-000000000000", "--sites", paths["sites"],
            "--user", "pm_b")  # fmt: skip
    with pytest.raises(CommandError, match="Cannot read --sites"):
        run("--migration", str(world_a["migration"].uuid), "--sites", "/nonexistent.csv",
            "--user", "pm_a")  # fmt: skip
    assert not Site.objects.filter(name="Austin Office").exists()


# --- the upload page ------------------------------------------------------------------


def import_url(org, migration):
    return reverse("inventory-import", args=[org.slug, migration.uuid])


def uploads(**contents):
    return {
        kind: SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")
        for kind, text in contents.items()
    }


def test_upload_page_shows_form_columns_and_templates(client, world_a, pm_a, org_a):
    client.force_login(pm_a)
    response = client.get(import_url(org_a, world_a["migration"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    for kind in KINDS:
        assert reverse("inventory-template", args=[org_a.slug, kind]) in html
        for column in FORMATS[kind].columns:
            assert f"<code>{column.name}</code>" in html
    assert 'data-testid="import-errors"' not in html


def test_templates_download_and_import_together(client, world_a, pm_a, org_a):
    client.force_login(pm_a)
    files = {}
    for kind in KINDS:
        response = client.get(reverse("inventory-template", args=[org_a.slug, kind]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f'filename="{kind}-template.csv"' in response["Content-Disposition"]
        files[kind] = response.content.decode()
        assert files[kind].splitlines()[0] == ",".join(FORMATS[kind].column_names)
    assert client.get(reverse("inventory-template", args=[org_a.slug, "pets"])).status_code == 404

    # The example rows agree with each other, so they import as a set (a fresh migration).
    fresh = f.MigrationFactory(customer=world_a["customer"])
    report = import_inventory(fresh, **files, by=pm_a)
    assert report.ok, report.errors


def test_upload_success_redirects_to_the_migration_with_counts(client, world_a, pm_a, org_a):
    client.force_login(pm_a)
    migration = world_a["migration"]
    response = client.post(
        import_url(org_a, migration), {**uploads(**good_files()), "reason": "Browser upload"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("migration-detail", args=[org_a.slug, migration.uuid])
    page = client.get(response["Location"])
    assert "Imported 2 sites, 3 endpoints and 4 numbers." in page.content.decode()
    record = Endpoint.objects.get(extension="301").history.get()
    assert (record.history_user, record.history_change_reason) == (pm_a, "Browser upload")


def test_upload_failure_shows_every_error_and_writes_nothing(client, world_a, pm_a, org_a):
    client.force_login(pm_a)
    files = good_files()
    files["endpoints"] = csv_of(
        ENDPOINT_HEADER,
        endpoint_row("Austin Office", ext="301"),
        endpoint_row("Austin Office", mac="00:04:F2:AA:00:09", ext="3x", sip_password=PASSWORD),
    )
    before = counts()
    response = client.post(import_url(org_a, world_a["migration"]), uploads(**files))
    assert response.status_code == 200
    assert counts() == before
    html = response.content.decode()
    assert 'data-testid="import-nothing-imported"' in html
    assert "Nothing was imported." in html
    table = re.search(r'<table class="table" data-testid="import-errors">.*?</table>', html, re.S)
    assert table
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", table[0], re.S)
    ]
    assert cells[:4] == ["endpoints", "3", "extension", "3x"]
    assert "is not an extension" in cells[4]
    assert cells[5:9] == ["numbers", "3", "endpoint_extension", "302"]
    assert PASSWORD not in html


def test_upload_without_files_is_a_form_error(client, world_a, pm_a, org_a):
    client.force_login(pm_a)
    response = client.post(import_url(org_a, world_a["migration"]), {"reason": "x"})
    assert response.status_code == 200
    assert "Choose at least one CSV file" in response.content.decode()


def test_oversized_upload_is_refused_before_parsing(client, world_a, pm_a, org_a, settings):
    settings.INVENTORY_IMPORT_MAX_BYTES = 1000
    client.force_login(pm_a)
    big = "number\n" + "5125550101\n" * 20_000
    response = client.post(import_url(org_a, world_a["migration"]), uploads(numbers=big))
    assert response.status_code == 413
    assert 'data-testid="import-nothing-imported"' in response.content.decode()
    assert PhoneNumber.objects.count() == 1


def test_viewer_sees_the_page_but_cannot_post(client, world_a, viewer_a, org_a):
    client.force_login(viewer_a)
    url = import_url(org_a, world_a["migration"])
    response = client.get(url)
    assert response.status_code == 200
    assert 'data-testid="import-form"' not in response.content.decode()
    before = counts()
    assert client.post(url, uploads(**good_files())).status_code == 403
    assert counts() == before


def test_another_organization_gets_404(client, world_a, world_b, pm_b, org_a, org_b):
    client.force_login(pm_b)
    migration = world_a["migration"]
    before = counts()
    for url in (import_url(org_a, migration), import_url(org_b, migration)):
        assert client.get(url).status_code == 404
        assert client.post(url, uploads(**good_files())).status_code == 404
    assert client.get(reverse("inventory-template", args=[org_a.slug, "sites"])).status_code == 404
    assert counts() == before
    # ... and their own migration works for them.
    assert client.get(import_url(org_b, world_b["migration"])).status_code == 200


def test_anonymous_users_are_sent_to_log_in(client, world_a, org_a):
    response = client.get(import_url(org_a, world_a["migration"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_error_reports_never_show_row_data(rf, world_a, pm_a, org_a, monkeypatch):
    """A crash mid-import must not put SIP passwords into Django's error report."""
    import sys

    from django.views.debug import ExceptionReporter

    from inventory import services
    from inventory.views import InventoryImportView

    real = services.bulk_create_with_reason

    def crash_on_endpoints(model, objs, **kwargs):
        if model is Endpoint:
            raise RuntimeError("database went away")
        return real(model, objs, **kwargs)

    monkeypatch.setattr(services, "bulk_create_with_reason", crash_on_endpoints)
    request = rf.post("/", {"reason": "r"})
    try:
        import_inventory(world_a["migration"], **good_files(), by=pm_a)
    except RuntimeError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "database went away" in text and "_write" in text
    assert PASSWORD not in text

    # The upload view marks every POST parameter sensitive.
    request = rf.get("/")
    request.user = pm_a
    view = InventoryImportView.as_view()
    view(request, org_slug=org_a.slug, migration_uuid=world_a["migration"].uuid)
    assert request.sensitive_post_parameters == "__ALL__"


# --- docs -----------------------------------------------------------------------------


def test_docs_describe_every_column_and_the_command():
    root = Path(__file__).resolve().parent.parent
    formats_doc = (root / "docs" / "csv-formats.md").read_text()
    for fmt in FORMATS.values():
        for column in fmt.columns:
            assert f"`{column.name}`" in formats_doc, column.name
    cli_doc = (root / "docs" / "cli.md").read_text()
    for option in ("--migration", "--sites", "--endpoints", "--numbers", "--user", "--reason",
                   "--dry-run", "--json"):  # fmt: skip
        assert option in cli_doc


def test_the_example_files_in_the_docs_import_together(db):
    root = Path(__file__).resolve().parent.parent
    blocks = re.findall(r"```csv\n(.*?)```", (root / "docs" / "csv-formats.md").read_text(), re.S)
    assert len(blocks) == 3
    report = import_inventory(f.MigrationFactory(), **dict(zip(KINDS, blocks, strict=True)))
    assert report.ok, report.errors
    assert report.created == {"sites": 2, "endpoints": 3, "numbers": 4}
    fax = PhoneNumber.objects.get(number="+12145550190")
    assert fax.endpoint.kind == Endpoint.Kind.FAX and fax.site.name == "Dallas HQ"


# --- scale ----------------------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_endpoints_and_numbers(world_a, pm_a):
    """10,000 endpoints + 10,000 numbers through the service (INVENTORY_BENCH_ROWS to vary).
    The measured figure is recorded in docs/csv-formats.md."""
    n = int(os.environ.get("INVENTORY_BENCH_ROWS", "10000"))
    sites = csv_of(SITE_HEADER, *[site_row(f"Floor {i}") for i in range(20)])
    endpoints = csv_of(
        ENDPOINT_HEADER,
        *[endpoint_row(f"Floor {i % 20}", f"0004F2C{i:05X}", str(10000 + i)) for i in range(n)],
    )
    numbers = csv_of(
        NUMBER_HEADER,
        *[number_row(f"+1512{2000000 + i:07d}", site="", ext=str(10000 + i)) for i in range(n)],
    )
    started = time.perf_counter()
    report = import_inventory(
        world_a["migration"], sites=sites, endpoints=endpoints, numbers=numbers, by=pm_a
    )
    elapsed = time.perf_counter() - started
    assert report.ok, report.errors[:5]
    assert report.created == {"sites": 20, "endpoints": n, "numbers": n}
    assert Endpoint.history.count() == n + 1
    print(f"\n{connection.vendor}: {n} endpoints + {n} numbers imported in {elapsed:.1f} s")
    assert elapsed < 60
