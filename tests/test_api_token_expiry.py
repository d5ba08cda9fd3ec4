"""API tokens expire: chosen at creation (30, 90, 180 or 365 days, 90 by default, never
more than a year), refused after with a clear 401, shown on the tokens page with "expires
in N days". Still hashed at rest, named and revocable per user. On a frozen clock."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy.models import ApiToken
from tenancy.services import create_api_token

from .clock import clock_frozen_at
from .conftest import login

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
frozen_clock = clock_frozen_at(START, tick=False)


def _api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_new_token_works_90_days_by_default_then_is_refused_with_the_reason(
    frozen_clock, pm_a, org_a
):
    token, key = create_api_token(pm_a, name="billing sync")
    assert token.expires_at == START + timedelta(days=90)
    url = reverse("api:migration-list", args=[org_a.slug])
    assert _api(key).get(url).status_code == 200

    frozen_clock.move_to(START + timedelta(days=90) - timedelta(seconds=1))
    assert _api(key).get(url).status_code == 200  # its last second

    frozen_clock.move_to(START + timedelta(days=90))
    response = _api(key).get(url)
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This token expired on 2027-04-10. Create a new one on the API tokens page "
        "(/account/tokens/) and revoke this one."
    )
    assert response["WWW-Authenticate"] == "Token"


def test_the_lifetime_is_chosen_from_a_list_and_never_more_than_a_year(frozen_clock, pm_a):
    token, _key = create_api_token(pm_a, name="a year", days=365)
    assert token.expires_at == START + timedelta(days=365)
    for days in (0, -1, 366, 10_000):
        with pytest.raises(ValidationError, match="1 to 365 days"):
            create_api_token(pm_a, name="too long", days=days)


def test_the_page_offers_the_lifetimes_and_shows_days_left(frozen_clock, client, pm_a):
    login(client, pm_a)
    page = client.get(reverse("api-tokens")).content.decode()
    for label in ("30 days", "90 days", "180 days", "1 year"):
        assert f">{label}</option>" in page
    assert '<option value="90" selected>' in page

    client.post(reverse("api-tokens"), {"name": "laptop", "days": "30"})
    token = ApiToken.objects.get(user=pm_a, name="laptop")
    assert token.expires_at == START + timedelta(days=30)
    assert "expires in 30 days" in client.get(reverse("api-tokens")).content.decode()

    frozen_clock.move_to(START + timedelta(days=20))
    login(client, pm_a)  # a new session: the first one has expired by now
    page = client.get(reverse("api-tokens")).content.decode()
    assert "expires in 10 days" in page and "badge-warn" in page  # its last two weeks
    frozen_clock.move_to(START + timedelta(days=31))
    login(client, pm_a)
    page = client.get(reverse("api-tokens")).content.decode()
    assert ">expired</span>" in page
    assert "Revoke" not in page.split('data-testid="tokens"')[1]


def test_a_form_without_a_lifetime_gets_the_default(frozen_clock, client, pm_a):
    login(client, pm_a)
    response = client.post(reverse("api-tokens"), {"name": "script"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=pm_a).expires_at == START + timedelta(days=90)
    assert "works until 2027-04-10" in response.content.decode()
    bad = client.post(reverse("api-tokens"), {"name": "forever", "days": "100000"})
    assert bad.status_code == 400 and ApiToken.objects.filter(user=pm_a).count() == 1


def test_expired_tokens_do_not_count_against_the_limit(frozen_clock, pm_a, settings):
    from tenancy import services

    for n in range(services.MAX_ACTIVE_TOKENS):
        create_api_token(pm_a, name=f"t{n}", days=30)
    with pytest.raises(ValidationError, match="active tokens"):
        create_api_token(pm_a, name="one more")
    frozen_clock.move_to(START + timedelta(days=30))
    create_api_token(pm_a, name="one more")


def test_the_command_takes_a_lifetime(frozen_clock, pm_a, capsys):
    call_command("create_api_token", "pm_a", "--name", "sync", "--days", "180")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=pm_a)
    assert token.expires_at == START + timedelta(days=180)
    # Hashed at rest: only the SHA-256 is stored, nowhere the key itself.
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values_list()))
