"""A first migration, from an empty organization to "go", through the pages only.

PM creates a customer and a migration → imports a CSV of one site, its phones and its
numbers → adds the carrier account with its CSR (which shows a PIN the PM has not got
yet, and lists only two of the three numbers) and a port order → prepares the LOA,
filled in from the CSR → fixes each LOA-check finding by clicking the link the finding
gives → sends the LOA; the customer signs on a phone → submits the LOA and records the
FOC → from the go/no-go page, follows each item's fix link until no item fails (E911
through the readiness report's own links, which clears the compliance register too;
pre-flight by a technician on a phone; network readiness; the rollback plan; the manual
sign-offs) → the owner records "go" with no override. Screenshots, desktop and phone, go
to test-artifacts/first-migration-*.png."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from customers.models import Customer, Migration
from cutover.models import GoNoGoDecision
from cutover.preflight.selectors import CHECK_CODES
from porting.models import CarrierAccount, LetterOfAuthorization, PhoneNumber, PortOrder

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in
from .test_browser_esign import (
    confirm_all,
    draw_on_pad,
    no_horizontal_overflow,
    send_from_order_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"
SIGNER = "Pat Signer"
SIGNER_EMAIL = "pat.signer@example.com"
SITES_CSV = (
    "name,address_line1,address_line2,city,state,postal_code,timezone,seat_count\n"
    "Dallas HQ,123 Main Street,Suite 200,Dallas,TX,75201,America/Chicago,2\n"
)
ENDPOINTS_CSV = (
    "site,kind,mac_address,make,model,firmware,extension,display_name,user_email\n"
    "Dallas HQ,desk_phone,00:04:F2:12:34:56,Polycom,VVX 450,6.4.3,101,Reception,\n"
    "Dallas HQ,desk_phone,00:04:F2:12:34:57,Polycom,VVX 450,6.4.3,102,Pat Signer,"
    "pat@acmetax.example\n"
)
NUMBERS_CSV = (
    "number,purpose,site,endpoint_extension\n"
    "(214) 555-0100,main_line,Dallas HQ,101\n"
    "(214) 555-0101,user_did,Dallas HQ,102\n"
    "(214) 555-0199,user_did,Dallas HQ,102\n"  # not on the carrier's CSR
)
ON_CSR = ["+12145550100", "+12145550101"]
STRAY = "+12145550199"
OUTSIDE_LINES = ["(303) 555-0101", "(720) 555-0102", "(970) 555-0103"]
SIGN_OFF_NOTES = {
    "pilot_issues": "Pilot week with reception: no open issue",
    "qos_firewall": "EF/CS3 marking and the SIP/RTP firewall rules checked with a capture",
    "numbering": "Caller ID and inbound routing confirmed for both numbers",
    "rollback_consoles": "Logged in to the old PBX and the Zoom admin console",
    "support": "On call 06:00-20:00 on port day, escalation to the carrier desk",
}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the sealed LOA PDF is stored here


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"first-migration-{name}.png"), full_page=True)


def settle(page):
    page.wait_for_load_state("networkidle")


def click_and_wait(locator):
    locator.click()
    settle(locator.page)


def main_text(page):
    return page.inner_text("main") if page.locator("main").count() else page.inner_text("body")


def transition(page, name):
    """The order page's form for one transition."""
    return page.locator(f"[data-testid=transitions] form:has(input[name=transition][value={name}])")


def dump_on_failure(page):
    return f"{page.url}\n{main_text(page)}"


def fix_e911(page, site, order):
    """On the E911 readiness report: follow each blocking item's own link and clear it."""
    assert "/readiness/" in page.url, page.url
    report_url = page.url
    for _ in range(12):
        page.goto(report_url)
        blocking = page.locator("[data-testid=readiness-items] tr.state-blocking")
        if not blocking.count():
            return
        click_and_wait(blocking.first.locator("[data-testid=fix-link]"))
        url = page.url
        if url.endswith("#coverage"):  # the site's address as its default location
            form = page.locator("form[action$='/e911/locations/']")
            form.locator("select[name=site]").select_option(str(site.pk))
            form.locator("input[name=label]").fill("Office")
            form.locator("input[name=is_site_default]").check()
            form.locator("input[name=address_line1]").fill("123 Main Street")
            form.locator("input[name=city]").fill("Dallas")
            form.locator("input[name=state]").fill("TX")
            form.locator("input[name=postal_code]").fill("75201")
            form.locator("input[name=suite]").fill("200")
            click_and_wait(form.get_by_role("button", name="Add and validate"))
            assert "Location added" in page.inner_text("body"), dump_on_failure(page)
        elif url.endswith("#registrations"):  # each number of the order, active
            for i, number in enumerate(order.numbers.order_by("number"), start=1):
                row = page.locator("[data-testid=registrations] tbody tr", has_text=number.display)
                row.locator("summary", has_text="Set").click()
                row.locator("select[name=status]").select_option("active")
                office = row.locator("select[name=location] option", has_text="Office")
                row.locator("select[name=location]").select_option(office.get_attribute("value"))
                row.locator("input[name=provider_reference]").fill(f"E911-REF-{i}")
                click_and_wait(row.get_by_role("button", name="Save"))
        elif url.endswith(f"/sites/{site.pk}/e911/"):  # Kari's Law at the site
            form = page.locator("form[action$='/e911/direct-dial/']")
            form.locator("input[name=method]").fill(
                "Dialed 933 with no prefix from x101, heard the read-back"
            )
            form.locator("input[name=prefixes]").fill("9")
            form.locator("input[name=emergency_matched_first]").check()
            form.locator("textarea[name=recipients]").fill("Front desk, x101")
            click_and_wait(form.get_by_role("button", name="Record verification"))
        elif "/compliance/" in url:
            fix_compliance(page)
        else:
            raise AssertionError(f"no fix known for {dump_on_failure(page)}")
    raise AssertionError(f"E911 readiness does not clear: {dump_on_failure(page)}")


def fix_compliance(page):
    assert page.url.endswith("/compliance/#record-evidence"), page.url
    # The link opened the folded form: nothing to unfold by hand.
    assert page.locator("#record-evidence").get_attribute("open") is not None
    form = page.locator("form[action$='/compliance/evidence/']")
    form.locator("select[name=item]").select_option("rmd_listing")
    form.locator("input[name=evidence]").fill("Zoom Phone RMD entry RMD0001234, checked")
    checked = timezone.localdate() - timedelta(days=1)
    form.locator("input[name=document_date]").fill(checked.isoformat())
    click_and_wait(form.get_by_role("button", name="Record evidence"))


def fix_network(page):
    """The site's network readiness: the assessment, then both sign-offs."""
    assert "/network/" in page.url, page.url
    form = page.locator("form[action$='/network/assessment/']")
    for name, value in {
        "peak_concurrent_calls": "2", "upstream_kbps": "10000", "downstream_kbps": "50000",
        "jitter_ms": "8", "loss_percent": "0.1", "latency_ms": "40", "test_days": "7",
        "voice_reservation_percent": "30",
    }.items():  # fmt: skip
        form.locator(f"[name={name}]").fill(value)
    form.locator("select[name=codec]").select_option("g711")
    for name in ("dscp_voice_ef", "dscp_signaling_cs3", "poe_confirmed"):
        form.locator(f"input[name={name}]").check()
    click_and_wait(form.get_by_role("button", name="Save assessment"))
    for role, name in (("it_lead", "Lee Admin"), ("vendor", "Vic Vendor")):
        page.locator("[data-testid=sign-off] summary").click()
        form = page.locator("form[action$='/network/sign-off/']")
        form.locator("select[name=role]").select_option(role)
        form.locator("input[name=name]").fill(name)
        click_and_wait(form.get_by_role("button", name="Record sign-off"))
    items = page.locator("[data-testid=network-items]")
    assert "missing" not in items.inner_text().lower(), dump_on_failure(page)


def fix_preflight(page, browser, base):
    """The migration's pre-flight page lists what has not passed; a technician, on a
    phone, completes each endpoint's checklist from there."""
    assert "/preflight/" in page.url, page.url
    tech = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    log_in(tech, base, "tech_a", PASSWORD)
    preflight_url = page.url
    for _ in range(5):
        tech.goto(preflight_url)
        links = tech.locator("[data-testid=not-passed] a")
        if not links.count():
            break
        click_and_wait(links.first)
        for code in CHECK_CODES:
            tech.locator(f"[data-testid=check-{code}] label", has_text="Pass").click()
        for i, line in enumerate(OUTSIDE_LINES, start=1):
            call = tech.locator(f"[data-testid=call-{i}]")
            call.locator("input[type=text]").fill(line)
            call.locator("label", has_text="Pass").click()
        tech.locator("label.pf-sign").click()
        shot(tech, "07-preflight-phone")
        click_and_wait(tech.get_by_role("button", name="Save checklist"))
        assert "Checklist saved: passed." in tech.inner_text("body"), dump_on_failure(tech)
    assert "Every endpoint passed" in tech.inner_text("[data-testid=not-passed]")
    tech.context.close()


def fix_rollback(page):
    """The default rollback plan (each step owned by the migration's owner); once the
    steps are there, what is left is the sign-off of the rollback with console access."""
    if "/go/?sign_off=" in page.url:
        sign_off(page, "rollback_consoles")
        return
    assert "/rollback/" in page.url, page.url
    click_and_wait(page.locator("[data-testid=default-plan]"))
    assert page.locator("[data-testid=rollback-steps] tbody tr").count() >= 6, dump_on_failure(page)


def sign_off(page, code):
    assert page.url.endswith(f"/go/?sign_off={code}#sign-off"), page.url
    form = page.locator("[data-testid=sign-off-form]")
    # The blocker's link chose the item already: nothing to pick again.
    assert form.locator("select[name=item]").input_value() == code
    form.locator("[name=note]").fill(SIGN_OFF_NOTES[code])
    click_and_wait(form.get_by_role("button", name="Sign off"))


def csv_file(name, text):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_first_migration_from_empty_org_to_go(browser, live_server, org_a, pm_a, owner_a, tech_a):
    base = live_server.url
    today = timezone.localdate()
    pm = browser.new_context(viewport=DESKTOP).new_page()
    pm.set_default_timeout(10_000)
    log_in(pm, base, "pm_a", PASSWORD)

    # 1. A customer, then its migration.
    pm.goto(f"{base}/o/{org_a.slug}/customers/new/")
    pm.fill("#id_legal_name", "Acme Tax Services LLC")
    pm.fill("#id_main_contact_name", SIGNER)
    pm.fill("#id_main_contact_email", SIGNER_EMAIL)
    pm.fill("#id_operating_states", "TX")
    click_and_wait(pm.get_by_role("button", name="Save"))
    customer = Customer.objects.get(organization=org_a)
    assert "Acme Tax Services LLC" in pm.inner_text("h1"), main_text(pm)
    click_and_wait(pm.get_by_role("link", name="New migration"))
    pm.fill("#id_name", "Acme phones")
    pm.fill("#id_target_start", (today + timedelta(days=30)).isoformat())
    pm.fill("#id_target_end", (today + timedelta(days=45)).isoformat())
    click_and_wait(pm.get_by_role("button", name="Save"))
    migration = Migration.objects.get(customer=customer)
    assert migration.owner == pm_a

    # 2. The inventory, from three small CSV files.
    click_and_wait(pm.get_by_role("link", name="Import CSV"))
    form = pm.locator("[data-testid=import-form]")
    form.locator("input[name=sites]").set_input_files(csv_file("sites.csv", SITES_CSV))
    form.locator("input[name=endpoints]").set_input_files(csv_file("endpoints.csv", ENDPOINTS_CSV))
    form.locator("input[name=numbers]").set_input_files(csv_file("numbers.csv", NUMBERS_CSV))
    form.locator("input[name=reason]").fill("Site survey")
    click_and_wait(form.get_by_role("button", name="Check and import"))
    assert not pm.locator("[data-testid=import-nothing-imported]").count(), main_text(pm)
    site = migration.sites.get()
    assert migration.numbers.count() == 3 and site.endpoints.count() == 2
    shot(pm, "01-imported-desktop")

    # 3. The carrier account, with the CSR as the carrier reports it: a PIN protects the
    # account (the PM has not got it yet), and the CSR lists two of the three numbers.
    click_and_wait(pm.locator("[data-testid=migration-nav]").get_by_role("link", name="Porting"))
    click_and_wait(pm.get_by_role("link", name="Carrier accounts"))
    click_and_wait(pm.get_by_role("link", name="Add", exact=True))
    pm.fill("#id_carrier_name", "AT&T")
    pm.select_option("#id_carrier_type", "major_ilec")
    pm.fill("#id_account_number", "831-555-0100-001")
    pm.fill("#id_btn", "(214) 555-0100")
    pm.fill("#id_csr_account_name", "Acme Tax Services LLC")
    pm.fill("#id_csr_authorized_person", SIGNER)
    pm.fill("#id_csr_address_line1", "123 Main Street")
    pm.fill("#id_csr_address_line2", "Suite 200")
    pm.fill("#id_csr_city", "Dallas")
    pm.fill("#id_csr_state", "TX")
    pm.fill("#id_csr_postal_code", "75201")
    pm.check("#id_csr_has_pin")
    pm.fill("#id_csr_numbers", "(214) 555-0100\n(214) 555-0101")
    pm.fill("#id_csr_date", (today - timedelta(days=1)).isoformat())  # pulled yesterday
    click_and_wait(pm.get_by_role("button", name="Save"))
    account = CarrierAccount.objects.get(migration=migration)
    assert not account.has_pin

    # The port order, for every number of the migration.
    pm.goto(f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/porting/")
    click_and_wait(pm.get_by_role("link", name="New port order"))
    pm.select_option("#id_carrier_account", str(account.pk))
    for box in pm.locator("input[name=numbers]").all():
        box.check()
    pm.fill("#id_winning_carrier", "Zoom Phone")
    click_and_wait(pm.get_by_role("button", name="Create order"))
    order = PortOrder.objects.get(migration=migration)
    assert order.numbers.count() == 3, main_text(pm)

    # 4. The LOA, filled in from the CSR: only the signer's title is not on the CSR.
    prepare = pm.locator("[data-testid=prepare-loa] form")
    assert prepare.locator("input[name=business_name]").input_value() == "Acme Tax Services LLC"
    assert prepare.locator("input[name=authorized_person]").input_value() == SIGNER
    if not prepare.locator("input[name=authorized_title]").input_value():
        prepare.locator("input[name=authorized_title]").fill("Office Manager")
    click_and_wait(prepare.get_by_role("button", name="Prepare the LOA"))
    findings = pm.locator("[data-testid=findings]")
    codes = findings.locator(".code-label").all_inner_texts()
    assert "PIN_REQUIRED" in codes and "TN_NOT_ON_ACCOUNT" in codes, findings.inner_text()
    shot(pm, "02-findings-desktop")

    # Each finding is fixed where its link leads.
    fixed = []
    while findings.locator("[data-testid=fix-link]").count():
        row = findings.locator("tbody tr", has=pm.locator("[data-testid=fix-link]")).first
        code = row.locator(".code-label").inner_text()
        assert code not in fixed, f"{code} is still there after its fix: {findings.inner_text()}"
        click_and_wait(row.locator("[data-testid=fix-link]"))
        if code == "PIN_REQUIRED":
            assert "/carriers/" in pm.url and pm.url.endswith("#id_pin"), pm.url
            pm.fill("#id_pin", "4321")
            click_and_wait(pm.get_by_role("button", name="Save"))
        elif code == "TN_NOT_ON_ACCOUNT":
            assert pm.url.endswith(f"/port-orders/{order.pk}/numbers/"), pm.url
            stray = PhoneNumber.objects.get(number=STRAY)
            pm.check(f"input[name=remove][value='{stray.pk}']")
            pm.fill("input[name=reason]", "Not on the AT&T account's CSR")
            click_and_wait(pm.get_by_role("button", name="Change the numbers"))
        else:
            raise AssertionError(f"unexpected finding {code}: {findings.inner_text()}")
        fixed.append(code)
        pm.goto(base + order.get_absolute_url())
    assert sorted(fixed) == ["PIN_REQUIRED", "TN_NOT_ON_ACCOUNT"], fixed
    assert "No findings" in findings.inner_text(), findings.inner_text()
    assert sorted(n.number.as_e164 for n in order.numbers.all()) == ON_CSR
    assert "send it for signature" in pm.inner_text("[data-testid=next-action]")

    # 5. The LOA goes out for signature; the customer signs on a phone.
    _token, link = send_from_order_page(pm, base, order, email=SIGNER_EMAIL)
    signer = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    signer.goto(link)
    signer.wait_for_selector("#submit")
    confirm_all(signer)
    signer.check("#id_consent")
    signer.fill("#id_typed_name", SIGNER)
    signer.fill("#id_typed_title", "Office Manager")
    draw_on_pad(signer)
    assert no_horizontal_overflow(signer)
    shot(signer, "03-signing-phone")
    signer.click("#submit")
    signer.wait_for_selector("h1:has-text('Signed')")
    shot(signer, "04-signed-phone")
    signer.context.close()
    loa = order.current_loa()
    assert loa.status == LetterOfAuthorization.Status.SIGNED and loa.signed_by_name == SIGNER

    # 6. Submitted to the carrier; the carrier's FOC, in two days.
    pm.goto(base + order.get_absolute_url())
    submit = transition(pm, "submit_loa")
    submit.locator("input[name=reason]").fill("Signed LOA")
    click_and_wait(submit.get_by_role("button", name="Submit LOA"))
    assert pm.inner_text("[data-testid=order-state]") == "LOA submitted", main_text(pm)
    foc = (
        (timezone.now() + timedelta(days=2))
        .astimezone(ZoneInfo(site.timezone))
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    record = transition(pm, "record_foc")
    record.locator("input[name=foc_at]").fill(foc.strftime("%Y-%m-%dT%H:%M"))
    record.locator("input[name=foc_timezone]").fill(site.timezone)
    record.locator("input[name=confirmation_number]").fill("FOC-4711")
    click_and_wait(record.get_by_role("button", name="Record FOC"))
    assert pm.inner_text("[data-testid=order-state]") == "FOC received", main_text(pm)
    shot(pm, "05-foc-desktop")

    # 7. Go / no-go: take the first item not ready, follow its link, fix it, until none.
    go_url = f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/go/"
    pm.goto(go_url)
    assert "FOC-4711" in pm.inner_text("[data-testid=item-foc_confirmed]")
    shot(pm, "06-go-before-desktop")
    fixes = {
        "e911_ready": lambda: fix_e911(pm, site, order),
        "preflight_passed": lambda: fix_preflight(pm, browser, base),
        "network_ready": lambda: fix_network(pm),
        "rollback_verified": lambda: fix_rollback(pm),
    }
    followed = []
    for _ in range(20):
        pm.goto(go_url)
        failing = pm.locator("tr[data-testid^=item-]:has([data-testid=fix-link])")
        if not failing.count():
            break
        row = failing.first
        code = row.get_attribute("data-testid").removeprefix("item-")
        times = [c for c, _ in followed].count(code)
        assert times < 2, f"{code} does not clear: {row.inner_text()}"
        click_and_wait(row.locator("[data-testid=fix-link]"))
        followed.append((code, pm.url.removeprefix(base)))
        if code in fixes:
            fixes[code]()
        else:  # a manual sign-off: the link opens the sign-off form of the go page
            sign_off(pm, code)
    verdict = pm.inner_text("[data-testid=go-verdict]")
    assert verdict == "ready", (verdict, main_text(pm))
    m = f"/o/{org_a.slug}/migrations/{migration.uuid}"
    assert followed == [
        ("e911_ready", f"{m}/readiness/"),
        ("preflight_passed", f"{m}/preflight/"),
        ("network_ready", f"/o/{org_a.slug}/sites/{site.pk}/network/"),
        # The compliance item was cleared on the way, from the E911 readiness report.
        ("rollback_verified", f"{m}/rollback/"),
        # The steps are there; what is left is signed off on the go page.
        ("rollback_verified", f"{m}/go/?sign_off=rollback_consoles#sign-off"),
        ("pilot_issues", f"{m}/go/?sign_off=pilot_issues#sign-off"),
        ("qos_firewall", f"{m}/go/?sign_off=qos_firewall#sign-off"),
        ("numbering", f"{m}/go/?sign_off=numbering#sign-off"),
        ("support", f"{m}/go/?sign_off=support#sign-off"),
    ], followed
    shot(pm, "08-go-ready-desktop")

    # 8. The owner records "go", with nothing to override.
    owner = browser.new_context(viewport=DESKTOP).new_page()
    owner.set_default_timeout(10_000)
    log_in(owner, base, "owner_a", PASSWORD)
    owner.goto(go_url)
    assert owner.inner_text("[data-testid=go-verdict]") == "ready"
    decide = owner.locator("[data-testid=decision-form] form")
    decide.locator("select[name=decision]").select_option("go")
    decide.locator("textarea[name=reason]").fill("Every item ready; the customer agreed the window")
    assert decide.locator("textarea[name=override_reason]").input_value() == ""
    click_and_wait(decide.get_by_role("button", name="Record decision"))
    decision = GoNoGoDecision.objects.get(migration=migration)
    assert decision.decision == GoNoGoDecision.Decision.GO, main_text(owner)
    assert decision.override_reason == "" and decision.decided_by == owner_a
    assert not [item for item in decision.snapshot if not item["ok"]]
    decisions = owner.locator("[data-testid=decisions]").inner_text()
    assert "Go" in decisions and "override" not in decisions.lower(), decisions
    shot(owner, "09-go-decided-desktop")
    owner.context.close()

    # The go/no-go page on a phone, after the decision.
    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    log_in(phone, base, "pm_a", PASSWORD)
    phone.goto(go_url)
    assert phone.inner_text("[data-testid=go-verdict]") == "ready"
    assert no_horizontal_overflow(phone), phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    shot(phone, "10-go-phone")
    phone.context.close()
