"""Builders for the benchmarks' data: an organization, inventory CSV of any size, and a
migration at scale with its porting, E911, pre-flight and cutover rows.

The inventory goes in through the import service (its own fast path); the rows the
benchmarks only need to exist (registrations, pre-flights) are bulk-inserted, since
building them is not what is measured."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

AREA_CODES = ("214", "972", "469", "817", "682", "945")
SEATS_PER_SITE = 250
STATES = [("Dallas", "TX", "75201", "America/Chicago"), ("Denver", "CO", "80202", "America/Denver"),
          ("Phoenix", "AZ", "85004", "America/Phoenix"),
          ("Columbus", "OH", "43215", "America/New_York")]  # fmt: skip


def organization(label: str):
    """A new organization with an owner (also a member's login for the page cases)."""
    from tenancy.models import Membership, Organization
    from tenancy.roles import Role

    tag = f"{label}-{uuid.uuid4().hex[:6]}"
    org = Organization.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    owner = get_user_model().objects.create_user(
        username=f"owner-{tag}", email=f"owner-{tag}@bench.example", password=None
    )  # fmt: skip
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    return org, owner


def empty_migration(org, owner, name="Bench migration"):
    from customers.models import Customer, Migration

    customer = Customer.objects.create(
        organization=org, legal_name=f"{name} Holdings LLC", main_contact_name="Pat Doe",
        main_contact_email="pat@customer.example",
    )  # fmt: skip
    return Migration.objects.create(organization=org, customer=customer, name=name, owner=owner)


def mac(i: int) -> str:
    return f"00:04:F2:{(i >> 16) & 255:02X}:{(i >> 8) & 255:02X}:{i & 255:02X}"


def number(i: int) -> str:
    return f"+1{AREA_CODES[i // 10_000]}555{i % 10_000:04d}"


def site_name(i: int) -> str:
    return f"Office {i + 1:03d}"


def site_count(endpoints: int) -> int:
    return max(1, -(-endpoints // SEATS_PER_SITE))


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def inventory_csv(endpoints: int, numbers: int) -> dict[str, str]:
    """sites.csv, endpoints.csv and numbers.csv (the formats of docs/csv-formats.md):
    a site per 250 seats, endpoints spread over the sites, numbers on the endpoints
    (extra numbers are site main lines)."""
    sites = site_count(max(endpoints, 1))
    site_rows = []
    for i in range(sites):
        city, state, zip_code, zone = STATES[i % len(STATES)]
        site_rows.append(
            [site_name(i), f"{100 + i} Main Street", f"Suite {200 + i}", city, state, zip_code,
             zone, SEATS_PER_SITE]
        )  # fmt: skip
    endpoint_rows = []
    for i in range(endpoints):
        remote = i % 100 == 99  # 1 % remote workers
        kind = "softphone" if remote else ("fax" if i % 250 == 7 else "desk_phone")
        endpoint_rows.append(
            [site_name(i % sites), kind, "" if remote else mac(i), "Polycom", "VVX 450",
             "6.4.3", str(10_000 + i), f"User {i}", f"user{i}@customer.example",
             "yes" if remote else "no", f"sip{i}", f"pw-{i:06d}"]
        )  # fmt: skip
    number_rows = []
    for i in range(numbers):
        if i < endpoints:
            number_rows.append([number(i), "user_did", "", str(10_000 + i)])
        else:
            number_rows.append([number(i), "main_line", site_name(i % sites), ""])
    return {
        "sites": _csv(["name", "address_line1", "address_line2", "city", "state",
                       "postal_code", "timezone", "seat_count"], site_rows),
        "endpoints": _csv(["site", "kind", "mac_address", "make", "model", "firmware",
                           "extension", "display_name", "user_email", "remote_worker",
                           "sip_username", "sip_password"], endpoint_rows),
        "numbers": _csv(["number", "purpose", "site", "endpoint_extension"], number_rows),
    }  # fmt: skip


def import_inventory(migration, owner, endpoints: int, numbers: int):
    return import_inventory_files(migration, owner, inventory_csv(endpoints, numbers))


def import_inventory_files(migration, owner, files: dict[str, str]):
    from inventory.services import import_inventory as service

    report = service(migration, **files, by=owner, reason="benchmark data")
    if not report.ok:
        raise RuntimeError(f"benchmark inventory refused: {report.summary()}")
    return report


def migration_at_scale(org, owner, endpoints: int, name="Bench migration"):
    """A migration in the middle of its cutover, `endpoints` seats (a number each):
    a site per 250 seats with a validated 911 location and an FOC-confirmed port order
    per site, its cutover steps, every number registered for 911, the remote workers'
    homes confirmed, and half the phones through pre-flight."""
    from cutover.models import Preflight
    from cutover.steps.services import generate_steps
    from e911.locations.services import assign_endpoint, create_location
    from e911.models import Registration, RemoteWorker
    from porting.models import CarrierAccount, PhoneNumber, PortOrder
    from porting.services import create_port_order

    migration = empty_migration(org, owner, name)
    import_inventory(migration, owner, endpoints, endpoints)
    now = timezone.now()
    foc = (now + timedelta(days=9)).replace(hour=7, minute=0, second=0, microsecond=0)
    locations = {}
    for site in migration.sites.order_by("pk"):
        locations[site.pk] = create_location(
            migration=migration, by=owner, site=site, is_site_default=True, label="Main",
            address_line1=site.address_line1, address_line2=site.address_line2,
            city=site.city, state=site.state, postal_code=site.postal_code,
            reason="benchmark data",
        )  # fmt: skip
        account = CarrierAccount.objects.create(
            organization=org, migration=migration, carrier_name=f"Carrier {site.pk}",
            carrier_type=CarrierAccount.CarrierType.MAJOR_ILEC,
            account_number=f"ACCT-{site.pk:06d}", csr_account_name=migration.customer.legal_name,
        )  # fmt: skip
        on_site = PhoneNumber.objects.filter(migration=migration, site=site)
        on_site.update(carrier_account=account)
        order = create_port_order(account, list(on_site), winning_carrier="Zoom Phone", by=owner)
        PortOrder.objects.filter(pk=order.pk).update(
            state=PortOrder.State.FOC_RECEIVED, foc_at=foc, foc_timezone=site.timezone,
            foc_confirmation_number=f"FOC-{order.pk}",
        )  # fmt: skip
        order.refresh_from_db()
        generate_steps(order, by=owner)
    for fax in migration.endpoints.filter(kind="fax"):
        assign_endpoint(fax, by=owner, non_dialing=True, exempt_reason="receive-only fax",
                        reason="benchmark data")  # fmt: skip
    for endpoint in migration.endpoints.filter(is_remote_worker=True):
        worker = RemoteWorker.objects.create(
            organization=org, migration=migration, name=endpoint.display_name,
            email=endpoint.user_email, confirmed_at=now,
        )  # fmt: skip
        worker.endpoints.add(endpoint)
        create_location(migration=migration, by=owner, remote_worker=worker,
                        address_line1="800 Grant St", city="Denver", state="CO",
                        postal_code="80203", reason="benchmark data")  # fmt: skip
    Registration.objects.bulk_create(
        Registration(organization=org, migration=migration, number=n,
                     location=locations[n.site_id], status=Registration.Status.ACTIVE,
                     provider_reference=f"E911-{n.pk}", updated_by=owner)
        for n in migration.numbers.exclude(site=None)
    )  # fmt: skip
    Preflight.objects.bulk_create(
        Preflight(organization=org, endpoint=e, status=Preflight.Status.PASSED,
                  signed_by=owner, signed_at=now)
        for e in migration.endpoints.order_by("pk")[: endpoints // 2]
    )  # fmt: skip
    return migration


class Fixtures:
    """Migrations at scale built once per run and shared by the cases that read them."""

    def __init__(self):
        self._built = {}

    def migration(self, endpoints: int):
        """(migration, its owner) with `endpoints` seats; see `migration_at_scale`."""
        if endpoints not in self._built:
            org, owner = organization(f"m{endpoints}")
            self._built[endpoints] = (migration_at_scale(org, owner, endpoints), owner)
            analyze()
        return self._built[endpoints]


def analyze() -> None:
    """Planner statistics for the rows just built, as autovacuum would gather them within
    a minute of a bulk load in a running database (PostgreSQL's advice after populating a
    database): without them the planner takes the new tables for nearly empty and picks
    nested loops over thousands of rows, which no running system sees for long."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
