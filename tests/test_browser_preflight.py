"""A technician's pre-flight checklist on a phone: open an endpoint's checklist (as from
the QR code on the printed page), record the checks and three external calls from
different lines, sign; then the PM prints the site's checklists and downloads the PDF
once the htmx-polled progress says it is ready."""

import subprocess

import pytest

from cutover.models import ChecklistJob, Preflight
from cutover.preflight.selectors import CHECK_CODES
from cutover.preflight.tasks import render_checklists

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"


def test_technician_completes_a_checklist_at_phone_width(browser, live_server, world_a, tech_a):
    endpoint = world_a["endpoint"]
    base = live_server.url
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    log_in(page, base, "tech_a", PASSWORD)
    page.goto(f"{base}/o/northwind/endpoints/{endpoint.pk}/preflight/")
    facts = page.locator("[data-testid=preflight-facts]").inner_text()
    assert endpoint.mac_address in facts and "(214) 555-0100" in facts
    assert "s3cret-SIP-pass" not in page.content()

    for code in CHECK_CODES:
        page.locator(f"[data-testid=check-{code}] label", has_text="Pass").click()
    page.locator("[data-testid=check-poe] input[name=note_poe]").fill("Switch port 12")
    for i, line in enumerate(["(303) 555-0101", "(720) 555-0102", "(970) 555-0103"], start=1):
        call = page.locator(f"[data-testid=call-{i}]")
        call.locator("input[type=text]").fill(line)
        call.locator("label", has_text="Pass").click()
    page.locator("label.pf-sign").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "preflight-phone-form.png"), full_page=True)
    page.get_by_role("button", name="Save checklist").click()
    page.wait_for_load_state("networkidle")

    assert "Checklist saved: passed." in page.inner_text("body")
    assert "Passed" in page.locator("[data-testid=preflight-status]").inner_text()
    assert "signed by tech_a" in page.locator("[data-testid=preflight-status]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "preflight-phone.png"), full_page=True)
    preflight = Preflight.objects.get(endpoint=endpoint)
    assert preflight.status == Preflight.Status.PASSED
    assert [c["line"] for c in preflight.test_calls] == [
        "+13035550101", "+17205550102", "+19705550103",
    ]  # fmt: skip


def test_pm_prints_checklists_and_downloads_when_ready(
    browser, live_server, world_a, pm_a, monkeypatch
):
    from . import factories as f

    f.EndpointFactory(site=world_a["site"], extension="102", display_name="Dana Diaz")
    started = []
    monkeypatch.setattr(render_checklists, "delay", lambda *args: started.append(args))
    base = live_server.url
    migration = world_a["migration"]
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, "pm_a", PASSWORD)
    page.goto(f"{base}/o/northwind/migrations/{migration.uuid}/preflight/")
    assert "2 of 2 endpoints not passed" in page.inner_text("body")
    page.locator("[data-testid=print-form] select").select_option(str(world_a["site"].pk))
    page.get_by_role("button", name="Print checklists").click()
    page.wait_for_load_state("networkidle")
    status = page.locator("[data-testid=job-status]")
    assert status.get_attribute("data-status") == "queued"
    assert len(started) == 1
    job = ChecklistJob.objects.get(pk=started[0][0])
    assert job.base_url == f"{base}/"  # where the QR codes point, kept on the job
    render_checklists(job.pk)  # the worker's part
    page.locator("[data-testid=download]").wait_for(timeout=10_000)  # htmx polls every 2 s
    assert "2 of 2 page(s) built" in status.inner_text()
    with page.expect_download() as download_info:
        page.locator("[data-testid=download]").click()
    path = ARTIFACTS / "preflight-checklists-2.pdf"
    download_info.value.save_as(str(path))
    assert path.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", str(path),
         str(ARTIFACTS / "preflight-pdf-page")],
        check=True,
    )  # fmt: skip
