"""E911 point 8 and the PM's E911 page: the readiness report (page, PDF, CLI), blocking
items first, and the page's forms for locations, assignment and registrations."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from e911.locations.services import create_location
from e911.models import DispatchableLocation, Registration, RemoteWorker
from e911.readiness.selectors import readiness

from . import factories as f
from .conftest import login
from .e911_helpers import e911_ready

pytestmark = pytest.mark.django_db

ADDRESS = {
    "address_line1": "123 Main Street", "city": "Dallas", "state": "TX", "postal_code": "75201",
}  # fmt: skip


def e911_page(org, migration):
    return reverse("migration-e911", args=[org.slug, migration.uuid])


@pytest.mark.dates
def test_readiness_puts_blocking_items_first_and_clears_when_fixed(world_a, pm_a):
    migration = world_a["migration"]
    report = readiness(migration)
    assert not report.ready
    states = [item.state for item in report.ordered()]
    assert states == sorted(states, key=["blocking", "warning", "ok"].index)
    codes = {item.code for item in report.blocking}
    assert f"coverage:{world_a['site'].pk}" in codes
    assert f"registrations:{world_a['port_order'].pk}" in codes
    e911_ready(world_a["port_order"], pm_a)
    codes = {item.code for item in readiness(migration).blocking}
    assert f"coverage:{world_a['site'].pk}" not in codes
    assert f"registrations:{world_a['port_order'].pk}" not in codes


@pytest.mark.dates
def test_unconfirmed_remote_workers_block(world_a, pm_a):
    migration = world_a["migration"]
    RemoteWorker.objects.create(migration=migration, name="Dana Home", email="dana@acme.example")
    item = next(i for i in readiness(migration).items if i.code == "remote_workers_confirmed")
    assert item.state == "blocking" and "Dana Home" in item.detail


def test_readiness_page_pdf_and_cli_agree(client, pm_a, org_a, world_a, tmp_path):
    migration = world_a["migration"]
    login(client, pm_a)
    page = client.get(reverse("migration-readiness", args=[org_a.slug, migration.uuid]))
    html = page.content.decode()
    assert page.status_code == 200 and "blocking item" in html
    pdf = client.get(reverse("migration-readiness-pdf", args=[org_a.slug, migration.uuid]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    out = StringIO()
    call_command("e911", "--action", "readiness", "--migration-id", str(migration.uuid),
                 "--json", stdout=out)  # fmt: skip
    body = json.loads(out.getvalue())
    report = readiness(migration)
    assert body["ready"] is False and body["blocking"] == len(report.blocking)
    assert [i["code"] for i in body["items"]] == [i.code for i in report.ordered()]
    text = StringIO()
    call_command("e911", "--action", "readiness", "--migration-id", str(migration.uuid),
                 stdout=text)  # fmt: skip
    assert "NOT READY" in text.getvalue() and "[BLOCKING]" in text.getvalue()
    with pytest.raises(CommandError, match="No migration"):
        call_command("e911", "--action", "readiness", "--migration-id", "not-a-uuid")


def test_e911_page_adds_changes_assigns_and_registers(client, pm_a, org_a, world_a):
    migration, site = world_a["migration"], world_a["site"]
    login(client, pm_a)
    assert client.get(e911_page(org_a, migration)).status_code == 200
    response = client.post(
        reverse("e911-location-add", args=[org_a.slug, migration.uuid]),
        {"site": site.pk, "label": "Front desk", "is_site_default": "on", **ADDRESS,
         "floor": "2", "suite": "Suite 200"}, follow=True,
    )  # fmt: skip
    assert "Location added: Normalized" in response.content.decode()
    location = DispatchableLocation.objects.get(site=site, is_current=True, label="Front desk")
    assert location.normalized_line2 == "FL 2 STE 200"
    response = client.post(
        reverse("e911-location-change", args=[org_a.slug, location.pk]),
        {**ADDRESS, "floor": "3", "suite": "200", "reason": "moved upstairs"}, follow=True,
    )  # fmt: skip
    assert "stays in history" in response.content.decode()
    new = DispatchableLocation.objects.get(site=site, is_current=True, label="Front desk")
    assert new.normalized_line2 == "FL 3 STE 200" and new.is_site_default
    fax = f.EndpointFactory(site=site, kind="fax")
    client.post(reverse("endpoint-e911", args=[org_a.slug, fax.pk]),
                {"non_dialing": "on", "exempt_reason": "receive-only"})  # fmt: skip
    assert fax.e911.non_dialing
    number = world_a["number"]
    client.post(reverse("number-e911-registration", args=[org_a.slug, number.pk]),
                {"status": "active", "location": new.pk, "provider_reference": "R-1"})  # fmt: skip
    assert Registration.objects.get(number=number).status == "active"
    page = client.get(e911_page(org_a, migration)).content.decode()
    assert "FL 3 STE 200" in page and "R-1" in page and "receive-only" in page


def test_viewer_reads_but_cannot_write(client, viewer_a, org_a, world_a):
    login(client, viewer_a)
    migration = world_a["migration"]
    before = DispatchableLocation.objects.count()
    assert client.get(e911_page(org_a, migration)).status_code == 200
    response = client.post(reverse("e911-location-add", args=[org_a.slug, migration.uuid]),
                           {"site": world_a["site"].pk, **ADDRESS})  # fmt: skip
    assert response.status_code == 403
    assert DispatchableLocation.objects.count() == before


def test_another_organization_gets_404(client, pm_b, org_a, world_a):
    login(client, pm_b)
    migration = world_a["migration"]
    for name in ("migration-e911", "migration-readiness", "migration-readiness-pdf"):
        assert client.get(reverse(name, args=[org_a.slug, migration.uuid])).status_code == 404


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_e911_and_readiness_pages_run_constant_queries(client, pm_a, org_a, world_a):
    migration = world_a["migration"]
    login(client, pm_a)
    e911_ready(world_a["port_order"], pm_a)
    worker = RemoteWorker.objects.create(migration=migration, name="W0", email="w0@acme.example")
    worker.endpoints.add(f.EndpointFactory(site=world_a["site"], kind="softphone"))
    urls = [e911_page(org_a, migration),
            reverse("migration-readiness", args=[org_a.slug, migration.uuid])]  # fmt: skip
    small = [_count(client, url) for url in urls]
    for i in range(3):
        site = f.SiteFactory(migration=migration, name=f"Branch {i}")
        create_location(migration=migration, by=pm_a, site=site, is_site_default=True, **ADDRESS)
        for _ in range(4):
            f.EndpointFactory(site=site)
        worker = RemoteWorker.objects.create(migration=migration, name=f"W{i + 1}",
                                             email=f"w{i + 1}@acme.example")  # fmt: skip
        worker.endpoints.add(f.EndpointFactory(site=site, kind="softphone"))
        f.PhoneNumberFactory(migration=migration, site=site)
    assert [_count(client, url) for url in urls] == small
