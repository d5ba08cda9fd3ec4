"""The API reference groups its operations by resource, not under "o" (the first segment of
every path, /api/o/<org>/…)."""

import pytest
from django.conf import settings

from tenancy.api_base import resource_tag

pytestmark = pytest.mark.django_db

BASE = "/api/o/{org_slug}/"


@pytest.fixture
def schema(api_client_for, pm_a):
    response = api_client_for(pm_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_has_one_resource_tag(schema):
    operations = list(_operations(schema))
    assert len(operations) > 40
    for path, method, operation in operations:
        assert len(operation.get("tags", [])) == 1, (method, path, operation.get("tags"))
        assert operation["tags"] != ["o"], (method, path)


def test_routes_are_tagged_by_their_resource(schema):
    paths = schema["paths"]

    def tags(path, method="get"):
        return paths[BASE + path][method]["tags"]

    for path in ("numbers/", "numbers/{id}/"):
        assert tags(path) == ["Numbers"]
    for path in ("port-orders/", "port-orders/{id}/", "port-orders/plan/",
                 "port-orders/{id}/transitions/", "port-orders/{id}/foc/",
                 "port-orders/{id}/test-calls/", "port-orders/{id}/rejections/"):  # fmt: skip
        assert tags(path) == ["Port orders"], path
    assert tags("port-orders/{id}/transition/", "post") == ["Port orders"]
    assert tags("port-orders/{id}/loa/") == tags("port-orders/{id}/findings/") == ["LOAs"]
    assert tags("port-orders/{id}/signing-requests/") == ["Signing"]
    assert tags("port-orders/{id}/loa/send/", "post") == ["Signing"]
    assert tags("port-orders/{id}/loa/signed.pdf/") == ["Signing"]
    assert tags("customers/") == ["Customers"] and tags("sites/{id}/") == ["Sites"]
    assert tags("endpoints/") == ["Endpoints"]
    assert tags("carrier-accounts/{id}/") == ["Carrier accounts"]
    assert tags("migrations/{uuid}/") == ["Migrations"]


def test_the_groups_are_described_and_each_is_used(schema):
    declared = [tag["name"] for tag in schema["tags"]]
    assert declared == [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]
    assert all(tag.get("description") for tag in schema["tags"])
    used = {operation["tags"][0] for _path, _method, operation in _operations(schema)}
    # A stale or misspelt name would describe a group no operation is in.
    assert set(declared) <= used


def test_a_new_resource_is_grouped_without_being_listed():
    assert resource_tag(BASE + "e911-locations/") == "E911 locations"
    assert resource_tag(BASE + "cutover-steps/{id}/done/") == "Cutover steps"
    assert resource_tag(BASE + "port-orders/{id}/loa/signed.pdf/") == "Signing"
    assert resource_tag("/api/schema/") is None
