"""The API's schema and its reader are for signed-in users: anonymous visitors get 401
(the schema) or the login page (Swagger UI); a token or a session opens them. /api/redoc/
sends to Swagger UI (ReDoc cannot work under the Content-Security-Policy)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_neither_the_schema_nor_the_docs():
    anonymous = APIClient()
    for fmt in ("json", "yaml"):
        response = anonymous.get("/api/schema/", {"format": fmt})
        assert response.status_code == 401, fmt
        assert b"/api/o/" not in response.content
    for url in ("/api/docs/", "/api/docs/?script="):  # the page and its start-up script
        response = Client().get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"] and "next=" in response["Location"]
    response = Client().get("/api/redoc/", follow=True)
    assert "/login/" in response.redirect_chain[-1][0]


def test_a_wrong_token_is_refused_too():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "x" * 43)
    assert client.get("/api/schema/", {"format": "json"}).status_code == 401


def test_a_token_opens_the_schema(api_client_for, pm_a):
    response = api_client_for(pm_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/o/{org_slug}/migrations/" in response.json()["paths"]


def test_a_session_opens_the_schema_and_the_reader(client, pm_a):
    client.force_login(pm_a)
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"<script>" not in response.content  # no inline script (tests/test_csp.py)
    assert client.get("/api/redoc/")["Location"] == "/api/docs/"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
