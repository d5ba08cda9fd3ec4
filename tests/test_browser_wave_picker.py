"""The wave form's pickers in a browser: choosing the wave's site shows that site's
numbers and endpoints only, clears what was ticked at another site, and counts; at
phone width nothing overflows."""

import pytest

from cutover.plan.services import save_plan

from . import factories as f
from .browser import ARTIFACTS, PHONE, log_in
from .test_browser_esign import no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pickers_follow_the_chosen_site(browser, live_server, world_a, pm_a, org_a):
    migration, dallas = world_a["migration"], world_a["site"]
    save_plan(migration, by=pm_a)
    denver = f.SiteFactory(migration=migration, name="Denver annex", timezone="America/Denver")
    far = f.PhoneNumberFactory(migration=migration, number="+17205550188", site=denver)
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    log_in(page, live_server.url, "pm_a", "pw-for-tests-123")
    page.goto(f"{live_server.url}/o/{org_a.slug}/migrations/{migration.uuid}/cutover/plan/")
    page.locator("summary", has_text="Add a wave").click()
    form = page.locator("form[data-site-filter]")
    numbers = form.locator("fieldset[data-picker=numbers]")
    count = numbers.locator("[data-picker-count]")
    assert count.inner_text() == "0 of 2 selected"  # no site chosen: everything shows

    form.locator(f"input[name=numbers][value='{far.pk}']").check()
    form.locator("select[name=site]").select_option(str(dallas.pk))
    assert not numbers.locator(f".picker-group[data-site='{denver.pk}']").is_visible()
    assert not form.locator(f"input[name=numbers][value='{far.pk}']").is_checked()
    assert count.inner_text() == "0 of 1 selected"
    numbers.locator("input[data-select-all=numbers]").check()
    assert count.inner_text() == "1 of 1 selected"
    assert form.locator(f"input[name=numbers][value='{world_a['number'].pk}']").is_checked()
    page.screenshot(path=str(ARTIFACTS / "wave-picker-phone.png"), full_page=True)
    assert no_horizontal_overflow(page)
