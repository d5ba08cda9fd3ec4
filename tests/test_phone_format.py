"""One format for telephone numbers on pages and in PDFs, E.164 in exports.

Every HTML page and PDF shows a number as "(214) 555-0100" (the international format for
numbers outside North America); the CSV export and the API keep "+12145550100". Input
values, links and other attributes are not what people read, so they may stay E.164."""

import csv
import html
import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from phonenumber_field.phonenumber import PhoneNumber as StoredNumber

from cutover.plan.services import record_forwarding
from e911.karis.services import record_933_test
from porting.models import CarrierAccount
from tenancy.history import save_with_history
from tenancy.phone import shown

from . import factories as f
from .conftest import login
from .e911_helpers import site_default
from .test_tenant_isolation import _values_for
from .urlwalk import fill, org_routes

pytestmark = pytest.mark.django_db

NANP_E164 = re.compile(r"\+1\d{10}")


def visible_text(page: str) -> str:
    """What a person reads: no tags or attributes (values, hrefs such as tel: links), no
    scripts, styles or the contents of text areas (a form's value)."""
    text = re.sub(r"(?is)<(script|style|textarea)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]*>", " ", text))


def _get_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html"), url
    return response.content.decode()


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                            capture_output=True, text=True)  # fmt: skip
    return result.stdout


@pytest.fixture
def numbered_world(world_a, pm_a):
    """world_a with numbers in the places pages show them besides the number itself: a
    forwarding, a site's 933 test, a number the BTN leaves behind on the account (an LOA
    finding), and changes of a number and of the account's CSR in their history."""
    migration, site = world_a["migration"], world_a["site"]
    main_line = f.PhoneNumberFactory(
        migration=migration, number="+12145550102", purpose="main_line", site=site
    )
    record_forwarding(world_a["number"], by=pm_a, forward_to="214-555-0199",
                      starts_at=datetime(2026, 3, 7, 2, 0, tzinfo=UTC))  # fmt: skip
    site_default(site, pm_a)
    record_933_test(site, by=pm_a, caller="+12145550188", called_at=None,
                    readback_address="1 Nowhere Rd, Dallas TX 75201",
                    readback_callback="+12145550177")  # fmt: skip
    account = CarrierAccount.objects.get(pk=world_a["carrier_account"].pk)
    account.csr_numbers = ["+12145550100", "+12145550101"]
    save_with_history(account, by=pm_a, reason="CSR arrived")
    main_line.number = StoredNumber.from_string("+12145550103")
    save_with_history(main_line, by=pm_a, reason="typo")
    return {**world_a, "main_line": main_line, "carrier_account": account}


def _main_pages(org, world):
    migration, order = world["migration"], world["port_order"]
    return {
        "number list": reverse("number-list", args=[org.slug, migration.uuid]),
        "number detail": reverse("number-detail", args=[org.slug, world["number"].pk]),
        "port order detail": reverse("port-order-detail", args=[org.slug, order.pk]),
        "endpoint list": reverse("endpoint-list", args=[org.slug, migration.uuid]),
        "endpoint detail": reverse("endpoint-detail", args=[org.slug, world["endpoint"].pk]),
        "LOA letter": reverse("port-order-loa-preview", args=[org.slug, order.pk]),
        "dashboard": migration.get_absolute_url(),
        "carrier account": reverse(
            "carrier-account-detail", args=[org.slug, world["carrier_account"].pk]
        ),
        "cutover plan": reverse("cutover-plan", args=[org.slug, migration.uuid]),
        "site E911": reverse("site-e911", args=[org.slug, world["site"].pk]),
    }


def test_main_pages_show_numbers_in_the_national_format(client, org_a, numbered_world, pm_a):
    login(client, pm_a)
    text = {}
    for name, url in _main_pages(org_a, numbered_world).items():
        text[name] = visible_text(_get_html(client, url))
        assert not NANP_E164.findall(text[name]), (name, NANP_E164.findall(text[name]))
        if name != "dashboard":  # the migration page counts numbers, it does not list them
            assert "(214) 555-01" in text[name], name
    assert "(214) 555-0100" in text["number detail"]
    assert "the BTN (214) 555-0100 ports while" in text["port order detail"]  # a finding
    assert "(214) 555-0101" in text["port order detail"]  # and its value
    assert "(214) 555-0199" in text["cutover plan"]  # where the number forwards to
    site = text["site E911"]
    assert "(214) 555-0177" in site and "(214) 555-0102" in site  # read back, expected
    assert "(214) 555-0188" in site  # who called


def test_history_shows_changed_numbers_in_the_national_format(client, org_a, numbered_world,
                                                               pm_a):  # fmt: skip
    login(client, pm_a)
    number_history = visible_text(_get_html(client, numbered_world["main_line"].ui_url("history")))
    assert "(214) 555-0102" in number_history and "(214) 555-0103" in number_history
    account_history = visible_text(
        _get_html(client, numbered_world["carrier_account"].ui_url("history"))
    )
    assert "(214) 555-0101" in account_history
    assert not NANP_E164.findall(number_history + account_history)


def test_no_page_shows_a_stored_number_in_e164(client, org_a, numbered_world, owner_a):
    """Every staff page the organization's owner can open: none shows a number the world
    holds in E.164. (A form's help text may show E.164 as a way to type a number.)"""
    stored = {"+12145550100", "+12145550101", "+12145550102", "+12145550103",
              "+12145550177", "+12145550188", "+12145550199"}  # fmt: skip
    login(client, owner_a)
    checked, failures = 0, []
    for route in org_routes():
        if route.route.startswith("api/") or "/api/" in route.route:
            continue
        try:
            path = fill(route.route, _values_for(route, org_a.slug, numbered_world))
        except (AssertionError, KeyError):
            continue
        response = client.get(path)
        if response.status_code != 200 or response.streaming:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        checked += 1
        found = stored & set(NANP_E164.findall(visible_text(response.content.decode())))
        if found:
            failures.append(f"{route.name or route.route}: {sorted(found)}")
    assert checked > 40, "the walk found too few pages"
    assert not failures, "Pages showing E.164:\n" + "\n".join(failures)


def test_pdfs_show_numbers_in_the_national_format(client, org_a, numbered_world, pm_a,
                                                  tmp_path):  # fmt: skip
    login(client, pm_a)
    migration, order = numbered_world["migration"], numbered_world["port_order"]
    loa = client.get(reverse("port-order-loa-pdf", args=[org_a.slug, order.pk]))
    assert loa.status_code == 200 and loa["Content-Type"] == "application/pdf"
    text = _pdf_text(loa.content, tmp_path)
    assert "(214) 555-0100" in text and not NANP_E164.findall(text)
    report = client.get(reverse("migration-readiness-pdf", args=[org_a.slug, migration.uuid]))
    assert report.status_code == 200
    assert not NANP_E164.findall(_pdf_text(report.content, tmp_path))


def test_csv_export_and_api_keep_e164(client, org_a, numbered_world, pm_a, api_client_for):
    migration = numbered_world["migration"]
    login(client, pm_a)
    response = client.get(reverse("inventory-export", args=[org_a.slug, migration.uuid,
                                                            "numbers"]))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["number"] for row in rows} == {"+12145550100", "+12145550103"}
    api = api_client_for(pm_a)
    numbers = api.get(f"/api/o/{org_a.slug}/numbers/").json()["results"]
    assert {n["number"] for n in numbers} == {"+12145550100", "+12145550103"}
    account = api.get(
        f"/api/o/{org_a.slug}/carrier-accounts/{numbered_world['carrier_account'].pk}/"
    ).json()
    assert account["btn"] == "+12145550100"
    assert account["csr_numbers"] == ["+12145550100", "+12145550101"]
    order = api.get(f"/api/o/{org_a.slug}/port-orders/{numbered_world['port_order'].pk}/")
    assert [n["number"] for n in order.json()["numbers"]] == ["+12145550100"]
    findings = api.get(
        f"/api/o/{org_a.slug}/port-orders/{numbered_world['port_order'].pk}/findings/"
    ).json()["findings"]
    partial = next(f for f in findings if f["code"] == "BTN_PARTIAL_PORT")
    assert (partial["loa_value"], partial["csr_value"]) == ("+12145550100", "+12145550101")


def test_the_format():
    assert shown("+17205550100") == "(720) 555-0100"
    assert shown(StoredNumber.from_string("+18005550100")) == "(800) 555-0100"
    assert shown("+442079460018") == "+44 20 7946 0018"  # outside North America
    assert shown(["+12145550100", "+12145550101"]) == "(214) 555-0100, (214) 555-0101"
    assert shown("BTN +12145550100 on the LOA") == "BTN (214) 555-0100 on the LOA"
    # What is not a stored number stays as it is: an extension, what someone typed.
    for text in ("x101", "214-555-0100", "", "+1234", "Account 2145550100"):
        assert shown(text) == text
    assert shown(None) == ""


def test_templates_render_numbers_through_the_one_filter():
    """No template formats a number its own way (`.display`, `as_national`, `as_e164`)."""
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    offenders = []
    for root in roots:
        for template in root.rglob("*.html"):
            for n, line in enumerate(template.read_text().splitlines(), start=1):
                if re.search(r"\.display\b|\.as_(national|e164|international)\b", line):
                    offenders.append(f"{template.relative_to(root)}:{n}")
    assert not offenders, "Use the `phone` filter: " + ", ".join(offenders)
