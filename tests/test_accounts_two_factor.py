"""Two-factor for staff (django-allauth's MFA): an authenticator app (TOTP) and passkeys
(WebAuthn); an organization's owner can require it of every member (docs/accounts.md)."""

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.models import OrganizationSecurity
from accounts.services import set_two_factor_requirement

from .accounts_helpers import (
    PASSWORD,
    address_client,
    forget_code_attempts,
    inside_one_code_period,
    sign_in,
    signed_in,
    totp_code,
)

pytestmark = pytest.mark.django_db


def _activate_totp(client) -> str:
    """Turn on an authenticator app for the signed-in user, as the page asks: scan the
    secret, type the code it shows. Returns the secret."""
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth asks for the password again before a change
        assert page["Location"].startswith(reverse("account_reauthenticate"))
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    forget_code_attempts(page.context["user"])
    assert secret in page.content.decode()  # shown, for typing in by hand
    with inside_one_code_period():
        done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert done.status_code == 302
    return secret


def test_totp_enrollment_then_sign_in_asks_for_the_code(pm_a):
    client = address_client()
    assert sign_in(client, "pm_a").status_code == 302
    secret = _activate_totp(client)
    authenticator = Authenticator.objects.get(user=pm_a, type=Authenticator.Type.TOTP)
    assert secret not in json.dumps(authenticator.data)  # encrypted at rest
    client.post(reverse("logout"))

    with inside_one_code_period(later=35):  # a code is used once: the next period's
        client = address_client()
        forget_code_attempts(pm_a)
        first = sign_in(client, "pm_a")
        assert first.status_code == 302 and first["Location"] == reverse("mfa_authenticate")
        assert not signed_in(client)  # the password alone is not enough
        wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert wrong.status_code == 200 and not signed_in(client)
        right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert right.status_code == 302 and signed_in(client)


def test_second_factor_codes_are_limited(pm_a):
    client = address_client()
    sign_in(client, "pm_a")
    secret = _activate_totp(client)
    client.post(reverse("logout"))
    client = address_client()
    sign_in(client, "pm_a")
    forget_code_attempts(pm_a)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    with inside_one_code_period(later=30):
        refused = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert not signed_in(client) and "Too many" in refused.content.decode()


def test_an_owner_requires_two_factor_and_members_without_it_are_sent_to_set_it_up(
    owner_a, pm_a, org_a, world_a
):
    owner = address_client()
    sign_in(owner, "owner_a")
    security = reverse("org-security", args=[org_a.slug])
    # An owner without two-factor cannot require it (they would be sent away themselves).
    owner.post(reverse("org-two-factor", args=[org_a.slug]), {"require_two_factor": "on"})
    assert not OrganizationSecurity.objects.filter(require_two_factor=True).exists()
    _activate_totp(owner)
    response = owner.post(
        reverse("org-two-factor", args=[org_a.slug]), {"require_two_factor": "on"}
    )
    assert response.status_code == 302
    assert 'data-testid="two-factor-required"' in owner.get(security).content.decode()

    member = address_client()
    assert sign_in(member, "pm_a").status_code == 302
    migration = world_a["migration"].get_absolute_url()
    sent = member.get(migration)
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("mfa_index"))
    page = member.get(sent["Location"])
    assert "requires two-factor authentication" in page.content.decode()
    assert member.get(reverse("org-home", args=[org_a.slug])).status_code == 302
    api = member.get(reverse("api:migration-list", args=[org_a.slug]))
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    # Pages outside the organization still open (the account, the organization list).
    assert member.get(reverse("home")).status_code in (200, 302)
    # Nor does an API token, which would reach the organization's API without it.
    made = member.post(reverse("api-tokens"), {"name": "laptop", "days": 90})
    assert made.status_code == 302 and made["Location"] == reverse("mfa_index")
    assert not pm_a.api_tokens.exists()
    # A token made before the requirement reaches nothing of the organization either.
    from django.test import Client

    from tenancy.services import create_api_token

    _token, key = create_api_token(pm_a, name="made before")
    by_token = Client(HTTP_AUTHORIZATION=f"Token {key}")
    refused = by_token.get(reverse("api:migration-list", args=[org_a.slug]))
    assert refused.status_code == 403 and refused.json()["code"] == "two_factor_required"
    wrong = Client(HTTP_AUTHORIZATION="Token " + "x" * 43)
    assert wrong.get(reverse("api:migration-list", args=[org_a.slug])).status_code == 401
    _activate_totp(member)
    assert member.get(migration).status_code == 200
    assert by_token.get(reverse("api:migration-list", args=[org_a.slug])).status_code == 200


def test_the_requirement_is_the_organizations_own(pm_b, org_a, org_b, owner_a):
    """Organization A requiring two-factor does not touch B's members on B's pages."""
    client = address_client()
    sign_in(client, "owner_a")
    _activate_totp(client)
    set_two_factor_requirement(org_a, by=owner_a, required=True)
    other = address_client()
    sign_in(other, "pm_b")
    assert other.get(reverse("org-home", args=[org_b.slug])).status_code == 200
    # And a non-member of A is answered 404 on A's pages, not sent to set up two-factor.
    assert other.get(reverse("org-home", args=[org_a.slug])).status_code == 404


def test_the_account_page_offers_passkeys_and_the_registration_options_work(pm_a):
    client = address_client()
    sign_in(client, "pm_a")
    index = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in index and reverse("mfa_activate_totp") in index
    assert "passkey" in index.lower()
    page = client.get(reverse("mfa_add_webauthn"))
    if page.status_code == 302:  # the password again, then the page
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    html = page.content.decode()
    data = json.loads(re.search(r'<script id="js_data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))  # fmt: skip
    options = data["creation_options"]["publicKey"]
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["name"] in ("pm_a", pm_a.email)
    assert options["challenge"] and {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert "mfa/js/webauthn.js" in html  # the script that runs the ceremony, a static file


def test_the_login_page_offers_a_passkey_and_sso(client):
    html = client.get(reverse("login")).content.decode()
    assert 'id="passkey_login"' in html and reverse("mfa_login_webauthn") in html
    assert reverse("sso-start") in html and 'name="login"' in html
    assert "<script>" not in html.replace("<script data-allauth-onload", "")  # no inline JS


def test_members_cannot_change_their_own_email_address(client, pm_a):
    """An unverified change would let one member claim another's address (it names the
    account for resets, sign-in and single sign-on)."""
    client.force_login(pm_a)
    before = pm_a.email
    answer = client.post("/accounts/email/", {"action_add": "", "email": "ceo@other.example"})
    assert answer.status_code == 302 and answer["Location"] == reverse("mfa_index")
    pm_a.refresh_from_db()
    assert pm_a.email == before
    assert not pm_a.emailaddress_set.filter(email="ceo@other.example").exists()
