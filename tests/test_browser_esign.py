"""Portal e-signing in a real browser: the PM sends the LOA from the order page, the
signer (no account) opens the emailed link on a phone, confirms every field, consents,
draws a signature and signs; the PM checks the seal and downloads the sealed PDF, which
verifies offline. And the other way out: a field marked wrong sends a correction."""

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core import mail
from django.db import connections

from esign.documents import CONFIRM_FIELDS
from esign.seal import verify_pdf
from porting.models import LetterOfAuthorization

from .browser import ARTIFACTS, DESKTOP, PHONE, log_in, wait_until
from .signing import token_from_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNER_EMAIL = "pat.signer@example.com"
PASSWORD = "pw-for-tests-123"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the sealed PDF is stored here, not in var/media


@pytest.fixture
def fresh_order(world_a):
    """world_a's order without the signing link its fixture made behind the page's back,
    so the PM starts from "Send for signature", as on a new order."""
    world_a["signing_request"].delete()
    return world_a["port_order"]


def send_from_order_page(page, base_url, order, email=SIGNER_EMAIL):
    """As the logged-in PM: open the order, fill the signer's email, send."""
    page.goto(base_url + order.get_absolute_url())
    card = page.locator("[data-testid=signature]")
    card.locator("input[name=email]").fill(email)
    before = len(mail.outbox)
    card.get_by_role("button", name="Send for signature").click()
    page.wait_for_load_state("networkidle")
    assert f"sent to {email} for signature" in page.inner_text("body")
    assert len(mail.outbox) == before + 1
    message = mail.outbox[-1]
    assert message.to == [email]
    token = token_from_outbox()
    link = re.search(rf"https?://\S+/sign/{re.escape(token)}/", message.body).group(0)
    assert link.startswith(base_url), link
    # The link goes to the signer only: the PM's page never carries the token.
    assert token not in page.content()
    return token, link


def off_the_event_loop(function, *args):
    """Call `function` in a worker thread. Playwright's sync API keeps an asyncio loop
    running in the test's thread, and pyHanko's synchronous validation calls
    asyncio.run(), which refuses to start inside a running loop (verify_pdf would then
    answer "could not be read"). The worker's own database connection is closed after."""

    def call():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def confirm_all(page, wrong=()):
    for key, _label in CONFIRM_FIELDS:
        value = "wrong" if key in wrong else "correct"
        page.check(f"input[name=confirm_{key}][value={value}]")


def draw_on_pad(page):
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + 0.06 * i), y + h * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()


def test_pm_sends_signer_signs_on_phone_pm_downloads_sealed_pdf(
    browser, live_server, fresh_order, pm_a, org_a
):
    order = fresh_order
    loa = order.current_loa()
    base = live_server.url

    pm_context = browser.new_context(viewport=DESKTOP)
    pm = pm_context.new_page()
    log_in(pm, base, "pm_a", PASSWORD)
    token, link = send_from_order_page(pm, base, order)

    # The desktop view of the portal, in its own context without any login.
    desktop = browser.new_context(viewport=DESKTOP).new_page()
    desktop.goto(link)
    desktop.wait_for_selector("#submit")
    assert "Letter of Authorization for" in desktop.inner_text("h1")
    desktop.screenshot(path=str(ARTIFACTS / "esign-portal-desktop.png"), full_page=True)
    assert no_horizontal_overflow(desktop)
    desktop.context.close()

    # The signer, on a phone, with no account.
    signer_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    signer = signer_context.new_page()
    referers = []
    signer.on("request", lambda r: referers.append(r.headers.get("referer", "")))
    signer.goto(link)
    signer.wait_for_selector("#submit")
    signer.screenshot(path=str(ARTIFACTS / "esign-portal-phone.png"), full_page=True)
    assert no_horizontal_overflow(signer), signer.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    # Touch targets: the choices and the submit button are at least 44px tall.
    for selector in ("label.choice >> nth=0", "#submit"):
        assert signer.locator(selector).bounding_box()["height"] >= 44, selector
    assert signer.locator("iframe.document").bounding_box()["width"] <= PHONE["width"]
    # The letter itself reflows inside its frame instead of scrolling sideways.
    letter = next(frame for frame in signer.frames if frame.url == "about:srcdoc")
    assert no_horizontal_overflow(letter)
    assert "Letter of Authorization to port" in letter.inner_text("body")
    # The whole letter shows in the page: its frame is as tall as the letter, so there is
    # no second scrollbar hiding the authorization paragraph.
    wait_until(signer, "document.getElementById('letter').getBoundingClientRect().height > 600")
    assert letter.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1"), (
        letter.evaluate("[document.documentElement.scrollHeight, window.innerHeight]")
    )

    # Guided signing: the bar counts what is left and "Next field" goes to it.
    left = len(CONFIRM_FIELDS) + 3  # every detail, consent, name and title
    assert signer.inner_text("#guide-text") == f"{left} to complete"
    signer.click("#guide-next")
    first = CONFIRM_FIELDS[0][0]
    assert signer.evaluate("document.activeElement.name") == f"confirm_{first}"

    confirm_all(signer)
    assert signer.inner_text("#guide-text") == "3 to complete"
    assert signer.inner_text("#submit") == "Sign the letter"
    assert not signer.locator("fieldset.confirm .fix").first.is_visible()
    signer.check("#id_consent")
    signer.fill("#id_typed_name", loa.authorized_person)
    signer.fill("#id_typed_title", "Office Manager")
    draw_on_pad(signer)
    drawn = signer.input_value("#id_drawn_signature")
    assert drawn.startswith("data:image/png;base64,"), drawn[:40]
    # A real browser sends an Origin header with this POST, and Django's CSRF check
    # refuses "Origin: null", which is what a "no-referrer" policy makes it send.
    signer.click("#submit")
    signer.wait_for_selector("h1:has-text('Signed')")
    assert "The letter is signed" in signer.inner_text("body")
    signer.screenshot(path=str(ARTIFACTS / "esign-signed-phone.png"), full_page=True)
    assert no_horizontal_overflow(signer)
    # The signed copy, straight from the portal with the same link.
    with signer.expect_download() as signer_download:
        signer.get_by_role("link", name="Download the signed copy (PDF)").click()
    signed_copy = Path(signer_download.value.path()).read_bytes()
    assert signed_copy.startswith(b"%PDF")
    signer_context.close()
    # The token is in the portal's URL: no request the page makes may carry it onwards.
    assert referers and not [r for r in referers if token in r], referers

    loa.refresh_from_db()
    assert loa.status == LetterOfAuthorization.Status.SIGNED
    signature = loa.signature
    assert signature.typed_title == "Office Manager"
    assert signature.drawn_signature.startswith("data:image/png;base64,")
    assert hashlib.sha256(signed_copy).hexdigest() == signature.sealed_sha256
    copy, notice = mail.outbox[-2:]
    assert copy.to == [SIGNER_EMAIL] and copy.attachments  # the signer's copy, with the PDF
    assert notice.to == [pm_a.email] and notice.subject.startswith("Signed:")  # the PM

    # The PM: the order shows the signed version, the seal checks out, the PDF downloads.
    pm.goto(base + order.get_absolute_url())
    versions = pm.locator("[data-testid=loa-version]", has_text=f"v{loa.version}")
    assert "signed by" in versions.inner_text()
    assert "Signed" in pm.inner_text("[data-testid=signature]")
    versions.get_by_role("link", name="signed PDF and seal check").click()
    pm.wait_for_selector("[data-testid=seal-status]")
    assert pm.inner_text("[data-testid=seal-status]").strip() == "valid"
    assert token not in pm.content()

    link_to_pdf = pm.get_by_role("link", name="Download the sealed PDF")
    with (
        pm.expect_response(lambda r: r.url.endswith("/signed.pdf")) as response_info,
        pm.expect_download() as download_info,
    ):
        link_to_pdf.click()
    assert response_info.value.status == 200
    assert response_info.value.headers["x-seal-status"] == "valid"
    download = download_info.value
    assert download.suggested_filename == f"{signature.document_id}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == signature.sealed_sha256
    check = off_the_event_loop(verify_pdf, data, org_a)
    assert check.valid, check.summary
    pm_context.close()


def test_marking_a_field_wrong_sends_a_correction_instead_of_signing(
    browser, live_server, fresh_order, pm_a
):
    order = fresh_order
    loa = order.current_loa()
    base = live_server.url
    pm = browser.new_page(viewport=DESKTOP)
    log_in(pm, base, "pm_a", PASSWORD)
    _token, link = send_from_order_page(pm, base, order)

    signer = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    signer.goto(link)
    fix = signer.locator("#id_fix_business_name")
    assert not fix.is_visible()
    confirm_all(signer, wrong={"business_name"})
    assert fix.is_visible()
    assert signer.inner_text("#submit") == "Send corrections (do not sign)"
    assert signer.locator("fieldset.confirm.is-wrong").count() == 1
    fix.fill("Acme Tax & Bookkeeping LLC")
    assert no_horizontal_overflow(signer)
    signer.screenshot(path=str(ARTIFACTS / "esign-portal-correction-phone.png"), full_page=True)
    # Changing one's mind puts the button back.
    signer.check("input[name=confirm_business_name][value=correct]")
    assert signer.inner_text("#submit") == "Sign the letter"
    assert not fix.is_visible()
    signer.check("input[name=confirm_business_name][value=wrong]")
    assert signer.inner_text("#submit") == "Send corrections (do not sign)"
    signer.click("#submit")
    signer.wait_for_selector("h1:has-text('Sent back for correction')")
    assert "The letter was not signed" in signer.inner_text("body")

    loa.refresh_from_db()
    assert loa.status != LetterOfAuthorization.Status.SIGNED
    pm.goto(base + order.get_absolute_url())
    correction = pm.inner_text("[data-testid=correction]")
    assert "Business name" in correction and "Acme Tax & Bookkeeping LLC" in correction
