"""A member of organization B walks every organization URL (pages and API, every method)
against organization A's objects and must get 404 each time, exactly as for a missing
object. NetBox's generic view tests and Zulip's "same error for missing and not yours"."""

import uuid

import pytest
from django.urls import reverse

from customerportal.models import CustomerPortalLink, Questionnaire, StuckFlag
from customers.models import Customer, Migration
from cutover.models import ChecklistJob, Step
from e911.models import DispatchableLocation, RemoteWorker
from esign.models import SigningRequest
from porting.models import (
    CarrierAccount,
    CarrierConnection,
    CarrierEvent,
    LetterOfAuthorization,
    PhoneNumber,
    PortOrder,
)
from sites.models import Endpoint, Site
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import login
from .urlwalk import fill, org_routes

METHODS = ("get", "post", "put", "patch", "delete", "options", "head")


def _values_for(route, org_slug, objects):
    """URL kwargs naming organization A's objects (or a missing one when obj is None)."""
    model = route.model
    values = {"org_slug": org_slug, "format": "json", "kind": "sites"}
    by_model = {
        Customer: objects["customer"],
        Migration: objects["migration"],
        Site: objects["site"],
        Endpoint: objects["endpoint"],
        PhoneNumber: objects["number"],
        CarrierAccount: objects["carrier_account"],
        PortOrder: objects["port_order"],
        LetterOfAuthorization: objects["loa"],
        SigningRequest: objects["signing_request"],
        RemoteWorker: objects["remote_worker"],
        DispatchableLocation: objects["location"],
        ChecklistJob: objects["checklist_job"],
        Step: objects["step"],
        CarrierConnection: objects["carrier_connection"],
        CarrierEvent: objects["carrier_event"],
        WebhookEndpoint: objects["webhook_endpoint"],
        WebhookDelivery: objects["webhook_delivery"],
        CustomerPortalLink: objects["portal_link"],
        StuckFlag: objects["stuck_flag"],
        Questionnaire: objects["questionnaire"],
    }
    for name in route.kwargs:
        if name in ("migration_uuid", "uuid"):
            values[name] = objects["migration"].uuid
        elif name == "pk":
            if model not in by_model:
                raise AssertionError(f"{route.route}: no test object for model {model}")
            values[name] = by_model[model].pk
        elif name == "bill_pk":
            values[name] = objects["carrier_bill"].pk
        elif name not in values:
            raise AssertionError(f"{route.route}: the walker does not know kwarg '{name}'")
    return values


def _object_routes():
    routes = [r for r in org_routes() if set(r.kwargs) - {"org_slug", "format", "kind"}]
    assert len(routes) >= 25, "the walker found too few object URLs: is it still seeing them?"
    return routes


def _call(client, method, path):
    kwargs = {}
    if method in ("post", "put", "patch"):
        kwargs = {"data": {"reason": "probe", "name": "x"}, "content_type": "application/json"}
        if method == "post":
            kwargs = {"data": {"reason": "probe", "name": "x"}}
    return getattr(client, method)(path, **kwargs)


def _assert_all_404(client, routes, org_slug, objects):
    failures = []
    for route in routes:
        path = fill(route.route, _values_for(route, org_slug, objects))
        for method in METHODS:
            response = _call(client, method, path)
            if response.status_code != 404:
                failures.append(f"{method.upper()} {path} ({route.name}) -> {response.status_code}")
    assert not failures, "Leaks or wrong codes:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_member_of_b_gets_404_for_every_object_url_of_a(client, world_a, world_b, pm_b, org_b):
    """B's own slug in the URL, A's ids: the scoped lookups must miss."""
    login(client, pm_b)
    _assert_all_404(client, _object_routes(), org_b.slug, world_a)
    # Nothing of A's changed.
    assert Customer.objects.filter(pk=world_a["customer"].pk).exists()
    assert (
        Endpoint.objects.get(pk=world_a["endpoint"].pk).display_name
        == world_a["endpoint"].display_name
    )


@pytest.mark.django_db
def test_member_of_b_gets_404_for_every_url_under_a_slug(client, world_a, world_b, pm_b, org_a):
    """A's slug in the URL: B's user is not a member, so even list pages are 404."""
    login(client, pm_b)
    _assert_all_404(client, org_routes(), org_a.slug, world_a)


@pytest.mark.django_db
def test_missing_object_looks_exactly_like_another_orgs(client, world_a, world_b, pm_b, org_b):
    login(client, pm_b)
    theirs = client.get(
        world_a["site"].ui_url("detail").replace(world_a["site"].organization.slug, org_b.slug)
    )
    missing = client.get(reverse("site-detail", args=[org_b.slug, 10**9]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    gone = client.get(reverse("migration-detail", args=[org_b.slug, uuid.uuid4()]))
    assert gone.status_code == 404


@pytest.mark.django_db
def test_unknown_organization_slug_is_404(client, pm_b):
    login(client, pm_b)
    assert client.get("/o/no-such-org/").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world_a, org_a):
    response = client.get(world_a["migration"].get_absolute_url())
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
