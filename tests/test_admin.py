"""The admin is scoped for non-superusers: only their organizations' rows and choices."""

import pytest
from django.urls import reverse

from sites.models import Endpoint

from . import factories as f
from .conftest import login


@pytest.fixture
def staff_pm_b(pm_b):
    pm_b.is_staff = True
    pm_b.save()
    return pm_b


def test_changelists_show_only_my_organizations_rows(client, staff_pm_b, world_a, world_b):
    login(client, staff_pm_b)
    for model in ("customers/customer", "customers/migration", "sites/site", "sites/endpoint",
                  "porting/phonenumber"):  # fmt: skip
        page = client.get(f"/admin/{model}/")
        assert page.status_code == 200, model
        assert page.context["cl"].result_count == 1, model
    page = client.get("/admin/customers/customer/").content.decode()
    assert "Lear Dental" in page and "Acme Tax Services LLC" not in page


def test_another_orgs_object_is_not_found_in_admin(client, staff_pm_b, world_a):
    login(client, staff_pm_b)
    url = reverse("admin:sites_endpoint_change", args=[world_a["endpoint"].pk])
    # Django's admin redirects a missing object to the index with a message; another
    # organization's object answers exactly the same.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    followed = client.get(url, follow=True).content.decode()
    assert world_a["endpoint"].display_name not in followed and "doesn’t exist" in followed
    missing = client.get(reverse("admin:sites_endpoint_change", args=[999_999_999]))
    assert (missing.status_code, missing["Location"]) == (302, response["Location"])
    # The history page of a missing object, and of another organization's, is a 404.
    history = client.get(reverse("admin:sites_endpoint_history", args=[world_a["endpoint"].pk]))
    assert history.status_code == 404


def test_admin_dropdowns_are_scoped(client, staff_pm_b, world_a, world_b):
    login(client, staff_pm_b)
    page = client.get(reverse("admin:sites_endpoint_add")).content.decode()
    assert "Houston" in page and "Dallas HQ" not in page
    page = client.get(reverse("admin:customers_customer_add")).content.decode()
    assert "Lear Voice" in page and "Northwind" not in page
    # Viewer-only membership (zephyr) grants no admin rights there.
    assert "Zephyr" not in page


def test_admin_edit_keeps_sip_password_write_only(client, world_b, staff_pm_b):
    login(client, staff_pm_b)
    endpoint = world_b["endpoint"]
    page = client.get(reverse("admin:sites_endpoint_change", args=[endpoint.pk])).content.decode()
    assert "s3cret-SIP-pass" not in page


def test_superuser_sees_everything(client, world_a, world_b):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    login(client, admin)
    assert (
        client.get("/admin/sites/endpoint/").context["cl"].result_count == Endpoint.objects.count()
    )


def test_non_member_staff_sees_nothing(client, world_a):
    user = f.UserFactory(username="lonely", is_staff=True)
    login(client, user)
    assert client.get("/admin/sites/endpoint/").status_code == 403


def test_admin_history_of_my_own_object_works(client, staff_pm_b, world_b):
    login(client, staff_pm_b)
    url = reverse("admin:sites_endpoint_history", args=[world_b["endpoint"].pk])
    assert client.get(url).status_code == 200


def test_view_on_site_redirect_is_scoped(client, staff_pm_b, world_a, world_b):
    from django.contrib.contenttypes.models import ContentType

    login(client, staff_pm_b)
    for key in ("customer", "migration", "site", "endpoint", "number"):
        ct = ContentType.objects.get_for_model(world_a[key])
        assert client.get(f"/admin/r/{ct.pk}/{world_a[key].pk}/").status_code == 404, key
        mine = client.get(f"/admin/r/{ct.pk}/{world_b[key].pk}/")
        assert mine.status_code == 302 and "/o/lear/" in mine["Location"], key
    lonely = f.UserFactory(username="lonely2", is_staff=True)
    login(client, lonely)
    ct = ContentType.objects.get_for_model(world_a["migration"])
    assert client.get(f"/admin/r/{ct.pk}/{world_a['migration'].pk}/").status_code == 404


def test_history_versions_of_other_orgs_are_404_and_revert_is_refused(
    client, staff_pm_b, world_a, world_b
):
    login(client, staff_pm_b)
    theirs = world_a["endpoint"].history.first()
    url = f"/admin/sites/endpoint/{world_a['endpoint'].pk}/history/{theirs.history_id}/"
    assert client.get(url).status_code == 404
    assert (
        client.get(f"/admin/sites/endpoint/{world_a['endpoint'].pk}/history/999999/").status_code
        == 404
    )
    number = world_b["number"]
    first = number.history.earliest()
    number.start_porting()
    number.save()
    url = f"/admin/porting/phonenumber/{number.pk}/history/{first.history_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    number.refresh_from_db()
    assert number.status == "porting"


def test_an_admin_edit_does_not_revert_a_change_made_after_the_page_loaded(
    client, staff_pm_b, world_b
):
    """The change page carries the values it showed; the save locks the row and writes
    only what this user changed (no lost update through the admin either)."""
    from customers.models import Customer

    login(client, staff_pm_b)
    customer = world_b["customer"]
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = client.get(url).context["adminform"].form
    data = {"_save": "Save"}
    for field in form:
        value = field.value()
        shown = "" if value is None else str(value)
        data[field.html_name] = shown
        data[field.html_initial_name] = shown
    assert f"initial-{'main_contact_name'}" in data
    Customer.objects.filter(pk=customer.pk).update(main_contact_name="Changed Meanwhile")
    data["dba_name"] = "Lear Dental Group"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.dba_name, customer.main_contact_name) == (
        "Lear Dental Group",
        "Changed Meanwhile",
    )
