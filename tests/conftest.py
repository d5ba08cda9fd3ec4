"""Standing fixtures: three organizations, as Zulip keeps "zulip", "lear" and "zephyr".

`org_a` holds a populated migration; `org_b` is the neighbour that must never see it;
`org_c` exists so that "every other organization" is never just one."""

import os

import pytest
from rest_framework.test import APIClient

from tenancy import clock
from tenancy.roles import Role
from tenancy.services import create_api_token

from . import factories as f
from .browser import browser  # noqa: F401  (the Playwright fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API

# The long tests (real workers, browsers, subprocesses) start first, so that under
# pytest-xdist they overlap the many short ones instead of trailing at the end.
LONG_MARKERS = ("slow", "browser", "services")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in LONG_MARKERS))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is built from the models, not by migrating: on PostgreSQL, add
    the app role and exactly the row-level security policies rowsecurity's migrations
    create (tests/test_row_security.py)."""
    from django.db import connection

    from rowsecurity.sql import install

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            install(connection)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded and generated files (signed LOAs, logos) go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def org_a(db):
    return f.OrganizationFactory(name="Northwind Integrators", slug="northwind")


@pytest.fixture
def org_b(db):
    return f.OrganizationFactory(name="Lear Voice", slug="lear")


@pytest.fixture
def org_c(db):
    return f.OrganizationFactory(name="Zephyr Telecom", slug="zephyr")


def _member(org, role, username):
    user = f.UserFactory(username=username)
    f.MembershipFactory(user=user, organization=org, role=role)
    return user


@pytest.fixture
def pm_a(org_a):
    return _member(org_a, Role.PROJECT_MANAGER, "pm_a")


@pytest.fixture
def owner_a(org_a):
    return _member(org_a, Role.OWNER, "owner_a")


@pytest.fixture
def viewer_a(org_a):
    return _member(org_a, Role.VIEWER, "viewer_a")


@pytest.fixture
def tech_a(org_a):
    return _member(org_a, Role.TECHNICIAN, "tech_a")


@pytest.fixture
def pm_b(org_b, org_c):
    user = _member(org_b, Role.PROJECT_MANAGER, "pm_b")
    f.MembershipFactory(user=user, organization=org_c, role=Role.VIEWER)
    return user


@pytest.fixture
def world_a(org_a, pm_a):
    """A small but complete migration in organization A."""
    customer = f.CustomerFactory(organization=org_a, legal_name="Acme Tax Services LLC")
    migration = f.MigrationFactory(customer=customer, name="Acme phones", owner=pm_a)
    site = f.SiteFactory(migration=migration, name="Dallas HQ")
    endpoint = f.EndpointFactory(site=site, extension="101")
    number = f.PhoneNumberFactory(migration=migration, number="+12145550100", endpoint=endpoint)
    return {
        "customer": customer,
        "migration": migration,
        "site": site,
        "endpoint": endpoint,
        "number": number,
        **_porting_world(migration, number, pm_a),
    }


def _porting_world(migration, number, user):
    """A carrier account with a port order, a draft LOA and a live signing link."""
    from porting.services import create_port_order, prepare_loa

    from .signing import link_request

    account = f.CarrierAccountFactory(
        migration=migration, btn=str(number.number), csr_numbers=[str(number.number)]
    )
    order = create_port_order(account, [number], winning_carrier="Zoom Phone", by=user)
    loa = prepare_loa(order, by=user)
    signing_request, _token = link_request(loa, by=user)
    return {
        "carrier_account": account, "port_order": order, "loa": loa,
        "signing_request": signing_request, "remote_worker": _remote_worker(migration),
        "location": _location(migration, user),
        "step": _step(order, user),
        "checklist_job": _checklist_job(migration, user),
        **_webhooks(migration.organization_id),
        **_carriers(order),
        **_customer_portal(migration, account, user),
    }  # fmt: skip


def _customer_portal(migration, account, user):
    """A bill on the carrier account, a customer portal link and a stuck flag."""
    from datetime import timedelta

    from django.utils import timezone

    from customerportal.models import CustomerPortalLink, Questionnaire, StuckFlag
    from porting.bills import attach_bill
    from tenancy.portal import new_token

    bill = attach_bill(account, data=b"%PDF-1.4\n%%EOF\n", name="bill.pdf",
                       uploaded_by_name="Dana Office")  # fmt: skip
    _token, token_hash = new_token()
    link = CustomerPortalLink.objects.create(
        migration=migration, name="Dana Office", email="dana@example.com", sent_by=user,
        token_hash=token_hash, expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    flag = StuckFlag.objects.create(
        migration=migration, link=link, task_key=f"bill:{account.pk}", task_title="A bill",
        note="Our bills go to the head office.", raised_by_name="Dana Office",
    )  # fmt: skip
    questionnaire = Questionnaire.objects.create(
        migration=migration, site=migration.sites.order_by("pk").first(), status="submitted",
        answers={"people": [{"name": "Ana Front", "extension": "", "did": "", "kind": "",
                             "remote": False, "email": ""}]},
        submitted_by_name="Dana Office", submitted_at=timezone.now(),
    )  # fmt: skip
    return {"carrier_bill": bill, "portal_link": link, "stuck_flag": flag,
            "questionnaire": questionnaire}  # fmt: skip


def _carriers(order):
    """A carrier connection (nowhere to call: disabled) and a flagged event of the order,
    for the carrier pages and routes (docs/carriers.md)."""
    from porting.models import CarrierConnection, CarrierEvent

    connection = CarrierConnection.objects.create(
        organization_id=order.organization_id, provider="telnyx", name="Telnyx (fixture)",
        api_key="KEY-fixture", is_active=False,
    )  # fmt: skip
    event = CarrierEvent.objects.create(
        organization_id=order.organization_id, connection=connection, port_order=order,
        provider_event_id="evt-fixture", event_type="porting_order.status_changed",
        status="flagged", reason="a test fixture",
    )  # fmt: skip
    return {"carrier_connection": connection, "carrier_event": event}


def _webhooks(organization_id):
    """An endpoint with one delivered event, for the webhook pages and routes. Disabled,
    so that no other test's events are sent anywhere."""
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
    from webhooks.services import new_secret

    endpoint = WebhookEndpoint.objects.create(
        organization_id=organization_id, url="https://93.184.215.14/hooks", secret=new_secret(),
        description="PSA", is_active=False, disabled_reason="a test fixture",
    )  # fmt: skip
    event = WebhookEvent.objects.create(
        organization_id=organization_id, type="port_order.state_changed", body="{}"
    )
    delivery = WebhookDelivery.objects.create(
        organization_id=organization_id, endpoint=endpoint, event=event, status="succeeded",
        attempts=1, last_status_code=204,
    )  # fmt: skip
    return {"webhook_endpoint": endpoint, "webhook_delivery": delivery}


def _checklist_job(migration, user):
    """A pre-flight checklist PDF job (queued, never run) for the job pages."""
    from cutover.models import ChecklistJob

    return ChecklistJob.objects.create(migration=migration, requested_by=user)


def _step(order, user):
    """A dated cutover step of the order (pending), for the cutover steps pages."""
    from datetime import timedelta

    from django.utils import timezone

    from cutover.models import Step
    from cutover.steps.services import ensure_plan

    plan = ensure_plan(order.migration, by=user)
    return Step.objects.create(
        plan=plan, port_order=order, code="port", title="Numbers port", offset_minutes=0,
        due_at=timezone.now() + timedelta(days=7), owner=order.migration.owner,
    )  # fmt: skip


def _location(migration, user):
    """A dispatchable location at the first site (not its default: coverage stays open)."""
    from e911.locations.services import create_location

    site = migration.sites.order_by("pk").first()
    return create_location(
        migration=migration,
        by=user,
        site=site,
        label="Lab",
        address_line1=site.address_line1,
        city=site.city,
        state=site.state,
        postal_code=site.postal_code,
    )


def _remote_worker(migration):
    """A remote worker (no link sent) for the E911 remote-worker pages."""
    from e911.models import RemoteWorker

    return RemoteWorker.objects.create(
        migration=migration, name="Robin Remote", email="robin.remote@example.com"
    )


@pytest.fixture
def world_b(org_b, pm_b):
    customer = f.CustomerFactory(organization=org_b, legal_name="Lear Dental PLLC")
    migration = f.MigrationFactory(customer=customer, name="Lear phones", owner=pm_b)
    site = f.SiteFactory(migration=migration, name="Houston")
    endpoint = f.EndpointFactory(site=site, extension="201")
    number = f.PhoneNumberFactory(migration=migration, number="+17135550100")
    return {
        "customer": customer,
        "migration": migration,
        "site": site,
        "endpoint": endpoint,
        "number": number,
        **_porting_world(migration, number, pm_b),
    }


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_client_for():
    def make(user):
        client = APIClient()
        token, key = create_api_token(user, name="tests")
        # As if used a moment ago: the first request then writes no "last used" time,
        # so query-count tests compare like with like.
        token.last_used_at = clock.now()
        token.save(update_fields=["last_used_at"])
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
