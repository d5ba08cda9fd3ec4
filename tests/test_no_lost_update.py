"""An edit that arrives with an object read earlier (an API PATCH, an edit form) writes
what it changed on top of what others committed meanwhile: a field someone else changed
between the edit's read and its save is kept, not reverted by the stale copy; the
history row records the row as it now is. (The two-connection races are in
tests/test_concurrency_port_orders.py; here the other writer commits in between, on the
same connection, at the moment the save takes its lock.)"""

from unittest import mock

import pytest
from rest_framework.test import APIClient

import tenancy.services
from customers.models import Customer
from porting.models import PortOrder

pytestmark = pytest.mark.django_db

real_lock = tenancy.services.lock_for_update


def someone_else_first(model, pk, **changes):
    """Patch the save path so that `changes` are written just before it locks the row."""

    def lock_for_update(instance, **kwargs):
        model.objects.filter(pk=pk).update(**changes)
        return real_lock(instance, **kwargs)

    return mock.patch("tenancy.services.lock_for_update", side_effect=lock_for_update)


def test_a_patch_keeps_a_transition_committed_since_it_read_the_order(pm_a, world_a):
    order = world_a["port_order"]
    api = APIClient()
    api.force_authenticate(pm_a)
    with someone_else_first(PortOrder, order.pk, state="cancelled", foc_confirmation_number="F1"):
        response = api.patch(
            f"/api/o/northwind/port-orders/{order.pk}/", {"winning_carrier": "Teams"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert (order.winning_carrier, order.state, order.foc_confirmation_number) == (
        "Teams", "cancelled", "F1",
    )  # fmt: skip
    last = order.history.order_by("-history_id").first()
    assert (last.winning_carrier, last.state) == ("Teams", "cancelled")
    assert response.json()["state"] == "cancelled"


def test_an_edit_form_keeps_a_field_changed_since_it_read_the_customer(client, pm_a, world_a):
    customer = world_a["customer"]
    client.force_login(pm_a)
    form = {
        "legal_name": customer.legal_name, "dba_name": "Acme Tax",
        "main_contact_name": customer.main_contact_name,
        "main_contact_email": customer.main_contact_email,
        "main_contact_phone": str(customer.main_contact_phone or ""),
        "operating_states": "", "reason": "dba from the contract",
    }  # fmt: skip
    with someone_else_first(Customer, customer.pk, main_contact_name="Dana Office"):
        response = client.post(f"/o/northwind/customers/{customer.pk}/edit/", form)
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    # The form sent the old contact name unchanged: it does not overwrite the new one.
    assert (customer.dba_name, customer.main_contact_name) == ("Acme Tax", "Dana Office")
    last = customer.history.order_by("-history_id").first()
    assert (last.dba_name, last.main_contact_name) == ("Acme Tax", "Dana Office")


def test_an_edit_form_opened_before_someone_elses_change_does_not_revert_it(client, pm_a, world_a):
    """The page carries the values it showed: a field the user left alone is not written
    back even when someone else changed it between the page's load and its save."""
    import re

    customer = world_a["customer"]
    client.force_login(pm_a)
    url = f"/o/northwind/customers/{customer.pk}/edit/"
    page = client.get(url).content.decode()
    shown = dict(re.findall(r'<input type="hidden" name="(initial-[\w-]+)" value="([^"]*)"', page))
    assert shown["initial-main_contact_name"] == customer.main_contact_name
    form = {
        "legal_name": customer.legal_name, "dba_name": "Acme Tax",
        "main_contact_name": customer.main_contact_name,
        "main_contact_email": customer.main_contact_email,
        "main_contact_phone": str(customer.main_contact_phone or ""),
        "operating_states": "", "reason": "dba from the contract", **shown,
    }  # fmt: skip
    Customer.objects.filter(pk=customer.pk).update(main_contact_name="Dana Office")
    response = client.post(url, form)
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert (customer.dba_name, customer.main_contact_name) == ("Acme Tax", "Dana Office")
    # A field the user did change is written, whatever the page showed.
    form.update(main_contact_name="Pat Office", dba_name="Acme Tax")
    assert client.post(url, form).status_code == 302
    customer.refresh_from_db()
    assert customer.main_contact_name == "Pat Office"


def test_the_values_an_edit_page_carries_never_include_a_secret(client, pm_a, world_a):
    """The shown values travel as hidden inputs: never those of write-only secrets."""
    endpoint = world_a["endpoint"]
    client.force_login(pm_a)
    page = client.get(endpoint.ui_url("update")).content.decode()
    assert 'name="initial-display_name"' in page
    assert "initial-sip_password" not in page and "s3cret-SIP-pass" not in page
