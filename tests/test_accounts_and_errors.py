"""Personal API tokens (created and revoked by their user, stored hashed), the scoped
admin for owners, failed-login lockout (more in test_accounts_throttling.py), and
styled error pages."""

import hashlib

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy.models import ApiToken

from .conftest import login

pytestmark = pytest.mark.django_db


def _api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_user_creates_a_token_sees_the_key_once_and_it_works(client, pm_a, org_a, world_a):
    login(client, pm_a)
    page = client.post(reverse("api-tokens"), {"name": "billing sync"})
    html = page.content.decode()
    key = html.split('data-testid="key">')[1].split("<")[0]
    assert len(key) == 43
    token = ApiToken.objects.get(user=pm_a)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in str(
        ApiToken.objects.values_list()
    )
    assert key not in client.get(reverse("api-tokens")).content.decode()  # shown once
    url = reverse("api:migration-list", args=[org_a.slug])
    assert _api(key).get(url).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoking_a_token_stops_it_and_other_users_tokens_are_404(client, pm_a, pm_b, org_a):
    login(client, pm_a)
    html = client.post(reverse("api-tokens"), {"name": "laptop"}).content.decode()
    key = html.split('data-testid="key">')[1].split("<")[0]
    token = ApiToken.objects.get(user=pm_a)
    other = Client()
    other.force_login(pm_b)
    assert other.post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    assert _api(key).get(reverse("api:migration-list", args=[org_a.slug])).status_code == 200
    client.post(reverse("api-token-revoke", args=[token.pk]))
    assert _api(key).get(reverse("api:migration-list", args=[org_a.slug])).status_code == 401
    assert "revoked" in client.get(reverse("api-tokens")).content.decode()


def test_a_token_needs_a_name_and_the_page_says_so(client, viewer_a):
    login(client, viewer_a)  # any user may hold tokens: their roles limit them
    response = client.post(reverse("api-tokens"), {"name": ""})
    assert response.status_code == 400 and b'data-testid="error-summary"' in response.content
    assert not ApiToken.objects.exists()


def test_garbage_and_unknown_keys_are_401(org_a, pm_a):
    url = reverse("api:migration-list", args=[org_a.slug])
    for key in ("x" * 43, "not a key", "é" * 30, ""):
        assert _api(key).get(url).status_code == 401, key


def test_keys_from_before_are_copied_hashed_by_the_migration(pm_a):
    from importlib import import_module

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=pm_a)
    migration = import_module("tenancy.migrations.0005_api_tokens_from_drf")
    migration.copy_keys(apps, None)
    assert not Token.objects.exists()
    copied = ApiToken.objects.get(user=pm_a)
    assert copied.key_hash == hashlib.sha256(old.key.encode()).hexdigest()


# -- the scoped admin ----------------------------------------------------------------


def test_an_owner_reaches_the_admin_scoped_to_their_organization(client, owner_a, world_a, world_b):
    login(client, owner_a)
    home = client.get(reverse("org-home", args=[world_a["customer"].organization.slug]))
    assert 'href="/admin/"' in home.content.decode()
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    changelist = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert world_a["customer"].legal_name in changelist
    assert world_b["customer"].legal_name not in changelist
    other = reverse("admin:customers_customer_change", args=[world_b["customer"].pk])
    assert client.get(other).status_code in (302, 404)
    # Users, groups and the organizations themselves stay with superusers.
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_project_manager_without_staff_does_not_reach_the_admin(client, pm_a):
    login(client, pm_a)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(response["Location"]).status_code == 403  # signed in, not for the admin


def test_an_owner_logs_in_through_the_site_login_from_the_admin(owner_a):
    """The admin has no login form of its own: it sends people to the site's sign-in
    (throttled, with two-factor) and back (docs/accounts.md)."""
    client = Client()
    sent = client.get(reverse("admin:login") + "?next=/admin/")
    assert sent.status_code == 302 and sent["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(
        sent["Location"], {"login": owner_a.username, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# -- lockout and error pages -----------------------------------------------------------


def test_repeated_failed_logins_are_refused_with_a_styled_429(settings, pm_a, viewer_a):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="198.51.100.77")
    url = reverse("login")
    for _ in range(3):
        client.post(url, {"login": pm_a.username, "password": "wrong"})
    response = client.post(url, {"login": pm_a.username, "password": "pw-for-tests-123"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html and 'name="viewport"' in html
    # The account is locked wherever the guesses come from (docs/accounts.md)...
    elsewhere = Client(REMOTE_ADDR="198.51.100.78")
    refused = elsewhere.post(url, {"login": pm_a.username, "password": "pw-for-tests-123"})
    assert refused.status_code == 429
    # ...but the address is not, for someone else's account (its own limit is higher).
    other = client.post(url, {"login": viewer_a.username, "password": "pw-for-tests-123"})
    assert other.status_code == 302


def test_404_and_403_pages_say_what_happened_and_what_to_do(client, viewer_a, world_a, org_a):
    login(client, viewer_a)
    missing = client.get("/o/northwind/migrations/00000000-0000-0000-0000-000000000000/")
    html = missing.content.decode()
    assert missing.status_code == 404 and "There is nothing here you can open" in html
    assert 'name="viewport"' in html and "Go to your organizations" in html
    refused = client.post(world_a["site"].ui_url("update"), {"name": "x"})
    html = refused.content.decode()
    assert refused.status_code == 403 and "Your role cannot do this here" in html
    assert "read-only here" in html and "Nothing was changed" in html


def test_500_page_renders_without_a_database_or_context(django_assert_num_queries):
    from django.views.defaults import server_error

    request = RequestFactory().get("/boom")
    with django_assert_num_queries(0):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in html
    assert "changed nothing" in html
