"""The Content-Security-Policy in a real browser: the htmx pages (the migration page with
its cutover dashboard, a list searched and bulk-edited, a step page), the signing portal
(an LOA signed end to end, its letter styled in its frame), the customer portal (the
questionnaire saving as the customer types), the home-location portal, the API reference
(Swagger UI) and the admin all work, and none logs a single CSP violation.

The `browser` fixture (tests/browser.py) fails every browser test on any violation; the
tests here also check that the policy is there and really blocks (an injected inline
script does not run, and the watcher sees it)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from cutover.models import Step
from e911.models import RemoteWorker
from e911.remote.services import send_location_link
from esign.documents import CONFIRM_FIELDS
from porting.models import LetterOfAuthorization, PhoneNumber

from . import factories as f
from .browser import DESKTOP, PHONE, wait_until
from .signing import link_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INLINE_SCRIPT = """() => {
  const s = document.createElement("script");
  s.textContent = "window.__inlineRan = true";
  document.body.appendChild(s);
  return window.__inlineRan === true;
}"""


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _signed_in_page(browser, live_server, user, **context_options):
    """A page with `user`'s session (the sign-in form has its own tests)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    context = browser.new_context(**context_options)
    context.add_cookies([{"name": name, "value": client.cookies[name].value,
                          "url": live_server.url}])  # fmt: skip
    return context.new_page()


def _policy(response) -> str:
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, policy
    assert "'unsafe-eval'" not in policy and "object-src 'none'" in policy, policy
    assert "base-uri 'none'" in policy and "frame-ancestors 'none'" in policy, policy
    return policy


def test_staff_htmx_pages_work_under_the_policy(browser, live_server, world_a, pm_a, org_a):
    migration = world_a["migration"]
    for i in range(3):
        f.PhoneNumberFactory(migration=migration, number=f"+1214555{300 + i:04d}")
    base = live_server.url
    page = _signed_in_page(browser, live_server, pm_a, viewport=DESKTOP)

    # The migration page: its cutover dashboard comes in by htmx (hx-trigger="load").
    _policy(page.goto(base + migration.get_absolute_url()))
    page.wait_for_selector("[data-testid=cutover-dashboard]")
    assert page.locator("[data-testid=cutover-dashboard-loading]").count() == 0
    config = page.evaluate(
        "[htmx.config.allowEval, htmx.config.includeIndicatorStyles, htmx.config.allowScriptTags]"
    )
    assert config == [False, False, False]

    # A list: the search narrows it as you type (htmx), "select all" ticks the boxes
    # (static/js/app.js), the bulk edit applies.
    numbers = f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/numbers/"
    _policy(page.goto(numbers))
    page.fill("input[name=q]", "5550300")
    wait_until(
        page, "document.querySelector('[data-testid=result-count]').innerText.includes('of 1')"
    )
    page.fill("input[name=q]", "")
    wait_until(
        page, "document.querySelector('[data-testid=result-count]').innerText.includes('of 4')"
    )
    bar = page.locator("[data-testid=bulk-bar]")
    page.check("input[data-select-all=pk]")
    assert page.locator("input[name=pk]:checked").count() == 4
    bar.locator("select[name=purpose]").select_option("fax")
    bar.locator("input[name=reason]").fill("fax lines")
    bar.get_by_role("button").first.click()
    page.wait_for_load_state("networkidle")
    assert "4 numbers updated." in page.inner_text("main")
    assert set(PhoneNumber.objects.values_list("purpose", flat=True)) == {"fax"}

    # A step page: a step marked done.
    step = world_a["step"]
    _policy(page.goto(f"{base}/o/{org_a.slug}/migrations/{migration.uuid}/cutover/steps/"))
    row = page.locator("form", has=page.get_by_role("button", name="Done")).first
    row.locator("input[name=evidence]").fill("carrier confirmed")
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Done").click()
    page.wait_for_load_state("networkidle")
    step.refresh_from_db()
    assert step.status == Step.Status.DONE, step.status

    # The API tokens page and the organization settings (forms, messages).
    _policy(page.goto(base + reverse("api-tokens")))
    page.fill("input[name=name]", "billing sync")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_selector("[data-testid=key]")
    assert "expires in 90 days" in page.inner_text("[data-testid=tokens]")

    assert browser.csp_violations == []
    # The policy really blocks, and the watcher really sees it.
    assert page.evaluate(INLINE_SCRIPT) is False
    page.wait_for_timeout(200)
    assert any("inline script" in v for v in browser.csp_violations), browser.csp_violations
    browser.csp_violations.clear()


def test_an_loa_is_signed_end_to_end_under_the_policy(browser, live_server, world_a, org_a):
    org_a.brand_color = "#aa3300"
    org_a.save()
    world_a["signing_request"].delete()
    loa = world_a["port_order"].current_loa()
    _request, token = link_request(loa)
    signer = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    policy = _policy(signer.goto(live_server.url + reverse("esign:portal", args=[token])))
    # The letter's style sheet is allowed by its hash, the brand colour by the nonce.
    assert re.search(r"style-src 'self' 'nonce-[^']+' 'sha256-[^']+'", policy), policy

    signer.wait_for_selector("#submit")
    header = signer.evaluate(
        "getComputedStyle(document.querySelector('.portal-head')).borderTopColor"
    )
    assert header == "rgb(170, 51, 0)"
    letter = next(frame for frame in signer.frames if frame.url == "about:srcdoc")
    assert letter.evaluate("getComputedStyle(document.querySelector('th')).backgroundColor") == (
        "rgb(240, 242, 245)"  # the letter's own style sheet applies in its frame
    )
    # static/js/signing.js: the frame fits the letter, the guide counts what is left.
    wait_until(signer, "document.getElementById('letter').getBoundingClientRect().height > 600")
    assert signer.inner_text("#guide-text") == f"{len(CONFIRM_FIELDS) + 3} to complete"

    for key, _label in CONFIRM_FIELDS:
        signer.check(f"input[name=confirm_{key}][value=correct]")
    signer.check("#id_consent")
    signer.fill("#id_typed_name", loa.authorized_person)
    signer.fill("#id_typed_title", "Office Manager")
    pad = signer.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    signer.mouse.move(box["x"] + 20, box["y"] + 40)
    signer.mouse.down()
    signer.mouse.move(box["x"] + 200, box["y"] + 100, steps=8)
    signer.mouse.up()
    assert signer.input_value("#id_drawn_signature").startswith("data:image/png;base64,")
    signer.click("#submit")
    signer.wait_for_selector("h1:has-text('Signed')")
    loa.refresh_from_db()
    assert loa.status == LetterOfAuthorization.Status.SIGNED
    assert loa.signature.drawn_signature.startswith("data:image/png;base64,")
    assert browser.csp_violations == []


def test_customer_portal_questionnaire_saves_as_the_customer_types(
    browser, live_server, world_a, pm_a
):
    from customerportal.models import Questionnaire
    from customerportal.services import send_portal_link

    Questionnaire.objects.all().delete()
    base = live_server.url
    send_portal_link(world_a["migration"], name="Dana Office", email="dana@example.com",
                     by=pm_a, base_url=base)  # fmt: skip
    link = re.search(r"https?://\S+/portal/\S+/", mail.outbox[-1].body).group(0)
    contact = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    _policy(contact.goto(link))
    contact.locator("[data-task^='questionnaire:']").get_by_role(
        "link", name="Open the questionnaire").click()  # fmt: skip
    row = contact.locator("[data-testid=person-row]").first
    row.locator("input[name=person_name]").fill("Ana Front")
    row.locator("input[name=person_extension]").fill("301")
    wait_until(contact, "document.getElementById('autosave').textContent.startsWith('Draft saved')")
    assert Questionnaire.objects.get().people[0]["name"] == "Ana Front"
    assert browser.csp_violations == []


def test_home_location_portal_under_the_policy(browser, live_server, world_a, pm_a):
    worker = world_a["remote_worker"]
    send_location_link(worker, by=pm_a, base_url=live_server.url)
    link = re.search(r"https?://\S+/home-location/\S+/", mail.outbox[-1].body).group(0)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    _policy(phone.goto(link))
    phone.fill("#id_address_line1", "1437 bannock street")
    phone.fill("#id_city", "denver")
    phone.fill("#id_state", "co")
    phone.fill("#id_postal_code", "80202")
    phone.click("#check")
    phone.wait_for_selector("#confirm")
    phone.click("#confirm")
    phone.wait_for_selector("[data-testid=confirmed]")
    assert RemoteWorker.objects.get(pk=worker.pk).confirmed_at is not None
    assert browser.csp_violations == []


def test_api_reference_and_admin_under_the_policy(browser, live_server, owner_a, world_a):
    base = live_server.url
    page = _signed_in_page(browser, live_server, owner_a, viewport=DESKTOP)
    _policy(page.goto(base + "/api/docs/"))
    page.wait_for_selector(".swagger-ui .info .title")
    assert "VoIP Migrate API" in page.inner_text(".swagger-ui .info .title")
    # Swagger UI's own "Try it out" runs under the policy too (a fetch to this site).
    operation = page.locator("#operations-Customers-o_customers_list")
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder=org_slug]").fill("northwind")
    operation.get_by_role("button", name="Execute").click()
    page.wait_for_selector(".live-responses-table tbody .response-col_status")
    assert "200" in page.inner_text(".live-responses-table tbody .response-col_status")
    _policy(page.goto(base + "/admin/"))
    page.goto(base + reverse("admin:customers_customer_changelist"))
    page.locator("#result_list tbody a").first.click()  # a change form, with its widgets
    page.wait_for_selector("form#customer_form")
    assert browser.csp_violations == []
