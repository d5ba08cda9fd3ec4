"""The PM's E911 page and readiness report in a real browser: add a site's default
location, see coverage change, and read the report with blocking items first."""

import pytest

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"


def test_pm_adds_a_site_default_and_reads_the_readiness_report(
    browser, live_server, world_a, pm_a, org_a
):
    migration, site = world_a["migration"], world_a["site"]
    base = live_server.url
    e911 = f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/e911/"
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, "pm_a", PASSWORD)
    page.goto(e911)
    coverage = page.locator("[data-testid=coverage]")
    assert "No default location at the site" in coverage.inner_text()

    page.locator("summary", has_text="Add a location").click()
    form = page.locator("form[action$='/e911/locations/']")
    form.locator("select[name=site]").select_option(str(site.pk))
    form.locator("input[name=label]").fill("Reception")
    form.locator("input[name=is_site_default]").check()
    form.locator("input[name=address_line1]").fill("123 Main Street")
    form.locator("input[name=city]").fill("Dallas")
    form.locator("input[name=state]").fill("TX")
    form.locator("input[name=postal_code]").fill("75201")
    form.locator("input[name=floor]").fill("2")
    form.locator("input[name=suite]").fill("Suite 200")
    form.get_by_role("button", name="Add and validate").click()
    page.wait_for_load_state("networkidle")
    assert "Location added: Normalized" in page.inner_text("body")
    assert "FL 2 STE 200" in page.locator("[data-testid=locations]").inner_text()
    assert "No default location" not in page.locator("[data-testid=coverage]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "e911-page-desktop.png"), full_page=True)

    page.get_by_role("link", name="Readiness report").click()
    page.wait_for_load_state("networkidle")
    verdict = page.locator("[data-testid=readiness-verdict]").inner_text()
    assert "blocking item" in verdict
    states = page.locator("[data-testid=readiness-items] tbody tr td:first-child").all_inner_texts()
    order = ["blocking", "warning", "ok"]
    assert states == sorted(states, key=order.index)
    page.screenshot(path=str(ARTIFACTS / "e911-readiness-desktop.png"), full_page=True)

    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    log_in(phone, base, "pm_a", PASSWORD)
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(ARTIFACTS / "e911-readiness-phone.png"), full_page=True)
