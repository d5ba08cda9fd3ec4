"""Single sign-on per organization through OpenID Connect (Microsoft Entra ID, Google
Workspace): the owner sets it up, a first sign-in makes the account and a membership at
the default role, only for the allowed email domains (docs/accounts.md). The provider is
a real HTTP server on this machine (tests/doubles/oidc.py), driven through the whole
flow: discovery, authorize, token (RS256 id_token, PKCE), userinfo."""

import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from accounts.models import SingleSignOn
from accounts.services import save_single_sign_on
from tenancy.models import Membership
from tenancy.roles import Role

from . import factories as f
from .accounts_helpers import address_client, signed_in
from .doubles.oidc import OIDCProvider

pytestmark = pytest.mark.django_db

SECRET = "entra-client-secret-0123456789"


@pytest.fixture
def idp():
    with OIDCProvider(client_id="voipmigrate-northwind", client_secret=SECRET) as provider:
        yield provider


@pytest.fixture
def northwind_sso(idp, org_a, owner_a):
    return save_single_sign_on(
        org_a, by=owner_a, kind="entra", issuer_url=idp.issuer, client_id=idp.client_id,
        client_secret=SECRET, allowed_domains="northwind.example, @NW-IT.example",
        default_role=Role.TECHNICIAN, enabled=True,
    )  # fmt: skip


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _through_the_provider(authorize_url: str) -> str:
    """The browser at the provider: it signs the person in and redirects back. Returns
    the path (and query) of the app's callback."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(authorize_url, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read()
        back = urlparse(exc.headers["Location"])
        assert back.netloc == "testserver"
        return f"{back.path}?{back.query}"
    raise AssertionError("the provider did not redirect back")


def _sso_sign_in(client, email_typed, idp):
    started = client.post(reverse("sso-start"), {"email": email_typed})
    assert started.status_code == 302, started.content.decode()[:500]
    assert started["Location"].startswith(f"{idp.issuer}/authorize?")
    return client.get(_through_the_provider(started["Location"]))


def test_a_first_sign_in_makes_the_account_and_the_membership(client, idp, northwind_sso,
                                                             org_a):  # fmt: skip
    idp.sign_in_as(sub="entra-oid-1", email="ana.ruiz@northwind.example", name="Ana Ruiz")
    done = _sso_sign_in(client, "ana.ruiz@northwind.example", idp)
    assert done.status_code == 302 and signed_in(client)
    user = get_user_model().objects.get(email="ana.ruiz@northwind.example")
    assert user.first_name == "Ana" and not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert membership.organization == org_a and membership.role == Role.TECHNICIAN
    assert membership.history.first().history_change_reason == "joined through single sign-on"
    assert SocialAccount.objects.get(user=user).provider == northwind_sso.provider_id
    # The secret went to the provider's token endpoint, and is stored encrypted only.
    assert idp.token_requests[-1]["client_secret"] == SECRET
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM accounts_singlesignon")
        (stored,) = cursor.fetchone()
    assert SECRET not in stored
    # The person lands in their organization, and signs in again without a second account.
    assert client.get(reverse("org-home", args=[org_a.slug])).status_code == 200
    again = address_client()
    assert _sso_sign_in(again, "ana.ruiz@northwind.example", idp).status_code == 302
    assert (
        signed_in(again) and get_user_model().objects.filter(email__iexact=user.email).count() == 1
    )


def test_a_person_of_another_domain_is_refused(client, idp, northwind_sso):
    """Typed a Northwind address, but the provider says someone of another domain."""
    idp.sign_in_as(sub="entra-oid-2", email="eve@elsewhere.example", name="Eve")
    refused = _sso_sign_in(client, "eve@northwind.example", idp)
    assert refused.status_code == 403 and not signed_in(client)
    assert "elsewhere.example" in refused.content.decode()
    assert not get_user_model().objects.filter(email="eve@elsewhere.example").exists()


def test_an_email_that_already_has_an_account_is_not_joined_to_it(client, idp, northwind_sso,
                                                                  pm_a):  # fmt: skip
    pm_a.email = "pm@northwind.example"
    pm_a.save()
    idp.sign_in_as(sub="entra-oid-3", email="pm@northwind.example", name="Someone")
    refused = _sso_sign_in(client, "pm@northwind.example", idp)
    assert refused.status_code == 403 and not signed_in(client)
    assert not SocialAccount.objects.exists()


def test_the_sign_in_page_finds_the_organization_by_email_domain(client, northwind_sso):
    page = client.get(reverse("login")).content.decode()
    assert reverse("sso-start") in page
    unknown = client.post(reverse("sso-start"), {"email": "ana@nowhere.example"})
    assert unknown.status_code == 400 and 'data-testid="sso-error"' in unknown.content.decode()
    assert client.post(reverse("sso-start"), {"email": "x@nw-it.example"}).status_code == 302


def test_the_organizations_own_link_starts_its_sso(client, idp, northwind_sso, org_a, org_b):
    page = client.get(reverse("sso-org-start", args=[org_a.slug]))
    assert page.status_code == 200 and "Northwind" in page.content.decode()
    # The policy lets this page's form lead to the provider (form-action covers redirects),
    # by its origin only.
    form_action = next(d for d in page["Content-Security-Policy"].split(";")
                       if d.strip().startswith("form-action"))  # fmt: skip
    assert idp.issuer in form_action and "'self'" in form_action
    assert idp.issuer in client.get(reverse("sso-start"))["Content-Security-Policy"]
    assert idp.issuer not in client.get(reverse("login")).get("Content-Security-Policy", "")
    started = client.post(reverse("sso-org-start", args=[org_a.slug]))
    assert started["Location"].startswith(f"{idp.issuer}/authorize?")
    assert client.get(reverse("sso-org-start", args=[org_b.slug])).status_code == 404


def test_the_owner_sets_it_up_and_the_secret_is_write_only(client, idp, owner_a, org_a):
    client.force_login(owner_a)
    url = reverse("org-sso", args=[org_a.slug])
    page = client.get(url).content.decode()
    assert "/accounts/oidc/org-northwind/login/callback/" in page  # the redirect URI
    data = {
        "kind": "google", "issuer_url": idp.issuer, "client_id": "gw-client",
        "client_secret": "gw-secret-1", "allowed_domains": "northwind.example",
        "default_role": Role.VIEWER, "enabled": "on",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    sso = SingleSignOn.objects.get(organization=org_a)
    assert sso.client_secret == "gw-secret-1" and sso.provider_id == "org-northwind"
    page = client.get(url).content.decode()
    assert "gw-secret-1" not in page and 'data-testid="secret-stored"' in page
    # Saving without typing the secret keeps it; history never holds it.
    assert client.post(url, {**data, "client_secret": "", "client_id": "gw-2"}).status_code == 302
    sso.refresh_from_db()
    assert sso.client_id == "gw-2" and sso.client_secret == "gw-secret-1"
    assert not hasattr(sso.history.first(), "client_secret")
    # An owner cannot make SSO hand out the owner role.
    bad = client.post(url, {**data, "default_role": Role.OWNER})
    assert bad.status_code == 400


def test_another_organizations_sso_is_not_reachable(client, northwind_sso, org_a, org_b,
                                                    pm_a):  # fmt: skip
    owner_b = f.UserFactory(username="owner_b")
    f.MembershipFactory(user=owner_b, organization=org_b, role=Role.OWNER)
    client.force_login(owner_b)
    url = reverse("org-sso", args=[org_a.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, {"client_id": "stolen"}).status_code == 404
    northwind_sso.refresh_from_db()
    assert northwind_sso.client_id == "voipmigrate-northwind"
    # B cannot claim A's email domain either.
    own = client.post(reverse("org-sso", args=[org_b.slug]), {
        "kind": "entra", "issuer_url": "https://login.example/b", "client_id": "b",
        "client_secret": "b", "allowed_domains": "northwind.example", "default_role": "viewer",
    })  # fmt: skip
    assert own.status_code == 400 and not SingleSignOn.objects.filter(organization=org_b).exists()
    # A project manager of A does not reach it: owners only.
    client.force_login(pm_a)
    assert client.get(url).status_code == 403


def test_a_disabled_sso_starts_nothing_and_its_callback_is_404(client, idp, northwind_sso,
                                                               org_a, owner_a):  # fmt: skip
    idp.sign_in_as(sub="entra-oid-4", email="ana@northwind.example")
    started = client.post(reverse("sso-start"), {"email": "ana@northwind.example"})
    callback = _through_the_provider(started["Location"])
    save_single_sign_on(org_a, by=owner_a, enabled=False)
    assert client.get(callback).status_code == 404 and not signed_in(client)
    assert client.post(reverse("sso-start"), {"email": "ana@northwind.example"}).status_code == 400


def test_a_member_connects_sso_to_their_account_then_signs_in_with_it(idp, northwind_sso,
                                                                      pm_a, pm_b):  # fmt: skip
    """An existing account joins SSO the safe way: signed in with its password first."""
    pm_a.email = "pm@northwind.example"
    pm_a.save()
    client = address_client()
    client.force_login(pm_a)
    connections = client.get(reverse("socialaccount_connections")).content.decode()
    assert "Northwind Integrators single sign-on" in connections
    login_url = reverse("openid_connect_login", kwargs={"provider_id": "org-northwind"})
    idp.sign_in_as(sub="entra-oid-pm", email="pm@northwind.example")
    started = client.post(login_url, {"process": "connect"})
    assert started["Location"].startswith(f"{idp.issuer}/authorize?")
    client.get(_through_the_provider(started["Location"]))
    assert SocialAccount.objects.get(provider="org-northwind").user == pm_a
    again = address_client()
    assert _sso_sign_in(again, "pm@northwind.example", idp).status_code == 302
    assert again.session["_auth_user_id"] == str(pm_a.pk)
    # Someone of another organization cannot connect Northwind's SSO to their account.
    other = address_client()
    other.force_login(pm_b)
    assert "Northwind" not in other.get(reverse("socialaccount_connections")).content.decode()
    idp.sign_in_as(sub="entra-oid-b", email="b@northwind.example")
    started = other.post(login_url, {"process": "connect"})
    refused = other.get(_through_the_provider(started["Location"]))
    assert refused.status_code == 403 and SocialAccount.objects.count() == 1


def test_an_issuer_inside_the_network_or_a_public_mail_domain_is_refused(settings, org_a):
    """The server fetches the issuer's discovery document and posts the client secret to
    it: an owner cannot point it at a private, loopback or link-local address. Nor can an
    organization claim a domain where anyone can have an address."""
    from django.core.exceptions import ValidationError

    from accounts.models import SingleSignOn

    settings.SSO_ALLOW_HTTP_ISSUER = False
    for issuer in ("https://127.0.0.1:6379", "https://169.254.169.254/latest",
                   "https://10.0.0.5", "https://localhost", "https://idp.corp.internal",
                   "https://[::1]"):  # fmt: skip
        sso = SingleSignOn(organization=org_a, issuer_url=issuer, client_id="c",
                           allowed_domains="northwind.example")  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            sso.clean()
        assert "issuer_url" in refused.value.message_dict, issuer
    entra = "https://login.microsoftonline.com/t/v2.0"
    public = SingleSignOn(organization=org_a, issuer_url=entra, client_id="c",
                          allowed_domains="gmail.com, northwind.example")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        public.clean()
    assert "public email service" in str(refused.value.message_dict["allowed_domains"])
    fine = SingleSignOn(organization=org_a, issuer_url=entra, client_id="c",
                        allowed_domains="northwind.example")  # fmt: skip
    fine.clean()


def test_a_provider_that_does_not_answer_gets_a_clear_page_not_a_500(client, northwind_sso, org_a):
    from bench.processes import free_port

    type(northwind_sso).objects.filter(pk=northwind_sso.pk).update(
        issuer_url=f"http://127.0.0.1:{free_port()}"  # nothing listens there
    )
    for started in (
        client.post(reverse("sso-start"), {"email": "ana@northwind.example"}),
        client.post(reverse("sso-org-start", args=[org_a.slug])),
    ):
        assert started.status_code == 503
        assert "does not answer right now" in started.content.decode()
