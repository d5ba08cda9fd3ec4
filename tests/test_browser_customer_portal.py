"""The customer's portal in a real browser at phone width: the contact opens the link,
uploads a bill, fills the questionnaire with one mistake, fixes it from the error shown
beside the row, submits; the PM accepts it into the inventory."""

import re

import pytest
from django.core import mail

from customerportal.models import Questionnaire
from customerportal.services import send_portal_link
from porting.models import CarrierBill
from sites.models import Endpoint

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in, wait_until
from .test_browser_esign import no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_customer_uploads_a_bill_and_answers_the_questionnaire_on_a_phone(
    browser, live_server, world_a, pm_a, org_a, tmp_path
):
    world_a["carrier_account"].bills.all().delete()  # the fixture's own bill
    Questionnaire.objects.all().delete()  # and questionnaire
    base = live_server.url
    send_portal_link(world_a["migration"], name="Dana Office", email="dana@acme.example",
                     by=pm_a, base_url=base)  # fmt: skip
    link = re.search(r"https?://\S+/portal/\S+/", mail.outbox[-1].body).group(0)

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(link)
    assert "What we need from you" in phone.inner_text("main")
    phone.screenshot(path=str(ARTIFACTS / "customer-portal-phone.png"), full_page=True)
    assert no_horizontal_overflow(phone)

    # The bill.
    bill = tmp_path / "march-bill.pdf"
    bill.write_bytes(PDF)
    task = phone.locator("[data-task^='bill:']")
    task.locator("input[type=file]").set_input_files(str(bill))
    task.get_by_role("button", name="Upload").click()
    phone.wait_for_load_state("networkidle")
    assert "the bill is uploaded" in phone.inner_text("[data-testid=notice]")
    assert CarrierBill.objects.get().original_name == "march-bill.pdf"

    # The questionnaire: the second person's extension is one digit too short.
    phone.locator("[data-task^='questionnaire:']").get_by_role(
        "link", name="Open the questionnaire").click()  # fmt: skip
    rows = phone.locator("[data-testid=person-row]")
    for i, (name, ext, did) in enumerate([("Ana Front", "301", "2145550301"),
                                          ("Ben Home", "3", "")]):  # fmt: skip
        rows.nth(i).locator("input[name=person_name]").fill(name)
        rows.nth(i).locator("input[name=person_extension]").fill(ext)
        rows.nth(i).locator("input[name=person_did]").fill(did)
    # Drafts save as the customer goes, without a click.
    wait_until(phone, "document.getElementById('autosave').textContent.startsWith('Draft saved')")
    assert Questionnaire.objects.get().people[0]["name"] == "Ana Front"
    rows.nth(1).locator("input[name=person_remote]").check()
    rows.nth(1).locator("input[name=person_email]").fill("ben@acme.example")
    phone.fill("#hunt_groups", "Front desk: 301, 302")
    phone.select_option("#after_hours", "voicemail")
    phone.click("#submit")
    phone.wait_for_load_state("networkidle")
    summary = phone.locator("[data-testid=error-summary]")
    assert "Nothing was submitted: fix 1 row" in summary.inner_text()
    assert phone.evaluate("document.activeElement.dataset.testid") == "error-summary"
    second = phone.locator("[data-testid=person-row]").nth(1)
    assert "2 to 8 digits" in second.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "customer-questionnaire-error-phone.png"),
                     full_page=True)  # fmt: skip
    assert no_horizontal_overflow(phone)
    assert not Endpoint.objects.filter(extension="301").exists()  # nothing imported

    second.locator("input[name=person_extension]").fill("302")
    phone.click("#submit")
    phone.wait_for_load_state("networkidle")
    assert "Submitted: thank you" in phone.inner_text("main")
    assert Questionnaire.objects.get().status == "submitted"
    phone.context.close()

    # The PM accepts it.
    pm = browser.new_context(viewport=DESKTOP).new_page()
    log_in(pm, base, "pm_a", "pw-for-tests-123")
    pm.goto(f"{base}/o/{org_a.slug}/migrations/{world_a['migration'].uuid}/customer-portal/")
    questionnaires = pm.locator("[data-testid=questionnaires]")
    assert "Ben Home" in questionnaires.inner_text()
    questionnaires.get_by_role("button", name="Accept into the inventory").click()
    pm.wait_for_load_state("networkidle")
    assert "people added to the inventory" in pm.inner_text("main")
    pm.screenshot(path=str(ARTIFACTS / "customer-questionnaire-accepted-desktop.png"),
                  full_page=True)  # fmt: skip
    assert Endpoint.objects.get(extension="302").display_name == "Ben Home"
    assert Questionnaire.objects.get().status == "accepted"
