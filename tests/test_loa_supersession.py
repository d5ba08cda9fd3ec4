"""A signed LOA that no longer matches its order is superseded the moment it stops
matching, on every path that can make the change: the carrier account's page, the API,
the admin, and a change of the order's numbers. No signal does it: each path calls the
porting service (porting.services.save_carrier_account, after_carrier_account_saved,
change_order_numbers)."""

import json

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from porting.models import CarrierAccount, LetterOfAuthorization
from porting.services import change_order_numbers, save_carrier_account

from . import factories as f
from .conftest import login
from .signing import sign_loa

pytestmark = pytest.mark.django_db

NEW_ACCOUNT_NUMBER = "8310-999999"


@pytest.fixture
def signed(world_a, pm_a):
    loa = world_a["loa"]
    sign_loa(loa, by=pm_a)
    loa.refresh_from_db()
    assert loa.status == LetterOfAuthorization.Status.SIGNED
    return loa


def _superseded(loa, why="the account number"):
    loa.refresh_from_db()
    assert loa.status == LetterOfAuthorization.Status.SUPERSEDED
    assert loa.history.first().history_change_reason == f"superseded: {why} changed after signing"
    assert loa.has_portal_signature()  # kept, with its signature and sealed PDF


def test_the_account_page(client, world_a, pm_a, signed):
    account = world_a["carrier_account"]
    data = {
        k: v for k, v in model_to_dict(account).items()
        if v is not None and k not in ("pin", "csr_numbers", "migration", "organization", "id")
    }  # fmt: skip
    data.update(account_number=NEW_ACCOUNT_NUMBER, csr_numbers="\n".join(account.csr_numbers),
                btn=str(account.btn), reason="invoice says otherwise")  # fmt: skip
    login(client, pm_a)
    response = client.post(reverse("carrier-account-update", args=[account.organization.slug,
                                                                    account.pk]), data)  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CarrierAccount.objects.get(pk=account.pk).account_number == NEW_ACCOUNT_NUMBER
    _superseded(signed)


def test_the_api(world_a, org_a, pm_a, api_client_for, signed):
    account = world_a["carrier_account"]
    response = api_client_for(pm_a).patch(
        f"/api/o/{org_a.slug}/carrier-accounts/{account.pk}/",
        {"account_number": NEW_ACCOUNT_NUMBER}, format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    _superseded(signed)


def test_the_admin(client, world_a, pm_a, signed):
    pm_a.is_staff = pm_a.is_superuser = True
    pm_a.save()
    account = world_a["carrier_account"]
    url = reverse("admin:porting_carrieraccount_change", args=[account.pk])
    login(client, pm_a)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(account_number=NEW_ACCOUNT_NUMBER, csr_numbers=json.dumps(account.csr_numbers))
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    _superseded(signed)


def test_the_service_itself_and_an_unchanged_save_supersedes_nothing(world_a, org_a, pm_a,
                                                                     signed):  # fmt: skip
    account = world_a["carrier_account"]
    save_carrier_account(account, organization=org_a, by=pm_a, reason="nothing changed")
    signed.refresh_from_db()
    assert signed.status == LetterOfAuthorization.Status.SIGNED
    account.account_number = NEW_ACCOUNT_NUMBER
    save_carrier_account(account, organization=org_a, by=pm_a, reason="new invoice")
    _superseded(signed)


def test_the_order_numbers(world_a, pm_a, signed):
    order = world_a["port_order"]
    extra = f.PhoneNumberFactory(migration=order.migration, number="+12145550166")
    order.carrier_account.csr_numbers = [*order.carrier_account.csr_numbers, str(extra.number)]
    order.carrier_account.save()
    change_order_numbers(order, add=[extra], by=pm_a, reason="forgot the fax line")
    _superseded(signed, why="the numbers")
