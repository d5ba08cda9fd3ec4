"""The pages people use, in a real browser: log in, open a migration, import a CSV that
has a bad row and read the report; then import it fixed."""

import pytest

from sites.models import Endpoint

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD_CSV = (
    "site,kind,mac_address,extension,display_name,sip_password\n"
    "Dallas HQ,desk_phone,00:04:f2:11:22:33,301,Front Desk,pw-one\n"
    "Dallas HQ,desk_phone,not-a-mac,302,Back Office,pw-two\n"
    "Nowhere,softphone,,303,Remote Pat,pw-three\n"
)


def test_login_open_migration_import_bad_csv_and_see_report(
    browser, live_server, world_a, pm_a, tmp_path
):
    before = Endpoint.objects.count()
    csv_file = tmp_path / "endpoints.csv"
    csv_file.write_text(BAD_CSV)
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server.url, "pm_a", "pw-for-tests-123")
    assert "Northwind Integrators" in page.content()

    page.click("text=Acme phones")
    page.wait_for_selector("[data-testid=migration-uuid]")
    assert str(world_a["migration"].uuid) in page.inner_text("[data-testid=migration-uuid]")
    page.screenshot(path=str(ARTIFACTS / "migration-desktop.png"), full_page=True)

    page.click("text=Import CSV")
    page.set_input_files("input[name=endpoints]", str(csv_file))
    page.fill("input[name=reason]", "initial inventory")
    page.click("text=Check and import")
    page.wait_for_selector("[data-testid=import-errors]")

    banner = page.inner_text("[data-testid=import-nothing-imported]")
    assert "Nothing was imported" in banner
    report = page.inner_text("[data-testid=import-errors]")
    assert "mac_address" in report and "not-a-mac" in report and "3" in report
    assert "Nowhere" in report
    assert "pw-two" not in page.content(), "the report must never echo a SIP password"
    page.screenshot(path=str(ARTIFACTS / "import-report-desktop.png"), full_page=True)
    assert Endpoint.objects.count() == before

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, live_server.url, "pm_a", "pw-for-tests-123")
    phone.goto(live_server.url + world_a["migration"].get_absolute_url())
    phone.screenshot(path=str(ARTIFACTS / "migration-phone.png"), full_page=True)
    # Nothing is wider than the phone's screen (the tables scroll inside their wrapper).
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    fixed = BAD_CSV.replace("not-a-mac", "00:04:f2:11:22:44").replace("Nowhere", "Dallas HQ")
    csv_file.write_text(fixed)
    page.goto(live_server.url + world_a["migration"].get_absolute_url())
    page.click("text=Import CSV")
    page.set_input_files("input[name=endpoints]", str(csv_file))
    page.click("text=Check and import")
    page.wait_for_selector("[data-testid=migration-uuid]")
    assert Endpoint.objects.count() == before + 3


def test_endpoint_search_narrows_the_list_as_you_type(browser, live_server, world_a, pm_a):
    from . import factories as f

    f.EndpointFactory(site=world_a["site"], display_name="Linh Nguyen", extension="450")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server.url, "pm_a", "pw-for-tests-123")
    page.goto(
        f"{live_server.url}/o/{world_a['migration'].organization.slug}"
        f"/migrations/{world_a['migration'].uuid}/endpoints/"
    )
    assert "Showing 1–2 of 2" in page.inner_text("[data-testid=result-count]")
    page.fill("input[name=q]", "nguyen")
    wait_until(
        page, "document.querySelector('[data-testid=result-count]').innerText.includes('of 1')"
    )
    assert "Linh Nguyen" in page.inner_text("#results")
    assert "q=nguyen" in page.url  # htmx pushed the search into the address bar
