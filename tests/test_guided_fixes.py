"""Pages say what to do next and link to where it is done (docs/guided-work.md): every
blocker, warning and finding links to its fix, the fix can be done there, and what a
role cannot do is not offered."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from porting.models import PhoneNumber, PortOrder
from porting.services import create_port_order, prepare_loa
from tenancy import clock

from . import factories as f
from .conftest import login

pytestmark = pytest.mark.django_db

FIX_LINK = re.compile(r'<a class="fix-link" href="([^"]+)"')


def _fix_links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in FIX_LINK.findall(html)]


def _assert_fix_links_lead_somewhere(client, html: str) -> int:
    """Every fix link opens a page (200), and its #anchor is an element on that page."""
    links = _fix_links(html)
    for href in links:
        parts = urlsplit(href)
        target = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        assert target.status_code == 200, href
        if parts.fragment:
            assert f'id="{parts.fragment}"' in target.content.decode(), href
    return len(links)


def _migration_pages(org, migration):
    args = [org.slug, migration.uuid]
    return [
        reverse("cutover-go", args=args),
        reverse("migration-readiness", args=args),
        reverse("migration-detail", args=args) + "?panel=cutover",
        reverse("porting-board", args=args),
    ]


def test_every_blocker_on_go_readiness_and_dashboard_links_to_a_working_fix(
    client, org_a, world_a, pm_a
):
    login(client, pm_a)
    migration = world_a["migration"]
    seen = 0
    for url in _migration_pages(org_a, migration):
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        seen += _assert_fix_links_lead_somewhere(client, html)
    assert seen >= 10  # go items, readiness items, the dashboard's list


def test_go_page_links_each_failing_item(client, org_a, world_a, pm_a):
    from cutover.go.selectors import go_no_go

    login(client, pm_a)
    migration = world_a["migration"]
    failing = go_no_go(migration).failing
    html = client.get(reverse("cutover-go", args=[org_a.slug, migration.uuid])).content.decode()
    assert failing and len(_fix_links(html)) >= len(failing)


def test_readiness_page_links_each_blocking_item(client, org_a, world_a, pm_a):
    from e911.readiness.selectors import readiness

    login(client, pm_a)
    migration = world_a["migration"]
    report = readiness(migration)
    blocking = [item for item in report.items if item.state == "blocking"]
    url = reverse("migration-readiness", args=[org_a.slug, migration.uuid])
    html = client.get(url).content.decode()
    assert blocking and all(item.fix for item in blocking)
    assert len(_fix_links(html)) >= len(blocking)


@pytest.mark.dates
def test_dashboard_says_plainly_when_the_window_cannot_be_met(client, org_a, world_a, pm_a):
    login(client, pm_a)
    migration = world_a["migration"]
    today = clock.today()
    migration.target_start, migration.target_end = today + timedelta(1), today + timedelta(3)
    migration.save()
    url = reverse("migration-detail", args=[org_a.slug, migration.uuid]) + "?panel=cutover"
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    alert = re.search(r'data-testid="dash-window">(.*?)</div>', html, re.S).group(1)
    assert "cannot be met" in alert and "earliest honest cutover" in alert
    assert f"#{world_a['port_order'].pk}" in alert  # names the order that drives the date
    assert "Open the porting plan" in alert
    # One count of blockers, the same on the dashboard and the go page.
    go_html = client.get(reverse("cutover-go", args=[org_a.slug, migration.uuid])).content
    dash_count = re.search(r"Before go: (\d+) of (\d+)", html).groups()
    assert f"{dash_count[0]} of {dash_count[1]}".encode() in go_html


def test_window_that_can_be_met_shows_no_alert(client, org_a, world_a, pm_a):
    login(client, pm_a)
    migration = world_a["migration"]
    today = clock.today()
    migration.target_start, migration.target_end = today + timedelta(90), today + timedelta(95)
    migration.save()
    url = reverse("migration-detail", args=[org_a.slug, migration.uuid]) + "?panel=cutover"
    assert b"dash-window" not in client.get(url, HTTP_HX_REQUEST="true").content


# -- the port order page -------------------------------------------------------------


def _new_order(world, user, numbers):
    return create_port_order(
        world["carrier_account"], numbers, winning_carrier="Zoom Phone", by=user
    )


def _fresh_order(world, user):
    """An order with no LOA yet, on a number the account's CSR lists."""
    number = f.PhoneNumberFactory(migration=world["migration"], number="+12145550101")
    return _new_order(world, user, [number])


def test_next_action_comes_first_and_the_first_loa_is_filled_from_the_csr(client, world_a, pm_a):
    login(client, pm_a)
    order = _fresh_order(world_a, pm_a)
    html = client.get(order.get_absolute_url()).content.decode()
    assert html.index('data-testid="next-action"') < html.index('data-testid="transitions"')
    assert "Prepare the LOA" in html and f"{order.get_absolute_url()}#prepare-loa" in html
    account = world_a["carrier_account"]
    form = html[html.index('id="prepare-loa"') :]
    assert " open>" in form[: form.index(">") + 1] or 'prepare-loa" open' in html
    for value in (account.csr_account_name, account.csr_address_line1, account.csr_city,
                  account.account_number, account.csr_authorized_person):  # fmt: skip
        assert f'value="{value}"' in form, value


def test_labels_are_tied_to_their_inputs_on_the_order_page(client, world_a, pm_a):
    login(client, pm_a)
    html = client.get(world_a["port_order"].get_absolute_url()).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    labelled = re.findall(r'<label for="([^"]+)"', html)
    assert labelled and all(target in ids for target in labelled)
    assert not re.search(r"<label>(?!<input)[^<]*</label>\s*<input", html)


def test_destructive_actions_come_second_and_confirm(client, world_a, pm_a):
    login(client, pm_a)
    html = client.get(world_a["port_order"].get_absolute_url()).content.decode()
    other = html.index('data-testid="other-actions"')
    cancel = html.index('value="cancel"')
    assert cancel > other
    assert re.search(r'<form[^>]*data-confirm="Cancel order: are you sure', html)


def test_actions_a_role_cannot_take_are_not_offered(client, world_a, tech_a):
    login(client, tech_a)
    html = client.get(world_a["port_order"].get_absolute_url()).content.decode()
    for name in ("cancel", "record_foc", "reject", "submit_loa"):
        assert f'value="{name}"' not in html, name
    assert 'data-testid="change-numbers"' not in html
    assert 'data-testid="prepare-loa"' not in html


def test_pin_finding_links_to_the_accounts_pin_field(client, world_a, pm_a, org_a):
    account = world_a["carrier_account"]
    account.csr_has_pin = True  # the CSR shows a PIN and the account has none recorded
    account.save()
    order = world_a["port_order"]
    prepare_loa(order, by=pm_a)
    login(client, pm_a)
    html = client.get(order.get_absolute_url()).content.decode()
    edit = reverse("carrier-account-update", args=[org_a.slug, account.pk])
    assert "PIN_REQUIRED" in html
    assert f'href="{edit}#id_pin"' in html
    assert 'id="id_pin"' in client.get(edit).content.decode()


def test_number_finding_links_to_changing_the_orders_numbers(client, world_a, pm_a, org_a):
    stray = f.PhoneNumberFactory(migration=world_a["migration"], number="+12145550177")
    order = world_a["port_order"]
    order.numbers.add(stray)  # not on the account's CSR: TN_NOT_ON_ACCOUNT
    prepare_loa(order, by=pm_a)
    login(client, pm_a)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "TN_NOT_ON_ACCOUNT" in html
    numbers_url = reverse("port-order-numbers", args=[org_a.slug, order.pk])
    assert f'href="{numbers_url}"' in html

    # The fix, done where the finding sends the PM: the number goes back to the list.
    page = client.get(numbers_url)
    assert page.status_code == 200 and b'data-select-all="remove"' in page.content
    response = client.post(numbers_url, {"remove": [stray.pk], "reason": "not on the CSR"})
    assert response.status_code == 302
    order = PortOrder.objects.get(pk=order.pk)
    assert list(order.numbers.values_list("number", flat=True)) == ["+12145550100"]
    assert (
        not PhoneNumber.objects.get(pk=stray.pk)
        .port_orders.filter(state__in=PortOrder.OPEN_STATES)
        .exists()
    )
    latest = order.loas.order_by("-version").first()
    assert latest.version == 3 and latest.numbers == ["+12145550100"]
    html = client.get(order.get_absolute_url()).content.decode()
    assert "TN_NOT_ON_ACCOUNT" not in html


def test_adding_a_number_checks_the_csr_and_changes_nothing_when_refused(
    client, world_a, pm_a, org_a
):
    stray = f.PhoneNumberFactory(migration=world_a["migration"], number="+12145550188")
    listed = f.PhoneNumberFactory(migration=world_a["migration"], number="+12145550102")
    account = world_a["carrier_account"]
    account.csr_numbers = [*account.csr_numbers, "+12145550102"]
    account.save()
    order = world_a["port_order"]
    url = reverse("port-order-numbers", args=[org_a.slug, order.pk])
    login(client, pm_a)
    refused = client.post(url, {"add": [stray.pk]})
    html = refused.content.decode()
    assert refused.status_code == 200 and 'data-testid="error-summary"' in html
    assert "(214) 555-0188 is not on the CSR" in html and "Nothing was saved" in html
    assert order.numbers.count() == 1 and order.loas.count() == 1

    added = client.post(url, {"add": [listed.pk]})
    assert added.status_code == 302, re.findall(r"<li>(.*?)</li>", added.content.decode())
    assert order.numbers.count() == 2
    assert order.loas.order_by("-version").first().numbers == ["+12145550100", "+12145550102"]


def test_changing_numbers_is_refused_to_a_technician_and_hidden_from_other_orgs(
    client, world_a, tech_a, pm_b, org_a
):
    url = reverse("port-order-numbers", args=[org_a.slug, world_a["port_order"].pk])
    login(client, tech_a)
    response = client.post(url, {"remove": [world_a["number"].pk]})
    assert response.status_code == 403
    assert world_a["port_order"].numbers.count() == 1
    login(client, pm_b)
    assert client.get(url).status_code == 404


def test_next_action_is_the_blocking_finding_before_any_signature(client, world_a, pm_a):
    order = world_a["port_order"]
    prepare_loa(order, by=pm_a, service_line2="Suite 999")  # the CSR says Suite 200
    login(client, pm_a)
    html = client.get(order.get_absolute_url()).content.decode()
    banner = re.search(r'data-testid="next-action">(.*?)</div>', html, re.S).group(1)
    assert "Fix the LOA check&#x27;s 1 blocker before sending it for signature" in banner
    assert f'href="{order.get_absolute_url()}#prepare-loa"' in banner
