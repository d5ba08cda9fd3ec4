"""Failed sign-ins and password resets are throttled per account and per address, on the
site and the admin; owners see their members' lockouts and lift them (docs/accounts.md).
Issue 18, defect 4: 40 wrong passwords were all answered 200 and the right one then
signed in; 15 reset emails went out for one address."""

import secrets
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.urls import reverse

from . import factories as f
from .accounts_helpers import PASSWORD, address_client, fresh_address, sign_in, signed_in

pytestmark = pytest.mark.django_db


def test_forty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(pm_a):
    client = address_client()
    statuses = [sign_in(client, "pm_a", "wrong").status_code for _ in range(40)]
    # Four refusals on the form, then the fifth failure locks the account: 429 from then on.
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    right = sign_in(client, "pm_a")
    assert right.status_code == 429 and not signed_in(client)
    html = right.content.decode()
    assert "Too many attempts" in html and 'name="viewport"' in html
    # The account is locked from everywhere, whatever the spelling of its name.
    elsewhere = address_client()
    assert sign_in(elsewhere, "PM_A").status_code == 429
    assert sign_in(elsewhere, pm_a.email).status_code == 429 and not signed_in(elsewhere)
    # After the cool-off it opens again.
    with time_machine.travel(timedelta(minutes=16)):
        later = address_client()
        assert sign_in(later, "pm_a").status_code == 302 and signed_in(later)


def test_one_address_guessing_many_accounts_is_locked_and_the_others_are_not(settings, pm_a):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    guesser = fresh_address()
    for n in range(8):
        sign_in(address_client(guesser), f"nobody{n}", "wrong")
    # The address is locked, even for a real account with its right password...
    assert sign_in(address_client(guesser), "pm_a").status_code == 429
    # ...but that account is not: it signs in from anywhere else.
    client = address_client()
    assert sign_in(client, "pm_a").status_code == 302 and signed_in(client)


def test_the_address_is_the_client_behind_the_trusted_proxy(settings, pm_a, owner_a):
    """Behind one proxy, every request comes from the proxy's address: the client is the
    last X-Forwarded-For entry (TRUSTED_PROXY_COUNT=1), and one client's guesses do not
    lock out the others."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    proxy = "192.0.2.1"
    guesser, other = fresh_address(), fresh_address()
    for n in range(4):
        c = address_client(proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {guesser}")
        sign_in(c, f"nobody{n}", "wrong")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {guesser}
    locked = address_client(proxy, HTTP_X_FORWARDED_FOR=guesser)
    assert sign_in(locked, "owner_a").status_code == 429
    fine = address_client(proxy, HTTP_X_FORWARDED_FOR=other)
    assert sign_in(fine, "pm_a").status_code == 302 and signed_in(fine)


def test_a_successful_sign_in_forgets_only_ones_own_failures(pm_a, owner_a):
    """Signing in to one's own account between guesses does not reset a guesser's count."""
    address = fresh_address()
    for _ in range(3):
        sign_in(address_client(address), "owner_a", "wrong")
    sign_in(address_client(address), "pm_a", "wrong")
    assert sign_in(address_client(address), "pm_a").status_code == 302
    assert not AccessAttempt.objects.filter(username="pm_a").exists()
    assert AccessAttempt.objects.get(username="owner_a").failures_since_start == 3
    for _ in range(2):
        sign_in(address_client(address), "owner_a", "wrong")
    assert sign_in(address_client(address), "owner_a").status_code == 429


def test_the_admin_login_sends_people_to_the_throttled_sign_in(owner_a):
    client = address_client()
    page = client.get(reverse("admin:login") + "?next=/admin/customers/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2Fcustomers%2F"
    # Posting a password to the admin's login signs nobody in: it has no form of its own.
    posted = client.post(reverse("admin:login"), {"username": "owner_a", "password": PASSWORD})
    assert posted.status_code == 302 and not signed_in(client)
    statuses = [sign_in(client, "owner_a", "wrong", next="/admin/").status_code for _ in range(40)]
    assert statuses.count(200) == 4 and set(statuses[4:]) == {429}
    assert sign_in(client, "owner_a", next="/admin/").status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302  # still not signed in


def test_password_resets_are_limited_per_email(pm_a):
    pm_a.email = f"pm-{secrets.token_hex(4)}@example.com"
    pm_a.save()
    client = address_client()
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": pm_a.email}).status_code for _ in range(15)]
    assert len(mail.outbox) == 3 and all(pm_a.email in m.to for m in mail.outbox)
    assert statuses[:3] == [302] * 3 and set(statuses[3:]) == {429}
    # The same email from another address is still limited (per email, not per client).
    assert address_client().post(url, {"email": pm_a.email}).status_code == 429
    assert len(mail.outbox) == 3


def test_password_resets_are_limited_per_address(settings, org_a):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "reset_password": "5/h/ip,3/h/key"}  # fmt: skip
    tag = secrets.token_hex(4)
    people = [f.UserFactory(username=f"p{n}-{tag}", email=f"p{n}-{tag}@example.com")
              for n in range(8)]  # fmt: skip
    client = address_client()
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": p.email}).status_code for p in people]
    assert statuses == [302] * 5 + [429] * 3 and len(mail.outbox) == 5


def test_no_reset_mail_goes_to_an_address_without_an_account(db):
    client = address_client()
    response = client.post(reverse("account_reset_password"),
                           {"email": f"nobody-{secrets.token_hex(4)}@example.com"})  # fmt: skip
    assert response.status_code == 302 and mail.outbox == []


def test_the_old_password_urls_lead_to_the_new_pages(client):
    assert client.get("/accounts/password_reset/")["Location"] == "/accounts/password/reset/"
    assert client.get("/accounts/password_change/")["Location"] == "/accounts/password/change/"
    old_link = client.get("/accounts/reset/MQ/abc-123/")
    assert old_link["Location"] == "/accounts/password/reset/"


# -- the owner's view ------------------------------------------------------------------


def _lock(username, address=None):
    address = address or fresh_address()
    for _ in range(5):
        sign_in(address_client(address), username, "wrong")
    return address


def test_an_owner_sees_a_locked_out_member_and_unlocks_them(client, owner_a, pm_a, org_a):
    address = _lock("pm_a")
    assert sign_in(address_client(), "pm_a").status_code == 429
    client.force_login(owner_a)
    page = client.get(reverse("org-security", args=[org_a.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    row = html.split('data-testid="member-pm_a"')[1].split("</tr>")[0]
    assert "Locked out" in row and "Unlock" in row
    assert address in html  # the recent failures name where they came from
    # Five wrong passwords and the right one refused while locked: six failures kept.
    assert AccessFailureLog.objects.filter(username="pm_a").count() == 6
    response = client.post(reverse("org-unlock-member", args=[org_a.slug]), {"user": pm_a.pk})
    assert response.status_code == 302
    assert "pm_a can sign in again" in client.get(response["Location"]).content.decode()
    again = address_client()
    assert sign_in(again, "pm_a").status_code == 302 and signed_in(again)


def test_another_organizations_owner_cannot_see_or_unlock_your_member(client, org_a, pm_a,
                                                                      org_b):  # fmt: skip
    owner_b = f.UserFactory(username="owner_b")
    f.MembershipFactory(user=owner_b, organization=org_b, role="owner")
    _lock("pm_a")
    client.force_login(owner_b)
    assert client.get(reverse("org-security", args=[org_a.slug])).status_code == 404
    assert client.post(reverse("org-unlock-member", args=[org_a.slug]),
                       {"user": pm_a.pk}).status_code == 404  # fmt: skip
    own = client.get(reverse("org-security", args=[org_b.slug])).content.decode()
    assert "pm_a" not in own
    refused = client.post(reverse("org-unlock-member", args=[org_b.slug]), {"user": pm_a.pk})
    assert refused.status_code == 404
    assert sign_in(address_client(), "pm_a").status_code == 429  # still locked


def test_only_owners_open_the_security_page(client, pm_a, org_a):
    client.force_login(pm_a)
    assert client.get(reverse("org-security", args=[org_a.slug])).status_code == 403
    assert client.post(reverse("org-unlock-member", args=[org_a.slug]),
                       {"user": pm_a.pk}).status_code == 403  # fmt: skip


def test_with_the_cache_down_sign_in_works_and_resets_refuse_without_a_500(settings, pm_a,
                                                                           caplog):  # fmt: skip
    """Redis stopped: password sign-ins and their lockout live in the database and go on;
    the steps limited in the cache (a reset email here) answer 503 and send nothing."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # fmt: skip
    client = address_client()
    assert sign_in(client, "pm_a").status_code == 302 and signed_in(client)
    statuses = [sign_in(address_client(), "pm_a", "wrong").status_code for _ in range(6)]
    assert statuses[-1] == 429
    reset = address_client().post(reverse("account_reset_password"), {"email": pm_a.email})
    assert reset.status_code == 503 and "Try again in a minute" in reset.content.decode()
    assert mail.outbox == []
    assert "the cache does not answer" in caplog.text
