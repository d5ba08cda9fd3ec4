"""List pages and the migration page run the same number of queries for 10 rows as for
1,000: no N+1."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from porting.models import PhoneNumber
from sites.models import Endpoint, Site

from . import factories as f
from .conftest import login


def _mac(n):
    raw = f"000B82{n:06X}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


def _grow(migration, site, endpoints, start=0):
    """Bulk-add endpoints (each with a DID) and a few extra sites to a migration."""
    org = migration.organization
    batch = [
        Endpoint(
            organization=org,
            migration=migration,
            site=site,
            kind="desk_phone",
            mac_address=_mac(start + i),
            extension=str(2000 + start + i),
            display_name=f"User {start + i}",
            is_remote_worker=i % 3 == 0,
        )
        for i in range(endpoints)
    ]
    Endpoint.objects.bulk_create(batch)
    created = Endpoint.objects.filter(migration=migration, extension__gte="2000").order_by("pk")
    PhoneNumber.objects.bulk_create(
        PhoneNumber(
            organization=org,
            migration=migration,
            site=site,
            endpoint=e,
            number=f"+1303{2000000 + start + i:07d}",
            kind="local",
        )
        for i, e in enumerate(created[start : start + endpoints])
    )
    for i in range(3):
        Site.objects.create(
            migration=migration, name=f"Branch {start}-{i}", address_line1="1 Elm St",
            city="Denver", state="CO", postal_code="80202", timezone="America/Denver",
        )  # fmt: skip


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["migration-detail", "site-list", "endpoint-list", "number-list"])
def test_migration_pages_run_constant_queries(client, pm_a, world_a, org_a, page):
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    url = reverse(page, args=[org_a.slug, migration.uuid])
    _grow(migration, site, 10)
    small = _count(client, url)
    _grow(migration, site, 990, start=10)
    assert Endpoint.objects.filter(migration=migration).count() > 1000
    large = _count(client, url)
    assert small == large, f"{page}: {small} queries for 10 rows, {large} for 1,000"
    assert large <= 12


@pytest.mark.parametrize("page", ["customer-list", "migration-list", "org-home"])
def test_org_pages_run_constant_queries(client, pm_a, org_a, page):
    login(client, pm_a)
    url = reverse(page, args=[org_a.slug])
    f.MigrationFactory(customer=f.CustomerFactory(organization=org_a))
    small = _count(client, url)
    for _ in range(40):
        f.MigrationFactory(customer=f.CustomerFactory(organization=org_a))
    assert _count(client, url) == small


def test_endpoint_detail_and_site_detail_are_bounded(client, pm_a, world_a):
    login(client, pm_a)
    _grow(world_a["migration"], world_a["site"], 200)
    assert _count(client, world_a["site"].get_absolute_url()) <= 12
    assert _count(client, world_a["endpoint"].get_absolute_url()) <= 12


def _add_orders(migration, count, user, start):
    from porting.services import create_port_order

    for i in range(count):
        account = f.CarrierAccountFactory(migration=migration, carrier_name=f"Carrier {start + i}")
        number = f.PhoneNumberFactory(migration=migration, number=f"+1720555{start + i:04d}")
        create_port_order(account, [number], winning_carrier="Zoom", by=user)


def test_porting_board_runs_constant_queries(client, pm_a, world_a, org_a):
    login(client, pm_a)
    url = reverse("porting-board", args=[org_a.slug, world_a["migration"].uuid])
    _add_orders(world_a["migration"], 2, pm_a, 0)
    small = _count(client, url)
    _add_orders(world_a["migration"], 15, pm_a, 100)
    assert _count(client, url) == small


def test_order_page_runs_constant_queries_whatever_the_numbers(client, pm_a, world_a):
    login(client, pm_a)
    order = world_a["port_order"]
    small = _count(client, order.get_absolute_url())
    for i in range(40):
        order.numbers.add(f.PhoneNumberFactory(migration=world_a["migration"],
                                               number=f"+1303555{i:04d}"))  # fmt: skip
    order.carrier_account.csr_numbers = [str(n.number) for n in order.numbers.all()]
    order.carrier_account.save()
    assert _count(client, order.get_absolute_url()) == small


def test_order_page_runs_constant_queries_whatever_the_signing_history(client, pm_a, world_a):
    """Links, their opens and signed versions do not add queries per row."""
    from esign import services
    from porting.services import prepare_loa

    from .signing import META, link_request, sign_loa

    login(client, pm_a)
    order = world_a["port_order"]
    sign_loa(world_a["loa"], by=pm_a)
    first = _count(client, order.get_absolute_url())
    for title in ("Owner", "President", "CEO"):
        loa = prepare_loa(order, by=pm_a, authorized_title=title)
        for _ in range(3):
            request, _token = link_request(loa, by=pm_a)
            services.open_request(request, meta=META)
        sign_loa(loa, by=pm_a)
    assert _count(client, order.get_absolute_url()) == first
    draft = prepare_loa(order, by=pm_a, authorized_title="Owner")
    link_request(draft, by=pm_a)
    one_live = _count(client, order.get_absolute_url())
    for _ in range(3):  # several live links on the current draft (e.g. expired ones kept)
        link_request(draft, by=pm_a)
    assert _count(client, order.get_absolute_url()) == one_live
