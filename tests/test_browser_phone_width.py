"""Every page at phone width (390 px): each staff page an owner can open, both portals
(signing, home location), the technician's per-phone form with an error shown, and the
error pages. A page wider than the screen fails, naming its widest elements; each page
is screenshotted to test-artifacts/phone/ for a person to look at."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from e911.remote.services import send_location_link
from porting.services import prepare_loa

from .browser import ARTIFACTS, PHONE, log_in
from .signing import link_request, sign_loa
from .test_tenant_isolation import _values_for
from .urlwalk import fill, org_routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"
SHOTS = ARTIFACTS / "phone"

# What is wider than the screen, outside a table's own scrolling wrapper.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".table-wrap, iframe, .scroll-x")) continue;
    const right = el.getBoundingClientRect().right;
    if (right > width + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/ +/g, ".")}`
                + ` (${Math.round(right)} px): ${(el.innerText || "").slice(0, 40)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, wide: wide.slice(-6)};
}"""


def _staff_pages(owner_client, objects):
    """Every GET page of the organization that answers an HTML 200 to its owner."""
    pages = []
    for route in org_routes():
        if route.route.startswith("api/") or "/api/" in route.route:
            continue
        try:
            path = fill(route.route, _values_for(route, objects["customer"].organization.slug,
                                                 objects))  # fmt: skip
        except (AssertionError, KeyError):
            continue
        response = owner_client.get(path)
        content_type = response.get("Content-Type", "")
        if response.streaming or not content_type.startswith("text/html"):
            continue
        whole_page = b"<!doctype html>" in response.content[:200].lower()
        if response.status_code == 200 and content_type.startswith("text/html") and whole_page:
            pages.append((route.name or route.route, path))
    return pages


def _check(page, name, failures):
    page.wait_for_load_state("networkidle")
    result = page.evaluate(OVERFLOW)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)
    if result["scroll"] > PHONE["width"]:
        failures.append(f"{name} {page.url}: {result['scroll']} px wide; {result['wide']}")


def _expect_error_summary(page, name, failures):
    """A refused form opens with its error summary, which has the focus."""
    if page.locator("[data-testid=error-summary]").count() != 1:
        failures.append(f"{name}: no error summary at the top")
    elif page.evaluate("document.activeElement.dataset.testid") != "error-summary":
        failures.append(f"{name}: the error summary does not have the focus")


@pytest.fixture
def signed_world(world_a, pm_a):
    """The order's first LOA signed (its signed page and certificate exist), and a second
    version out for signature (the portal)."""
    order = world_a["port_order"]
    sign_loa(world_a["loa"], by=pm_a)
    second = prepare_loa(order, by=pm_a, reason="suite number corrected",
                         service_line2="Suite 210")  # fmt: skip
    _request, token = link_request(second, by=pm_a)
    world_a["portal_token"] = token
    return world_a


def test_every_page_fits_a_phone(signed_world, owner_a, pm_a, tech_a, live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    world = signed_world
    owner_client = Client()
    owner_client.force_login(owner_a)
    pages = _staff_pages(owner_client, world)
    assert len(pages) >= 40, f"only {len(pages)} staff pages found: is the walker still working?"
    base = live_server.url
    failures = []

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, base, "owner_a", PASSWORD)
    for name, path in pages:
        page.goto(base + path)
        _check(page, name, failures)

    # The technician's per-phone form, saved with the same line three times.
    tech = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(tech, base, "tech_a", PASSWORD)
    tech.goto(f"{base}/o/{world['customer'].organization.slug}/endpoints/"
              f"{world['endpoint'].pk}/preflight/")  # fmt: skip
    for i in (1, 2, 3):
        call = tech.locator(f"[data-testid=call-{i}]")
        call.locator("input[type=text]").fill("(303) 555-0101")
        call.locator("label", has_text="Pass").click()
    tech.locator("label.pf-sign").click()  # signing is refused: one line, not three
    tech.get_by_role("button", name="Save checklist").click()
    tech.wait_for_load_state("networkidle")
    _expect_error_summary(tech, "preflight form", failures)
    _check(tech, "preflight-form-with-error", failures)

    # The signer's portal: the letter, a submit with answers missing, and signed.
    signer = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    signer.goto(base + reverse("esign:portal", args=[world["portal_token"]]))
    _check(signer, "signing-portal", failures)
    signer.get_by_role("button", name="Sign the letter").click()
    signer.wait_for_load_state("networkidle")
    _expect_error_summary(signer, "signing portal", failures)
    _check(signer, "signing-portal-with-errors", failures)

    # The remote worker's home-location portal.
    send_location_link(world["remote_worker"], by=pm_a, base_url=base)
    token = re.search(r"/home-location/([^/\s]+)/", mail.outbox[-1].body).group(1)
    worker = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    worker.goto(base + reverse("e911portal:home-location", args=[token]))
    _check(worker, "home-location-portal", failures)

    # The customer's migration portal, with a stuck note refused for being empty.
    from customerportal.services import send_portal_link

    send_portal_link(world["migration"], name="Dana Office", email="dana@example.com",
                     by=pm_a, base_url=base)  # fmt: skip
    token = re.search(r"/portal/([^/\s]+)/", mail.outbox[-1].body).group(1)
    contact = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    contact.goto(base + reverse("customerportal:portal", args=[token]))
    _check(contact, "customer-portal", failures)
    contact.locator("details.stuck-form summary").first.click()
    contact.locator("details.stuck-form[open] button").click()
    contact.wait_for_load_state("networkidle")
    _expect_error_summary(contact, "customer portal", failures)
    _check(contact, "customer-portal-with-errors", failures)

    # Error pages.
    page.goto(base + "/o/northwind/migrations/00000000-0000-0000-0000-000000000000/")
    _check(page, "error-404", failures)

    assert not failures, "Wider than a phone:\n" + "\n".join(failures)
