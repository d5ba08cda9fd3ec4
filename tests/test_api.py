"""REST API: CRUD, organization scoping (404 rule), roles, secrets, history, queries, schema.

Organization A ("northwind") holds `world_a`; B ("lear") must never see or link to it."""

import json
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import Customer, Migration
from porting.models import PhoneNumber
from sites.models import Endpoint, Site

from . import factories as f

pytestmark = pytest.mark.django_db

SECRET = "Plain-SIP-Secret-4711"
REASON = {"HTTP_X_CHANGE_REASON": "Ticket 42: customer asked"}


def url(org, resource, key=None):
    base = f"/api/o/{org.slug}/{resource}/"
    return f"{base}{key}/" if key is not None else base


def key_of(resource, obj):
    return obj.uuid if resource == "migrations" else obj.pk


RESOURCES = {
    "customers": "customer",
    "migrations": "migration",
    "sites": "site",
    "endpoints": "endpoint",
    "numbers": "number",
}


def valid_payloads(world):
    """A full, valid body per resource, referring to `world`'s rows."""
    m, s = world["migration"], world["site"]
    return {
        "customers": {"legal_name": "Payload Co LLC", "operating_states": ["tx"]},
        "migrations": {"customer": world["customer"].pk, "name": "Payload migration"},
        "sites": {
            "migration": str(m.uuid),
            "name": "Payload site",
            "address_line1": "500 Elm Street",
            "city": "Dallas",
            "state": "TX",
            "postal_code": "75202",
            "timezone": "America/Chicago",
        },
        "endpoints": {"site": s.pk, "extension": "4321", "mac_address": "00:04:f2:00:99:99"},
        "numbers": {"migration": str(m.uuid), "number": "214-555-0177"},
    }


# -- authentication ---------------------------------------------------------------------


def test_anonymous_gets_401(world_a, org_a):
    response = APIClient().get(url(org_a, "customers"))
    assert response.status_code == 401


def test_session_auth_works_and_enforces_csrf(world_a, org_a, pm_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(pm_a)
    response = client.get(url(org_a, "customers"))
    assert response.status_code == 200
    assert response.json()["results"][0]["legal_name"] == "Acme Tax Services LLC"
    # Session writes need the CSRF token, as everywhere in Django.
    response = client.post(url(org_a, "customers"), {"legal_name": "No CSRF LLC"}, format="json")
    assert response.status_code == 403
    assert not Customer.objects.filter(legal_name="No CSRF LLC").exists()


# -- CRUD round trips -------------------------------------------------------------------


def test_customer_crud_round_trip_with_history(org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    response = client.post(
        url(org_a, "customers"),
        {"legal_name": "Bluebonnet Dental PLLC", "operating_states": ["tx", "ca"]},
        format="json",
        **REASON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["operating_states"] == ["CA", "TX"]  # normalized by the model
    assert "organization" not in body
    pk = body["id"]
    customer = Customer.objects.get(pk=pk)
    assert customer.organization == org_a

    assert client.get(url(org_a, "customers", pk)).json()["legal_name"] == "Bluebonnet Dental PLLC"

    response = client.put(
        url(org_a, "customers", pk),
        {"legal_name": "Bluebonnet Dental PLLC", "dba_name": "Bluebonnet"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["dba_name"] == "Bluebonnet"

    response = client.patch(
        url(org_a, "customers", pk), {"handles_health_information": True}, format="json", **REASON
    )
    assert response.status_code == 200
    assert response.json()["handles_health_information"] is True

    records = list(customer.history.order_by("history_id"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert all(r.history_user == pm_a for r in records)
    assert [r.history_change_reason for r in records] == [
        REASON["HTTP_X_CHANGE_REASON"],
        "",
        REASON["HTTP_X_CHANGE_REASON"],
    ]

    response = client.delete(url(org_a, "customers", pk), HTTP_X_CHANGE_REASON="Duplicate")
    assert response.status_code == 204
    assert not Customer.objects.filter(pk=pk).exists()
    deleted = Customer.history.filter(id=pk, history_type="-").get()
    assert deleted.history_user == pm_a
    assert deleted.history_change_reason == "Duplicate"


def test_migration_is_addressed_by_uuid(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    response = client.post(
        url(org_a, "migrations"),
        {"customer": world_a["customer"].pk, "name": "Phase 2", "owner": pm_a.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    migration = Migration.objects.get(uuid=body["uuid"])
    assert "id" not in body
    assert body["customer"] == world_a["customer"].pk

    detail = url(org_a, "migrations", migration.uuid)
    assert client.get(detail).json()["name"] == "Phase 2"
    response = client.patch(detail, {"status": "in_progress"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    # Sending a uuid changes nothing: it is read-only.
    response = client.patch(detail, {"uuid": str(uuid.uuid4())}, format="json")
    assert response.json()["uuid"] == str(migration.uuid)

    assert client.post(detail, {}, format="json").status_code == 405  # own object: real 405
    assert client.get(url(org_a, "migrations", migration.pk)).status_code == 404
    assert client.get(url(org_a, "migrations", "not-a-uuid")).status_code == 404
    assert client.delete(detail).status_code == 204
    assert not Migration.objects.filter(pk=migration.pk).exists()


def test_site_round_trip_derives_customer(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    payload = valid_payloads(world_a)["sites"] | {"address_line2": "Ste 200", "state": "tx"}
    response = client.post(url(org_a, "sites"), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == world_a["customer"].pk
    assert body["migration"] == str(world_a["migration"].uuid)
    assert body["state"] == "TX"
    site = Site.objects.get(pk=body["id"])
    assert site.customer == world_a["customer"]

    response = client.patch(url(org_a, "sites", site.pk), {"seat_count": 7}, format="json")
    assert response.status_code == 200
    assert response.json()["seat_count"] == 7
    response = client.patch(
        url(org_a, "sites", site.pk), {"timezone": "Mars/Olympus"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    assert client.delete(url(org_a, "sites", site.pk)).status_code == 204


def test_endpoint_round_trip_and_secret_handling(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    bodies = []

    response = client.post(
        url(org_a, "endpoints"),
        {
            "site": world_a["site"].pk,
            "extension": "150",
            "mac_address": "00-04-f2-ab-cd-ef",
            "sip_username": "u150",
            "sip_password": SECRET,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    bodies.append(response.content)
    body = response.json()
    assert body["mac_address"] == "00:04:F2:AB:CD:EF"
    assert body["migration"] == str(world_a["migration"].uuid)  # taken from the site
    assert body["has_sip_password"] is True
    assert "sip_password" not in body
    pk = body["id"]
    detail = url(org_a, "endpoints", pk)

    # Stored encrypted: the raw column never holds the plaintext.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sip_password FROM {Endpoint._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        (raw,) = cursor.fetchone()
    assert raw and SECRET not in raw
    assert Endpoint.objects.get(pk=pk).sip_password == SECRET

    # An update that omits the password keeps it (PATCH and PUT alike).
    response = client.patch(detail, {"display_name": "Front desk"}, format="json")
    assert response.status_code == 200
    bodies.append(response.content)
    response = client.put(
        detail, {"site": world_a["site"].pk, "extension": "151", "kind": "softphone"}, format="json"
    )
    assert response.status_code == 200, response.content
    bodies.append(response.content)
    endpoint = Endpoint.objects.get(pk=pk)
    assert endpoint.sip_password == SECRET
    assert endpoint.extension == "151"

    bodies.append(client.get(detail).content)
    bodies.append(client.get(url(org_a, "endpoints")).content)
    for raw_body in bodies:
        assert SECRET.encode() not in raw_body
        assert b'"sip_password"' not in raw_body
    browsable = client.get(detail, {"format": "api"})  # the HTML page and its forms
    assert browsable.status_code == 200
    assert SECRET.encode() not in browsable.content

    # The password is not in history either.
    assert SECRET not in json.dumps([str(vars(h)) for h in endpoint.history.all()])

    # An empty string clears it.
    response = client.patch(detail, {"sip_password": ""}, format="json")
    assert response.json()["has_sip_password"] is False

    # A bad MAC is a 400 on the field, not a 500.
    response = client.patch(detail, {"mac_address": "zz:zz"}, format="json")
    assert response.status_code == 400
    assert "mac_address" in response.json()

    assert client.delete(detail).status_code == 204


def test_endpoint_site_and_migration_must_agree(world_a, org_a, pm_a, api_client_for):
    other = f.MigrationFactory(customer=world_a["customer"], name="Other")
    response = api_client_for(pm_a).post(
        url(org_a, "endpoints"),
        {"site": world_a["site"].pk, "migration": str(other.uuid), "extension": "160"},
        format="json",
    )
    assert response.status_code == 400
    assert "site" in response.json()


def test_phone_number_round_trip(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    m = world_a["migration"]
    response = client.post(
        url(org_a, "numbers"),
        {"migration": str(m.uuid), "number": "(214) 555-0123", "status": "live", "kind": "x"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "+12145550123"
    assert body["display"] == "(214) 555-0123"
    assert body["kind"] == "local"
    assert body["status"] == "legacy"  # read-only: the FSM default, never assigned
    pk = body["id"]

    response = client.patch(
        url(org_a, "numbers", pk),
        {"purpose": "fax", "endpoint": world_a["endpoint"].pk, "site": world_a["site"].pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    number = PhoneNumber.objects.get(pk=pk)
    assert (number.purpose, number.endpoint, number.status) == (
        "fax",
        world_a["endpoint"],
        "legacy",
    )

    response = client.post(
        url(org_a, "numbers"), {"migration": str(m.uuid), "number": "1 888 555 0100"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "toll_free"

    for bad in ("12345", "+44 20 7946 0958", "(999) 555-0100"):
        response = client.post(
            url(org_a, "numbers"), {"migration": str(m.uuid), "number": bad}, format="json"
        )
        assert response.status_code == 400, bad
        assert "number" in response.json()

    # The same number twice in an organization is refused by the model's constraint.
    response = client.post(
        url(org_a, "numbers"), {"migration": str(m.uuid), "number": "214.555.0100"}, format="json"
    )
    assert response.status_code == 400
    assert "already" in json.dumps(response.json())

    assert client.delete(url(org_a, "numbers", pk)).status_code == 204


def test_model_validation_errors_are_400s(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    response = client.post(
        url(org_a, "migrations"),
        {
            "customer": world_a["customer"].pk,
            "name": "Backwards",
            "target_start": "2030-05-10",
            "target_end": "2030-05-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "target_end" in response.json()

    response = client.post(
        url(org_a, "customers"), {"legal_name": "Acme Tax Services LLC"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()

    response = client.post(
        url(org_a, "customers"), {"legal_name": "X", "operating_states": ["ZZ"]}, format="json"
    )
    assert response.status_code == 400
    assert "ZZ" in response.json()["operating_states"][0]


def test_organization_is_never_accepted(world_a, org_a, org_b, pm_a, api_client_for):
    client = api_client_for(pm_a)
    response = client.post(
        url(org_a, "customers"),
        {"legal_name": "Sneaky LLC", "organization": org_b.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "organization" in response.json()
    assert not Customer.objects.filter(legal_name="Sneaky LLC").exists()


def test_deleting_a_referenced_object_is_a_conflict(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    response = client.delete(url(org_a, "customers", world_a["customer"].pk))
    assert response.status_code == 409
    assert "migrations" in response.json()["detail"]
    assert Customer.objects.filter(pk=world_a["customer"].pk).exists()


def test_change_reason_is_bounded(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    target = url(org_a, "customers", world_a["customer"].pk)
    long_but_fine = "carrier said: " + "x" * 400
    response = client.patch(target, {"dba_name": "Long"}, format="json",
                            HTTP_X_CHANGE_REASON=long_but_fine)  # fmt: skip
    assert response.status_code == 200
    assert world_a["customer"].history.latest().history_change_reason == long_but_fine
    response = client.patch(target, {"dba_name": "Longer"}, format="json",
                            HTTP_X_CHANGE_REASON="x" * 1001)  # fmt: skip
    assert response.status_code == 400
    assert "X-Change-Reason" in response.json()


# -- organization scoping: another organization is a missing one (404) -----------------

# Every method, even those a detail URL does not allow: never a 405 or 403 that would
# tell "exists in another organization" from "missing".
METHODS = ("get", "put", "patch", "delete", "post", "options", "head")


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_other_org_member_gets_404_everywhere(
    resource, world_a, world_b, org_a, org_b, pm_b, api_client_for
):
    client = api_client_for(pm_b)
    obj = world_a[RESOURCES[resource]]
    payload = valid_payloads(world_b)[resource]
    before = type(obj).objects.count()

    # Through organization A's URLs: pm_b is not a member, so A "does not exist".
    detail = url(org_a, resource, key_of(resource, obj))
    missing_org = f"/api/o/no-such-org/{resource}/{key_of(resource, obj)}/"
    expected = client.get(missing_org)
    assert expected.status_code == 404
    for method in METHODS:
        response = getattr(client, method)(detail, payload, format="json")
        assert response.status_code == 404, (method, response.content)
        assert response.content == (b"" if method == "head" else expected.content)
    assert client.get(url(org_a, resource)).status_code == 404
    assert client.post(url(org_a, resource), payload, format="json").status_code == 404

    # Through B's own URLs with A's ids: exactly like an id that does not exist.
    own = url(org_b, resource, key_of(resource, obj))
    absent_key = uuid.uuid4() if resource == "migrations" else 987654321
    expected = client.get(url(org_b, resource, absent_key))
    for method in METHODS:
        response = getattr(client, method)(own, payload, format="json")
        assert response.status_code == 404, (method, response.content)
        assert response.content == (b"" if method == "head" else expected.content)

    listed = client.get(url(org_b, resource)).json()["results"]
    field = "uuid" if resource == "migrations" else "id"
    assert listed
    assert str(key_of(resource, obj)) not in {str(item[field]) for item in listed}
    assert type(obj).objects.count() == before
    obj.refresh_from_db()  # still there, unchanged


@pytest.mark.parametrize(
    "resource, field, a_value",
    [
        ("migrations", "customer", lambda w: w["customer"].pk),
        ("migrations", "owner", lambda w: w["migration"].owner_id),
        ("sites", "migration", lambda w: str(w["migration"].uuid)),
        ("endpoints", "site", lambda w: w["site"].pk),
        ("endpoints", "migration", lambda w: str(w["migration"].uuid)),
        ("numbers", "migration", lambda w: str(w["migration"].uuid)),
        ("numbers", "site", lambda w: w["site"].pk),
        ("numbers", "endpoint", lambda w: w["endpoint"].pk),
    ],
)
def test_linking_another_orgs_row_is_invalid(
    resource, field, a_value, world_a, world_b, org_b, pm_b, api_client_for
):
    client = api_client_for(pm_b)
    model = {"migrations": Migration, "sites": Site, "endpoints": Endpoint, "numbers": PhoneNumber}[
        resource
    ]
    before = model.objects.count()
    payload = valid_payloads(world_b)[resource] | {field: a_value(world_a)}
    response = client.post(url(org_b, resource), payload, format="json")
    assert response.status_code == 400, response.content
    message = json.dumps(response.json()[field])
    assert "Invalid pk" in message or "does not exist" in message
    assert model.objects.count() == before

    # Updates cannot re-point an existing B row at A either.
    obj = world_b[RESOURCES[resource]]
    response = client.patch(
        url(org_b, resource, key_of(resource, obj)), {field: a_value(world_a)}, format="json"
    )
    assert response.status_code == 400
    obj.refresh_from_db()
    assert obj.organization_id == world_b["customer"].organization_id


def test_browsable_api_forms_offer_only_own_rows(world_a, world_b, org_b, pm_b, api_client_for):
    client = api_client_for(pm_b)
    for resource in ("sites", "endpoints", "numbers"):
        page = client.get(url(org_b, resource), {"format": "api"})
        assert page.status_code == 200
        assert b"Houston" in page.content  # B's site is offered in the form ...
        assert b"Dallas HQ" not in page.content  # ... A's never
        assert str(world_a["migration"].uuid).encode() not in page.content


def test_filters_are_scoped(world_a, world_b, org_a, org_b, pm_b, pm_a, api_client_for):
    client = api_client_for(pm_b)
    response = client.get(url(org_b, "endpoints"), {"migration": str(world_a["migration"].uuid)})
    assert response.status_code == 400
    response = client.get(url(org_b, "endpoints"), {"site": world_a["site"].pk})
    assert response.status_code == 400
    response = client.get(url(org_b, "numbers"), {"migration": "not-a-uuid"})
    assert response.status_code == 400

    client = api_client_for(pm_a)
    response = client.get(url(org_a, "endpoints"), {"migration": str(world_a["migration"].uuid)})
    assert [e["id"] for e in response.json()["results"]] == [world_a["endpoint"].pk]
    response = client.get(url(org_a, "customers"), {"q": "acme"})
    assert response.json()["count"] == 1
    response = client.get(url(org_a, "customers"), {"q": "lear"})
    assert response.json()["count"] == 0
    response = client.get(url(org_a, "numbers"), {"ordering": "-number"})
    assert response.status_code == 200


# -- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_viewer_reads_but_cannot_write(resource, world_a, org_a, viewer_a, api_client_for):
    client = api_client_for(viewer_a)
    obj = world_a[RESOURCES[resource]]
    detail = url(org_a, resource, key_of(resource, obj))
    assert client.get(url(org_a, resource)).status_code == 200
    assert client.get(detail).status_code == 200
    payload = valid_payloads(world_a)[resource]
    assert client.post(url(org_a, resource), payload, format="json").status_code == 403
    assert client.patch(detail, payload, format="json").status_code == 403
    assert client.put(detail, payload, format="json").status_code == 403
    assert client.delete(detail).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_technician_writes_endpoints_only(world_a, org_a, tech_a, api_client_for):
    client = api_client_for(tech_a)
    endpoint = world_a["endpoint"]
    response = client.patch(
        url(org_a, "endpoints", endpoint.pk), {"firmware": "7.0.1"}, format="json", **REASON
    )
    assert response.status_code == 200
    record = endpoint.history.latest("history_id")
    assert (record.history_user, record.history_change_reason) == (
        tech_a,
        REASON["HTTP_X_CHANGE_REASON"],
    )
    response = client.post(
        url(org_a, "endpoints"), valid_payloads(world_a)["endpoints"], format="json"
    )
    assert response.status_code == 201
    response = client.patch(
        url(org_a, "customers", world_a["customer"].pk), {"dba_name": "Nope"}, format="json"
    )
    assert response.status_code == 403
    response = client.patch(
        url(org_a, "sites", world_a["site"].pk), {"seat_count": 1}, format="json"
    )
    assert response.status_code == 403


# -- queries ----------------------------------------------------------------------------


def _grow(world, n):
    migration, site = world["migration"], world["site"]
    start = PhoneNumber.objects.count()
    for i in range(start, start + n):
        f.CustomerFactory(organization=world["customer"].organization)
        f.MigrationFactory(customer=world["customer"])
        extra_site = f.SiteFactory(migration=migration)
        f.EndpointFactory(site=extra_site)
        f.PhoneNumberFactory(migration=migration, site=site, number=f"+1469555{i:04d}")


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_list_query_count_does_not_grow(resource, world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url(org_a, resource))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    _grow(world_a, 4)
    few, n_few = count()
    _grow(world_a, 30)
    many, n_many = count()
    assert n_many > n_few
    assert many == few <= 5


# -- schema -----------------------------------------------------------------------------


def test_schema_is_valid_openapi(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )


def test_schema_endpoint_lists_the_api(client, pm_a):
    client.force_login(pm_a)  # the schema is for signed-in users (tests/test_api_docs_login.py)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for resource in RESOURCES:
        assert f"/api/o/{{org_slug}}/{resource}/" in paths
    assert "/api/o/{org_slug}/migrations/{uuid}/" in paths
    endpoint = schema["components"]["schemas"]["Endpoint"]["properties"]
    assert "sip_password" not in endpoint
    assert "has_sip_password" in endpoint
    assert "sip_password" in schema["components"]["schemas"]["EndpointRequest"]["properties"]
    assert client.get("/api/docs/").status_code == 200
