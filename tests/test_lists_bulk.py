"""Lists: every column sorts, the list exports as CSV in the import's columns, and status,
purpose and endpoint fields change for many rows at once (docs/guided-work.md)."""

import csv
import io
import re

import pytest
from django.urls import reverse

from inventory.formats import FORMATS
from inventory.services import import_inventory
from porting.models import PhoneNumber
from sites.models import Endpoint

from . import factories as f
from .conftest import login

pytestmark = pytest.mark.django_db

LISTS = ("customer-list", "migration-list", "site-list", "endpoint-list", "number-list",
         "carrier-account-list")  # fmt: skip


def _list_url(name, org, migration):
    if name in ("customer-list", "migration-list"):
        return reverse(name, args=[org.slug])
    return reverse(name, args=[org.slug, migration.uuid])


def _sort_links(html):
    return re.findall(r'<a class="sort" href="\?([^"]*)"', html)


@pytest.mark.parametrize("name", LISTS)
def test_every_column_of_every_list_sorts_both_ways(client, org_a, world_a, pm_a, name):
    login(client, pm_a)
    url = _list_url(name, org_a, world_a["migration"])
    html = client.get(url).content.decode()
    headings = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    columns = len(re.findall(r"<th[ >]", headings)) - headings.count('class="pick"')
    links = _sort_links(headings)
    assert len(links) == columns, f"{name}: {len(links)} sortable of {columns} columns"
    for query in links:
        for direction in ("", "-"):
            key = query.split("sort=")[1].lstrip("-")
            page = client.get(url, {"sort": f"{direction}{key}"})
            assert page.status_code == 200, (name, key)
            arrow = "▼" if direction else "▲"
            assert arrow in page.content.decode(), (name, key)


def test_numbers_sort_by_status_then_back(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    for number in ("+12145550150", "+12145550151"):
        f.PhoneNumberFactory(migration=migration, number=number)
    login(client, pm_a)
    url = _list_url("number-list", org_a, migration)
    ascending = [n.number for n in client.get(url, {"sort": "number"}).context["object_list"]]
    descending = [n.number for n in client.get(url, {"sort": "-number"}).context["object_list"]]
    assert ascending == sorted(ascending) and descending == ascending[::-1]


def test_export_uses_the_import_columns_e164_and_round_trips(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    login(client, pm_a)
    exported = {}
    for kind in ("sites", "endpoints", "numbers"):
        response = client.get(reverse("inventory-export", args=[org_a.slug, migration.uuid, kind]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert tuple(rows[0].keys()) == FORMATS[kind].column_names
        exported[kind] = text
    assert "+12145550100" in exported["numbers"]
    assert "s3cret" not in exported["endpoints"]  # SIP passwords are never exported
    # The three files import into another migration unchanged.
    other = f.MigrationFactory(customer=world_a["customer"], name="Second office")
    _endpoint_numbers_free(migration)
    report = import_inventory(other, **exported, by=pm_a)
    assert report.ok, report.errors
    assert other.sites.count() == migration.sites.count()


def _endpoint_numbers_free(migration):
    """Numbers and MAC addresses are unique in the organization: free them for the copy."""
    PhoneNumber.objects.filter(migration=migration).delete()
    Endpoint.objects.filter(migration=migration).update(mac_address="")


def test_export_follows_the_lists_filters(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    f.PhoneNumberFactory(migration=migration, number="+12145550160", purpose="fax")
    login(client, pm_a)
    html = client.get(_list_url("number-list", org_a, migration), {"purpose": "fax"}).content
    href = re.search(rb'href="([^"]+)" data-testid="export-csv"', html).group(1).decode()
    response = client.get(href.replace("&amp;", "&"))
    text = b"".join(response.streaming_content).decode()
    assert "+12145550160" in text and "+12145550100" not in text


def test_export_neutralizes_spreadsheet_formulas(client, org_a, world_a, pm_a):
    world_a["endpoint"].display_name = "=HYPERLINK(1)"
    world_a["endpoint"].save()
    login(client, pm_a)
    url = reverse("inventory-export", args=[org_a.slug, world_a["migration"].uuid, "endpoints"])
    text = b"".join(client.get(url).streaming_content).decode()
    assert "'=HYPERLINK(1)" in text


def test_export_of_another_orgs_migration_is_404(client, org_a, world_a, pm_b):
    login(client, pm_b)
    url = reverse("inventory-export", args=[org_a.slug, world_a["migration"].uuid, "numbers"])
    assert client.get(url).status_code == 404


# -- bulk edit ------------------------------------------------------------------------


def _numbers(migration, count, start=170):
    return [
        f.PhoneNumberFactory(migration=migration, number=f"+1214555{start + i:04d}")
        for i in range(count)
    ]


def test_bulk_purpose_and_status_for_ticked_numbers(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    picked = _numbers(migration, 3)
    login(client, pm_a)
    html = client.get(_list_url("number-list", org_a, migration)).content.decode()
    assert 'data-testid="bulk-bar"' in html and 'data-select-all="pk"' in html
    url = reverse("number-bulk-edit", args=[org_a.slug, migration.uuid])
    response = client.post(
        url, {"pk": [n.pk for n in picked], "purpose": "fax", "transition": "start_porting",
              "reason": "fax lines found on the walk-through"}, follow=True,
    )  # fmt: skip
    assert "3 numbers updated." in response.content.decode()
    for number in PhoneNumber.objects.filter(pk__in=[n.pk for n in picked]):
        assert (number.purpose, number.status) == ("fax", "porting")
        latest = number.history.latest()
        assert latest.history_change_reason == "fax lines found on the walk-through"
        assert latest.history_user == pm_a
    assert PhoneNumber.objects.get(pk=world_a["number"].pk).purpose == "user_did"


def test_bulk_status_is_all_or_nothing_and_names_each_refused_number(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    free = _numbers(migration, 2)
    url = reverse("number-bulk-edit", args=[org_a.slug, migration.uuid])
    login(client, pm_a)
    on_order = world_a["number"]  # on an open port order: the order drives its status
    response = client.post(
        url, {"pk": [on_order.pk, *(n.pk for n in free)], "transition": "start_porting",
              "purpose": "fax"}, follow=True,
    )  # fmt: skip
    html = response.content.decode()
    assert "Nothing changed" in html and f"open port order #{world_a['port_order'].pk}" in html
    assert not PhoneNumber.objects.filter(pk__in=[n.pk for n in free], purpose="fax").exists()
    assert set(PhoneNumber.objects.values_list("status", flat=True)) == {"legacy"}


def test_bulk_edit_of_every_matching_number_across_pages(client, org_a, world_a, pm_a):
    migration = world_a["migration"]
    _numbers(migration, 55)
    login(client, pm_a)
    page = client.get(_list_url("number-list", org_a, migration), {"status": "legacy"})
    assert b'name="all_matching"' in page.content  # more than one page
    url = reverse("number-bulk-edit", args=[org_a.slug, migration.uuid])
    client.post(url, {"all_matching": "on", "query": "kind=local", "purpose": "main_line"})
    assert PhoneNumber.objects.filter(migration=migration, purpose="main_line").count() == 56


def test_bulk_edit_never_reaches_another_migration_or_org(client, org_a, world_a, world_b, pm_a):
    migration = world_a["migration"]
    url = reverse("number-bulk-edit", args=[org_a.slug, migration.uuid])
    login(client, pm_a)
    response = client.post(url, {"pk": [world_b["number"].pk], "purpose": "fax"}, follow=True)
    assert "Choose at least one number" in response.content.decode()
    assert PhoneNumber.objects.get(pk=world_b["number"].pk).purpose == "user_did"
    other_url = reverse("number-bulk-edit", args=[org_a.slug, world_b["migration"].uuid])
    assert client.post(other_url, {"pk": [world_b["number"].pk]}).status_code == 404


def test_viewers_get_no_bulk_bar_and_cannot_post(client, org_a, world_a, viewer_a):
    migration = world_a["migration"]
    login(client, viewer_a)
    html = client.get(_list_url("number-list", org_a, migration)).content.decode()
    assert 'data-testid="bulk-bar"' not in html and 'name="pk"' not in html
    url = reverse("number-bulk-edit", args=[org_a.slug, migration.uuid])
    assert client.post(url, {"pk": [world_a["number"].pk], "purpose": "fax"}).status_code == 403


def test_bulk_edit_of_endpoints_by_a_technician(client, org_a, world_a, tech_a):
    migration, site = world_a["migration"], world_a["site"]
    other_site = f.SiteFactory(migration=migration, name="Annex")
    endpoints = f.EndpointFactory.create_batch(3, site=site)
    login(client, tech_a)
    url = reverse("endpoint-bulk-edit", args=[org_a.slug, migration.uuid])
    response = client.post(
        url, {"pk": [e.pk for e in endpoints], "firmware": "6.4.6", "site": other_site.pk,
              "remote_worker": "yes", "reason": "upgraded on site"}, follow=True,
    )  # fmt: skip
    assert "3 endpoints updated." in response.content.decode()
    for endpoint in Endpoint.objects.filter(pk__in=[e.pk for e in endpoints]):
        assert (endpoint.firmware, endpoint.site_id, endpoint.is_remote_worker) == (
            "6.4.6", other_site.pk, True,
        )  # fmt: skip
        assert endpoint.history.latest().history_change_reason == "upgraded on site"
    assert Endpoint.objects.get(pk=world_a["endpoint"].pk).firmware != "6.4.6"


def test_endpoint_bulk_site_must_be_the_migrations(client, org_a, world_a, world_b, pm_a):
    migration = world_a["migration"]
    url = reverse("endpoint-bulk-edit", args=[org_a.slug, migration.uuid])
    login(client, pm_a)
    response = client.post(
        url, {"pk": [world_a["endpoint"].pk], "site": world_b["site"].pk}, follow=True
    )
    assert "Nothing changed" in response.content.decode()
    assert Endpoint.objects.get(pk=world_a["endpoint"].pk).site_id == world_a["site"].pk


def test_history_shows_field_labels_and_choice_labels(client, org_a, world_a, pm_a):
    site = world_a["site"]
    site.address_line2 = "Floor 3"
    site.save()
    number = world_a["number"]
    number.purpose = "main_line"
    number.save()
    login(client, pm_a)
    html = client.get(site.ui_url("history")).content.decode()
    assert "<strong>address_line2</strong>" not in html
    assert "<strong>Suite / floor</strong>" in html
    html = client.get(number.ui_url("history")).content.decode()
    assert "<ins>Main line</ins>" in html and "main_line" not in html


def test_the_bulk_status_choices_are_the_manual_transitions():
    from porting.forms import NUMBER_TRANSITION_CHOICES
    from porting.services import MANUAL_NUMBER_TRANSITIONS

    assert {name for name, _label in NUMBER_TRANSITION_CHOICES} == set(MANUAL_NUMBER_TRANSITIONS)
