"""A remote worker's home location in a real browser: the PM adds the worker and sends
the link from the migration's Remote workers page; the worker (no account) opens the
emailed link on a phone, enters an address with a unit, sees it as a dispatcher would,
and confirms. The PM's page then shows it confirmed, with the time and address."""

import re

import pytest
from django.core import mail

from e911.models import DispatchableLocation, LocationConfirmation, RemoteWorker
from tenancy.portal import TOKEN_PATTERN

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"
WORKER_EMAIL = "casey.home@example.com"


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_pm_sends_worker_confirms_home_on_phone(browser, live_server, world_a, pm_a, org_a):
    migration = world_a["migration"]
    base = live_server.url
    list_url = f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/remote-workers/"

    pm = browser.new_context(viewport=DESKTOP).new_page()
    log_in(pm, base, "pm_a", PASSWORD)
    pm.goto(list_url)
    form = pm.locator("[data-testid=add-worker]")
    form.locator("input[name=name]").fill("Casey Home")
    form.locator("input[name=email]").fill(WORKER_EMAIL)
    form.locator("select[name=endpoints]").select_option(str(world_a["endpoint"].pk))
    form.get_by_role("button", name="Add remote worker").click()
    pm.wait_for_load_state("networkidle")
    assert "Added Casey Home" in pm.inner_text("body")
    row = pm.locator(f"tr[data-worker='{WORKER_EMAIL}']")
    assert "no link sent yet" in row.inner_text()

    before = len(mail.outbox)
    row.get_by_role("button", name="Send link").click()
    pm.wait_for_load_state("networkidle")
    assert f"Link sent to {WORKER_EMAIL}" in pm.inner_text("body")
    assert len(mail.outbox) == before + 1 and mail.outbox[-1].to == [WORKER_EMAIL]
    match = re.search(rf"https?://\S+/home-location/({TOKEN_PATTERN})/", mail.outbox[-1].body)
    link, token = match.group(0), match.group(1)
    assert link.startswith(base), link
    assert token not in pm.content()
    row = pm.locator(f"tr[data-worker='{WORKER_EMAIL}']")
    assert "unconfirmed" in row.inner_text() and "since" in row.inner_text()
    pm.screenshot(path=str(ARTIFACTS / "e911-remote-pm.png"), full_page=True)

    # The worker, on a phone, with no account.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    referers = []
    phone.on("request", lambda r: referers.append(r.headers.get("referer", "")))
    phone.goto(link)
    phone.wait_for_selector("#check")
    assert "Your home address for 911 calls" in phone.inner_text("h1")
    assert no_horizontal_overflow(phone)
    phone.fill("#id_address_line1", "1437 bannock street")
    phone.fill("#id_address_line2", "apt 4b")
    phone.fill("#id_city", "denver")
    phone.fill("#id_state", "co")
    phone.fill("#id_postal_code", "80202")
    phone.fill("#id_floor", "2")
    phone.screenshot(path=str(ARTIFACTS / "e911-remote-phone-enter.png"), full_page=True)
    assert phone.locator("#check").bounding_box()["height"] >= 44
    phone.click("#check")

    phone.wait_for_selector("#confirm")
    assert "Is this right?" in phone.inner_text("h1")
    shown = phone.inner_text("[data-testid=normalized]")
    assert "1437 BANNOCK ST" in shown and "APT 4B FL 2" in shown and "DENVER CO 80202" in shown
    phone.screenshot(path=str(ARTIFACTS / "e911-remote-phone.png"), full_page=True)
    assert no_horizontal_overflow(phone), phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    for selector in ("#confirm", "#edit"):
        assert phone.locator(selector).bounding_box()["height"] >= 44, selector
    assert not DispatchableLocation.objects.filter(remote_worker__email=WORKER_EMAIL).exists()

    phone.click("#confirm")
    phone.wait_for_selector("[data-testid=confirmed]")
    assert "1437 BANNOCK ST, APT 4B FL 2, DENVER CO 80202" in phone.inner_text("body")
    assert "within 24 hours of moving" in phone.inner_text("body")
    phone.screenshot(path=str(ARTIFACTS / "e911-remote-phone-done.png"), full_page=True)
    assert no_horizontal_overflow(phone)
    context.close()
    assert referers and not [r for r in referers if token in r], referers

    worker = RemoteWorker.objects.get(email=WORKER_EMAIL)
    assert worker.confirmed_at is not None
    confirmation = LocationConfirmation.objects.get(worker=worker)
    assert confirmation.ip == "127.0.0.1" and confirmation.user_agent

    pm.goto(list_url)
    row = pm.locator(f"tr[data-worker='{WORKER_EMAIL}']")
    text = row.inner_text()
    assert "confirmed" in text and "unconfirmed" not in text
    assert "1437 BANNOCK ST" in text and "127.0.0.1" in text
