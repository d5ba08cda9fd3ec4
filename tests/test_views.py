"""Browser pages: CRUD round trips, roles, history, scoped choices, write-only secrets."""

import pytest
from django.db import connection
from django.urls import reverse

from customers.models import Customer, Migration
from porting.models import PhoneNumber
from sites.models import Endpoint, Site

from . import factories as f
from .conftest import login


@pytest.fixture
def a_client(client, pm_a):
    return login(client, pm_a)


def test_every_page_of_a_migration_renders(a_client, world_a, org_a):
    w, m = world_a, world_a["migration"]
    pages = [
        reverse("org-home", args=[org_a.slug]),
        reverse("customer-list", args=[org_a.slug]),
        reverse("migration-list", args=[org_a.slug]),
        reverse("site-list", args=[org_a.slug, m.uuid]),
        reverse("endpoint-list", args=[org_a.slug, m.uuid]),
        reverse("number-list", args=[org_a.slug, m.uuid]),
        reverse("customer-create", args=[org_a.slug]),
        reverse("migration-create", args=[org_a.slug]),
        reverse("site-create", args=[org_a.slug, m.uuid]),
        reverse("endpoint-create", args=[org_a.slug, m.uuid]),
        reverse("number-create", args=[org_a.slug, m.uuid]),
    ]
    for obj in (w["customer"], m, w["site"], w["endpoint"], w["number"]):
        pages += [obj.ui_url(a) for a in ("detail", "update", "delete", "history")]
    for page in pages:
        assert a_client.get(page).status_code == 200, page


def test_home_redirects_single_org_user_and_lists_many(client, pm_a, pm_b, org_a):
    login(client, pm_a)
    assert client.get("/").url == reverse("org-home", args=[org_a.slug])
    login(client, pm_b)  # member of lear and zephyr
    page = client.get("/").content.decode()
    assert "Lear Voice" in page and "Zephyr Telecom" in page


def test_switcher_lists_only_my_organizations(client, pm_b, org_a, org_b):
    login(client, pm_b)
    page = client.get(reverse("org-home", args=[org_b.slug])).content.decode()
    assert 'data-testid="org-switcher"' in page
    assert "Zephyr Telecom" in page
    assert "Northwind" not in page


def test_create_customer_migration_site_endpoint_number(a_client, org_a, pm_a):
    response = a_client.post(
        reverse("customer-create", args=[org_a.slug]),
        {"legal_name": "Nguyen Dental Group PLLC", "operating_states": "tx, ca",
         "handles_health_information": "on", "reason": "signed the contract"},
    )  # fmt: skip
    customer = Customer.objects.get(legal_name="Nguyen Dental Group PLLC")
    assert response.url == customer.get_absolute_url()
    assert customer.organization == org_a
    assert customer.operating_states == ["CA", "TX"]
    record = customer.history.latest()
    assert record.history_user == pm_a and record.history_change_reason == "signed the contract"

    a_client.post(
        reverse("migration-create", args=[org_a.slug]),
        {"customer": customer.pk, "name": "Houston move", "owner": pm_a.pk, "status": "planning"},
    )
    migration = Migration.objects.get(name="Houston move")
    a_client.post(
        reverse("site-create", args=[org_a.slug, migration.uuid]),
        {"name": "Main office", "address_line1": "4500 Main Street", "address_line2": "200",
         "city": "Houston", "state": "TX", "postal_code": "77002", "timezone": "America/Chicago",
         "seat_count": 12},
    )  # fmt: skip
    site = Site.objects.get(name="Main office")
    assert site.customer == customer and site.organization == org_a
    assert site.normalized_line1 == "4500 MAIN ST"
    a_client.post(
        reverse("endpoint-create", args=[org_a.slug, migration.uuid]),
        {"site": site.pk, "kind": "desk_phone", "mac_address": "00-04-f2-aa-bb-cc",
         "extension": "200", "display_name": "Front desk", "sip_password": "hunter2-sip"},
    )  # fmt: skip
    endpoint = Endpoint.objects.get(extension="200")
    assert endpoint.mac_address == "00:04:F2:AA:BB:CC"
    assert endpoint.sip_password == "hunter2-sip"
    a_client.post(
        reverse("number-create", args=[org_a.slug, migration.uuid]),
        {
            "number": "(713) 555-0142",
            "purpose": "main_line",
            "site": site.pk,
            "endpoint": endpoint.pk,
        },
    )
    number = PhoneNumber.objects.get(migration=migration)
    assert str(number.number) == "+17135550142"
    assert number.kind == "local"


def test_edit_records_a_diff_with_who_and_why(a_client, world_a, pm_a):
    site = world_a["site"]
    data = {
        "name": "Dallas HQ", "address_line1": "123 Main Street", "address_line2": "Suite 300",
        "city": "Dallas", "state": "TX", "postal_code": "75201", "timezone": "America/Chicago",
        "seat_count": 25, "reason": "customer moved floors",
    }  # fmt: skip
    response = a_client.post(site.ui_url("update"), data)
    assert response.status_code == 302
    page = a_client.get(site.ui_url("history")).content.decode()
    assert "customer moved floors" in page
    assert "pm_a" in page
    assert "Suite 300" in page and "<strong>Seat count</strong>" in page


def test_form_errors_keep_the_input(a_client, world_a, org_a):
    m = world_a["migration"]
    response = a_client.post(
        reverse("endpoint-create", args=[org_a.slug, m.uuid]),
        {
            "site": world_a["site"].pk,
            "kind": "desk_phone",
            "mac_address": "zz:zz",
            "extension": "101",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a MAC address" in page
    assert "zz:zz" in page


def test_mac_unique_across_the_organization_not_just_migration(a_client, world_a, org_a):
    other = f.MigrationFactory(customer=world_a["customer"])
    other_site = f.SiteFactory(migration=other)
    response = a_client.post(
        reverse("endpoint-create", args=[org_a.slug, other.uuid]),
        {
            "site": other_site.pk,
            "kind": "desk_phone",
            "mac_address": world_a["endpoint"].mac_address,
        },
    )
    assert response.status_code == 200
    assert (
        "Another endpoint in this organization has this MAC address." in response.content.decode()
    )


def test_extension_unique_per_migration(a_client, world_a, org_a):
    m = world_a["migration"]
    response = a_client.post(
        reverse("endpoint-create", args=[org_a.slug, m.uuid]),
        {"site": world_a["site"].pk, "kind": "softphone", "extension": "101"},
    )
    assert "Another endpoint in this migration has this extension." in response.content.decode()


def test_form_choices_offer_only_my_organizations_rows(a_client, world_a, world_b, org_a):
    m = world_a["migration"]
    page = a_client.get(reverse("endpoint-create", args=[org_a.slug, m.uuid])).content.decode()
    assert "Dallas HQ" in page and "Houston" not in page
    page = a_client.get(reverse("migration-create", args=[org_a.slug])).content.decode()
    assert "Lear Dental" not in page and "pm_b" not in page


def test_posting_another_orgs_parent_is_refused(a_client, world_a, world_b, org_a):
    m = world_a["migration"]
    before = Endpoint.objects.count()
    response = a_client.post(
        reverse("endpoint-create", args=[org_a.slug, m.uuid]),
        {"site": world_b["site"].pk, "kind": "desk_phone", "extension": "555"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Endpoint.objects.count() == before
    response = a_client.post(
        reverse("migration-create", args=[org_a.slug]),
        {"customer": world_b["customer"].pk, "name": "sneaky", "status": "planning"},
    )
    assert not Migration.objects.filter(name="sneaky").exists()


def test_filter_with_another_orgs_id_shows_nothing(a_client, world_a, world_b, org_a):
    m = world_a["migration"]
    url = reverse("endpoint-list", args=[org_a.slug, m.uuid])
    response = a_client.get(url, {"site": world_b["site"].pk})
    assert response.status_code == 200
    assert response.context["paginator"].count == 0
    assert "Select a valid choice" in response.content.decode()


def test_viewer_reads_but_cannot_write(client, viewer_a, world_a, org_a):
    login(client, viewer_a)
    m = world_a["migration"]
    assert client.get(m.get_absolute_url()).status_code == 200
    assert (
        client.post(reverse("customer-create", args=[org_a.slug]), {"legal_name": "X"}).status_code
        == 403
    )
    assert client.post(world_a["site"].ui_url("update"), {"name": "X"}).status_code == 403
    assert client.post(world_a["number"].ui_url("delete")).status_code == 403
    assert client.post(reverse("number-transition", args=[org_a.slug, world_a["number"].pk]),
                       {"transition": "start_porting"}).status_code == 403  # fmt: skip
    assert PhoneNumber.objects.get(pk=world_a["number"].pk).status == "legacy"
    page = client.get(m.get_absolute_url()).content.decode()
    assert "Import CSV" not in page and ">Edit<" not in page


def test_technician_may_edit_endpoints_but_not_sites(client, tech_a, world_a):
    login(client, tech_a)
    endpoint = world_a["endpoint"]
    response = client.post(
        endpoint.ui_url("update"),
        {"site": endpoint.site_id, "kind": "desk_phone", "mac_address": endpoint.mac_address,
         "extension": "101", "firmware": "6.4.5"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Endpoint.objects.get(pk=endpoint.pk).firmware == "6.4.5"
    assert client.post(world_a["site"].ui_url("update"), {"name": "x"}).status_code == 403


def test_sip_password_is_write_only_encrypted_and_kept_out_of_history(a_client, world_a):
    endpoint = world_a["endpoint"]
    secret = "s3cret-SIP-pass"
    for url in (endpoint.ui_url("detail"), endpoint.ui_url("update"), endpoint.ui_url("history")):
        assert secret not in a_client.get(url).content.decode()
    # Leaving the field empty keeps the stored password.
    a_client.post(
        endpoint.ui_url("update"),
        {"site": endpoint.site_id, "kind": "desk_phone", "mac_address": endpoint.mac_address,
         "extension": "101", "display_name": "Renamed"},
    )  # fmt: skip
    endpoint.refresh_from_db()
    assert endpoint.display_name == "Renamed" and endpoint.sip_password == secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT sip_password FROM sites_endpoint WHERE id = %s", [endpoint.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("gAAAA")
    history_columns = {f.name for f in Endpoint.history.model._meta.fields}
    assert "sip_password" not in history_columns
    assert secret not in repr(endpoint) and secret not in str(endpoint)


def test_delete_with_confirmation_and_protection(a_client, world_a, org_a):
    site = world_a["site"]
    assert "Yes, delete" in a_client.get(site.ui_url("delete")).content.decode()
    response = a_client.post(site.ui_url("delete"), {"reason": "wrong site"}, follow=True)
    assert Site.objects.filter(pk=site.pk).exists(), "a site with endpoints must not vanish"
    assert "still depend on it" in response.content.decode()
    number = world_a["number"]
    response = a_client.post(number.ui_url("delete"), {"reason": "not theirs"})
    assert response.status_code == 302
    assert not PhoneNumber.objects.filter(pk=number.pk).exists()
    deleted = PhoneNumber.history.filter(id=number.pk, history_type="-").get()
    assert deleted.history_change_reason == "not theirs"


def test_number_transitions_are_recorded(a_client, world_a, org_a, pm_a):
    number = f.PhoneNumberFactory(migration=world_a["migration"], number="+12145550190")
    url = reverse("number-transition", args=[org_a.slug, number.pk])
    a_client.post(url, {"transition": "start_porting", "reason": "LOA signed"})
    number.refresh_from_db()
    assert number.status == "porting"
    assert number.history.latest().history_change_reason == "LOA signed"
    response = a_client.post(url, {"transition": "go_live"}, follow=True)
    assert "Cannot go live" in response.content.decode()
    number.refresh_from_db()
    assert number.status == "porting"


def test_a_number_on_an_open_order_follows_the_order(a_client, world_a, org_a):
    number = world_a["number"]
    page = a_client.get(number.get_absolute_url()).content.decode()
    assert world_a["port_order"].get_absolute_url() in page
    assert 'value="start_porting"' not in page and "once they exist" not in page
    url = reverse("number-transition", args=[org_a.slug, number.pk])
    response = a_client.post(url, {"transition": "start_porting"}, follow=True)
    assert f"open port order #{world_a['port_order'].pk}" in response.content.decode()
    assert PhoneNumber.objects.get(pk=number.pk).status == "legacy"


def test_search_filters_and_pagination(a_client, world_a, org_a):
    m, site = world_a["migration"], world_a["site"]
    f.EndpointFactory.create_batch(60, site=site)
    f.EndpointFactory(
        site=site, display_name="Linh Nguyen", kind="softphone", is_remote_worker=True
    )
    url = reverse("endpoint-list", args=[org_a.slug, m.uuid])
    response = a_client.get(url)
    assert response.context["paginator"].count == 62
    assert len(response.context["object_list"]) == 50
    assert "Showing 1–50 of 62" in response.content.decode()
    assert a_client.get(url, {"page": 2}).context["paginator"].page(2).end_index() == 62
    response = a_client.get(url, {"q": "nguyen"})
    assert [e.display_name for e in response.context["object_list"]] == ["Linh Nguyen"]
    response = a_client.get(url, {"is_remote_worker": "true", "kind": "softphone"})
    assert response.context["paginator"].count == 1


def test_htmx_search_returns_the_page_for_swapping(a_client, world_a, org_a):
    url = reverse("endpoint-list", args=[org_a.slug, world_a["migration"].uuid])
    response = a_client.get(url, {"q": "101"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="results"' in response.content.decode()


def test_deleting_an_endpoint_unassigns_its_numbers_with_history(a_client, world_a, pm_a):
    endpoint, number = world_a["endpoint"], world_a["number"]
    a_client.post(endpoint.ui_url("delete"), {"reason": "phone returned"})
    number.refresh_from_db()
    assert number.endpoint is None
    record = number.history.latest()
    assert record.history_user == pm_a
    assert "deleted: phone returned" in record.history_change_reason


def test_a_saved_site_cannot_move_to_another_migration(a_client, world_a, org_a):
    from tenancy.services import save_org_object

    other = f.MigrationFactory(customer=world_a["customer"])
    site = world_a["site"]
    site.migration = other
    with pytest.raises(Exception, match="cannot move"):
        save_org_object(site, organization=org_a)
    migration = world_a["migration"]
    response = a_client.post(
        migration.ui_url("update"),
        {"customer": f.CustomerFactory(organization=org_a).pk, "name": "x", "status": "planning"},
    )
    assert response.status_code == 200
    assert "cannot move to another customer" in response.content.decode()
