"""A passkey, added and used in Chromium: a virtual authenticator (the DevTools protocol's
WebAuthn domain) stands in for Touch ID or a security key, and allauth's own script runs
the ceremonies under the Content-Security-Policy (docs/accounts.md)."""

import pytest
from allauth.mfa.models import Authenticator

from .accounts_helpers import PASSWORD
from .browser import ARTIFACTS, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }})  # fmt: skip
    return cdp


def test_a_passkey_is_added_then_signs_in_without_a_password(browser, live_server, pm_a):
    page = browser.new_page(viewport=PHONE)
    _virtual_authenticator(page)
    log_in(page, live_server.url, "pm_a", PASSWORD)
    page.goto(f"{live_server.url}/accounts/2fa/")
    assert "Passkeys and security keys" in page.content()
    page.click("text=Add a passkey")
    page.wait_for_load_state("networkidle")
    if "/reauthenticate/" in page.url:  # the password again before a change
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
    assert "/accounts/2fa/webauthn/add/" in page.url
    page.fill("#id_name", "Test phone")
    page.check("#id_passwordless")
    page.click("#mfa_webauthn_add")
    page.wait_for_url("**/recovery-codes/**")
    key = Authenticator.objects.get(user=pm_a, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Test phone" and key.wrap().is_passwordless
    page.screenshot(path=str(ARTIFACTS / "passkey-added-phone.png"), full_page=True)

    page.click("text=Log out pm_a")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("#passkey_login")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    page.wait_for_load_state("networkidle")
    assert "Log out pm_a" in page.content()
    key.refresh_from_db()
    assert key.last_used_at is not None
