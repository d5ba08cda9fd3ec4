"""Kari's Law per site, 933 evidence after the port, removal of the old carrier's E911
record, and the customer's compliance register (docs/e911-karis-compliance.md)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from e911.compliance.selectors import compliance_register
from e911.compliance.services import record_attestation, record_evidence
from e911.karis.selectors import karis_law_items, karis_law_items_for_sites
from e911.karis.services import record_933_test, record_direct_dial, remove_old_e911_record
from e911.models import AttestationCheck, DispatchableLocation, RemoteWorker
from e911.models import Test933 as Call933
from e911.rules import dial_plan_problems, prefix_swallows_911
from porting.models import PhoneNumber
from tenancy.rules import TransitionRefused

from . import factories as f
from .conftest import login
from .e911_helpers import site_default

pytestmark = pytest.mark.django_db

READBACK_OK = "123 main street, suite 200, Dallas, Texas 75201"


def _items(site):
    return {item.code: item for item in karis_law_items(site)}


def _register(customer):
    register = {}
    for item in compliance_register(customer):
        register.setdefault(item.code, []).append(item)
    return {code: rows[0] if len(rows) == 1 else rows for code, rows in register.items()}


def _port(number):
    PhoneNumber.objects.filter(pk=number.pk).update(status=PhoneNumber.Status.PORTED)
    number.refresh_from_db()
    return number


@pytest.fixture
def site(world_a, pm_a):
    site = world_a["site"]
    site_default(site, pm_a)
    f.PhoneNumberFactory(
        migration=site.migration, site=site, number="+12145550199",
        purpose=PhoneNumber.Purpose.MAIN_LINE,
    )  # fmt: skip
    return site


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


# -- Kari's Law ----------------------------------------------------------------------------


def test_unverified_site_fails_every_karis_item(world_a):
    items = _items(world_a["site"])
    assert not items["karis_direct_dial"].ok and items["karis_direct_dial"].blocking
    assert not items["karis_dial_plan"].ok and not items["karis_notification"].ok
    assert not items["e911_933_test"].ok and not items["e911_933_test"].blocking


def test_direct_dial_verified_with_safe_dial_plan_and_recipients(world_a, tech_a):
    site = world_a["site"]
    record_direct_dial(
        site, by=tech_a, method="dialed 933 from x101, no prefix", prefixes="8",
        emergency_matched_first=False, recipients="front desk x100\nsecurity@acme.example",
    )  # fmt: skip
    items = _items(site)
    assert all(items[c].ok for c in ("karis_direct_dial", "karis_dial_plan", "karis_notification"))
    assert items["karis_direct_dial"].who == "tech_a" and items["karis_direct_dial"].when
    assert "x101" in items["karis_direct_dial"].evidence
    assert site.e911.notification_recipients == ["front desk x100", "security@acme.example"]


@pytest.mark.parametrize("prefix", ["9", "9*", "91"])
def test_outside_line_prefix_that_swallows_911_fails_unless_matched_first(world_a, pm_a, prefix):
    site = world_a["site"]
    kwargs = dict(by=pm_a, method="dialed 933", prefixes=[prefix], recipients=["front desk"])
    record_direct_dial(site, emergency_matched_first=False, **kwargs)
    site.refresh_from_db()
    item = _items(site)["karis_dial_plan"]
    assert not item.ok and item.blocking and repr(prefix) in item.detail
    record_direct_dial(site, emergency_matched_first=True, **kwargs)
    site.refresh_from_db()
    assert _items(site)["karis_dial_plan"].ok


def test_no_notification_recipient_is_not_ok(world_a, pm_a):
    site = world_a["site"]
    record_direct_dial(site, by=pm_a, method="dialed 933", prefixes=[],
                       emergency_matched_first=False, recipients="  ")  # fmt: skip
    items = _items(site)
    assert items["karis_direct_dial"].ok and not items["karis_notification"].ok


def test_direct_dial_needs_a_method_and_a_writer(world_a, viewer_a, pm_a):
    site = world_a["site"]
    with pytest.raises(TransitionRefused) as exc:
        record_direct_dial(site, by=viewer_a, method="x", prefixes=[],
                           emergency_matched_first=False, recipients=["a"])  # fmt: skip
    assert exc.value.rule == "role"
    with pytest.raises(ValidationError):
        record_direct_dial(site, by=pm_a, method=" ", prefixes=[],
                           emergency_matched_first=False, recipients=["a"])  # fmt: skip


@given(st.text(alphabet="0123456789*#", max_size=4))
def test_dial_plan_property(prefix):
    """A prefix swallows 911 exactly when its digits start 911; matching 911 first
    always makes the plan safe."""
    digits = prefix.rstrip("*#")
    swallows = bool(digits) and "911".startswith(digits) and "*" not in digits
    swallows = swallows and "#" not in digits
    assert prefix_swallows_911(prefix) == swallows
    assert dial_plan_problems([prefix], emergency_matched_first=True) == []
    assert bool(dial_plan_problems([prefix], emergency_matched_first=False)) == swallows


def test_items_for_many_sites_in_constant_queries(world_a, pm_a, django_assert_num_queries):
    sites = [world_a["site"]] + [f.SiteFactory(migration=world_a["migration"]) for _ in range(4)]
    record_direct_dial(sites[0], by=pm_a, method="dialed 933", prefixes=["9"],
                       emergency_matched_first=True, recipients=["desk"])  # fmt: skip
    with django_assert_num_queries(2):
        by_site = karis_law_items_for_sites(sites)
    assert by_site[sites[0].pk][0].ok and not by_site[sites[1].pk][0].ok


# -- 933 tests -----------------------------------------------------------------------------


@pytest.mark.dates
def test_933_pass_after_normalizing_case_spacing_and_abbreviations(site, tech_a):
    test = record_933_test(
        site, by=tech_a, caller="x101", called_at=timezone.now(),
        readback_address=READBACK_OK, readback_callback="(214) 555-0199",
    )  # fmt: skip
    assert test.result == Call933.Result.PASS, test.differences
    assert test.expected_callback == "+12145550199"
    assert "123 MAIN ST" in test.expected_address
    assert _items(site)["e911_933_test"].ok


def test_933_expected_callback_falls_back_to_first_ported_number(world_a, pm_a):
    site = world_a["site"]
    site_default(site, pm_a)
    number = _port(f.PhoneNumberFactory(migration=site.migration, site=site,
                                        number="+12145550177"))  # fmt: skip
    test = record_933_test(site, by=pm_a, caller="x101", called_at=timezone.now(),
                           readback_address=READBACK_OK,
                           readback_callback="214-555-0177")  # fmt: skip
    assert test.expected_callback == str(number.number) and test.result == "pass"


@pytest.mark.dates
def test_933_mismatch_lists_differences_alerts_the_pm_and_reopens(
    site, tech_a, pm_a, mailoutbox, eager, django_capture_on_commit_callbacks
):
    earlier = timezone.now() - timedelta(hours=1)
    record_933_test(site, by=tech_a, caller="x101", called_at=earlier,
                    readback_address=READBACK_OK, readback_callback="2145550199")  # fmt: skip
    assert _items(site)["e911_933_test"].ok
    with django_capture_on_commit_callbacks(execute=True):
        test = record_933_test(
            site, by=tech_a, caller="x102", called_at=timezone.now(),
            readback_address="123 Main St, Suite 300, Dallas TX 75202",
            readback_callback="214 555 0100",
        )  # fmt: skip
    assert test.result == Call933.Result.MISMATCH
    text = " ".join(test.differences)
    assert "STE 300" in text and "STE 200" in text and "75202" in text
    assert "(214) 555-0100" in text and "(214) 555-0199" in text
    item = _items(site)["e911_933_test"]
    assert not item.ok and "Mismatch" in item.detail
    assert len(mailoutbox) == 1 and "[933 MISMATCH]" in mailoutbox[0].subject
    assert mailoutbox[0].to == [pm_a.email] and "STE 300" in mailoutbox[0].body
    # A later pass closes it again.
    record_933_test(site, by=tech_a, caller="x101", called_at=timezone.now() + timedelta(1),
                    readback_address=READBACK_OK, readback_callback="2145550199")  # fmt: skip
    assert _items(site)["e911_933_test"].ok


def test_933_unreadable_readback_is_a_mismatch(site, pm_a):
    test = record_933_test(site, by=pm_a, caller="x1", called_at=timezone.now(),
                           readback_address="somewhere downtown",
                           readback_callback="none")  # fmt: skip
    assert test.result == "mismatch" and len(test.differences) == 2


def test_933_needs_a_default_location(world_a, pm_a):
    with pytest.raises(ValidationError):
        record_933_test(world_a["site"], by=pm_a, caller="x1", called_at=timezone.now(),
                        readback_address=READBACK_OK, readback_callback="2145550199")  # fmt: skip


@pytest.mark.dates
def test_old_record_removed_only_after_a_passing_933_test(site, pm_a, tech_a):
    with pytest.raises(TransitionRefused) as exc:
        remove_old_e911_record(site, by=pm_a)
    assert exc.value.rule == "933_test_passed"
    record_933_test(site, by=tech_a, caller="x1", called_at=timezone.now(),
                    readback_address="1 Elm St, Dallas TX 75201",
                    readback_callback="2145550199")  # fmt: skip
    with pytest.raises(TransitionRefused) as exc:
        remove_old_e911_record(site, by=pm_a)
    assert exc.value.rule == "933_test_passed" and "mismatch" in exc.value.message
    record_933_test(site, by=tech_a, caller="x1", called_at=timezone.now() + timedelta(1),
                    readback_address=READBACK_OK, readback_callback="2145550199")  # fmt: skip
    with pytest.raises(TransitionRefused):
        remove_old_e911_record(site, by=tech_a)  # owners and PMs only
    record = remove_old_e911_record(site, by=pm_a)
    assert record.old_record_removed_at and record.old_record_removed_by == pm_a


# -- compliance register -------------------------------------------------------------------


def test_recording_in_a_two_party_consent_state(world_a, pm_a):
    customer = world_a["customer"]
    f.SiteFactory(migration=world_a["migration"], name="LA", city="Los Angeles", state="CA",
                  postal_code="90012", address_line2="")  # fmt: skip
    item = _register(customer)["recording_disclosure"]
    assert not item.required and item.ok and "Cal. Penal Code § 632" in item.reason
    customer.records_calls = True
    customer.save()
    item = _register(customer)["recording_disclosure"]
    assert item.required and not item.ok and item.status == "missing"
    assert "Cal. Penal Code § 632" in item.reason and "site LA" in item.reason
    record_evidence(customer, item="recording_disclosure", by=pm_a, document_date=date.today(),
                    evidence="IVR prompt 'this call may be recorded' before queue")  # fmt: skip
    item = _register(customer)["recording_disclosure"]
    assert item.ok and item.status == "ok" and item.who == "pm_a" and item.when


def test_remote_worker_home_in_an_all_party_state_counts(world_a):
    customer = world_a["customer"]
    customer.records_calls = True
    customer.save()
    assert not _register(customer)["recording_disclosure"].required  # TX only
    worker = RemoteWorker.objects.create(migration=world_a["migration"], name="Ann",
                                         email="ann@example.com")  # fmt: skip
    DispatchableLocation.objects.create(
        migration=world_a["migration"], remote_worker=worker, address_line1="1 Ocean Dr",
        city="Miami", state="FL", postal_code="33139",
    )  # fmt: skip
    item = _register(customer)["recording_disclosure"]
    assert item.required and "Fla. Stat. § 934.03" in item.reason and "Ann" in item.reason


@pytest.mark.dates
def test_dental_office_without_a_baa(world_a, pm_a, viewer_a):
    customer = world_a["customer"]
    assert not _register(customer)["hipaa_baa"].required
    customer.handles_health_information = True
    customer.save()
    item = _register(customer)["hipaa_baa"]
    assert item.required and not item.ok and item.blocking and item.status == "missing"
    with pytest.raises(ValidationError):  # evidence = document and date
        record_evidence(customer, item="hipaa_baa", evidence="BAA", by=pm_a)
    with pytest.raises(TransitionRefused):
        record_evidence(customer, item="hipaa_baa", evidence="BAA", by=viewer_a,
                        document_date=date.today())  # fmt: skip
    record_evidence(customer, item="hipaa_baa", evidence="Zoom BAA v3 (signed PDF)",
                    document_date=date(2025, 3, 1), by=pm_a)  # fmt: skip
    item = _register(customer)["hipaa_baa"]
    assert item.ok and "2025-03-01" in item.evidence


def test_pci_pause_required_when_card_payments_by_phone(world_a, pm_a):
    customer = world_a["customer"]
    customer.takes_card_payments_by_phone = True
    customer.save()
    assert not _register(customer)["pci_recording_pause"].ok
    record_evidence(customer, item="pci_recording_pause", by=pm_a, done=False,
                    evidence="pause button not configured yet")  # fmt: skip
    assert not _register(customer)["pci_recording_pause"].ok
    record_evidence(customer, item="pci_recording_pause", by=pm_a,
                    evidence="Pause/resume via *1 tested")  # fmt: skip
    assert _register(customer)["pci_recording_pause"].ok


@pytest.mark.dates
def test_attestation_lost_after_the_port(world_a, pm_a):
    customer = world_a["customer"]
    number = _port(world_a["number"])
    with pytest.raises(ValidationError):
        record_attestation(f.PhoneNumberFactory(migration=world_a["migration"]), level="A",
                           seen_at=timezone.now(), called_from="cell", by=pm_a)  # fmt: skip
    item = _register(customer)["stir_shaken"]
    assert not item.ok and item.subject == number.display
    record_attestation(number, level="B", seen_at=timezone.now(), called_from="+13035550100",
                       by=pm_a)  # fmt: skip
    item = _register(customer)["stir_shaken"]
    assert not item.ok and "Attestation lost" in item.detail
    record_attestation(number, level="A", seen_at=timezone.now() + timedelta(seconds=1),
                       called_from="+13035550100", by=pm_a)  # fmt: skip
    item = _register(customer)["stir_shaken"]
    assert item.ok and item.who == "pm_a"
    assert AttestationCheck.objects.filter(number=number).count() == 2


def test_rmd_listing_required_when_numbers_port(world_a, pm_a):
    customer = f.CustomerFactory(organization=world_a["customer"].organization)
    assert not _register(customer)["rmd_listing"].required
    item = _register(world_a["customer"])["rmd_listing"]
    if world_a["number"].status == PhoneNumber.Status.LEGACY:
        _port(world_a["number"])
        item = _register(world_a["customer"])["rmd_listing"]
    assert item.required and not item.ok and "Zoom Phone" in item.reason
    record_evidence(world_a["customer"], item="rmd_listing", by=pm_a,
                    evidence="Zoom Voice Communications RMD0001234, checked",
                    document_date=date.today())  # fmt: skip
    assert _register(world_a["customer"])["rmd_listing"].ok


# -- pages ---------------------------------------------------------------------------------


def _pages(org, world):
    return [
        reverse("site-e911", args=[org.slug, world["site"].pk]),
        reverse("customer-compliance", args=[org.slug, world["customer"].pk]),
    ]


def test_pages_render_for_every_member(client, org_a, world_a, pm_a, tech_a, viewer_a):
    _port(world_a["number"])
    for user in (pm_a, tech_a, viewer_a):
        login(client, user)
        for url in _pages(org_a, world_a):
            response = client.get(url)
            assert response.status_code == 200, (user, url)
    assert b"Kari" in client.get(_pages(org_a, world_a)[0]).content


def test_pages_404_for_another_org(client, org_a, org_b, world_a, world_b, pm_b):
    login(client, pm_b)
    for url in _pages(org_b, world_a) + _pages(org_a, world_a):
        assert client.get(url).status_code == 404


def test_walker_gets_404_on_every_karis_route(client, world_a, world_b, pm_b, org_a, org_b):
    """The tenant walker (tests/test_tenant_isolation.py) on this module's routes alone."""
    from .test_tenant_isolation import _assert_all_404
    from .urlwalk import org_routes

    routes = [r for r in org_routes() if r.name in KARIS_ROUTES]
    assert len(routes) == len(KARIS_ROUTES)
    login(client, pm_b)
    _assert_all_404(client, routes, org_b.slug, world_a)
    _assert_all_404(client, routes, org_a.slug, world_a)


KARIS_ROUTES = {
    "site-e911", "site-e911-direct-dial", "site-e911-933", "site-e911-remove-old-record",
    "customer-compliance", "customer-compliance-evidence", "number-attestation",
}  # fmt: skip


def test_viewer_cannot_post(client, org_a, world_a, viewer_a):
    login(client, viewer_a)
    site, customer, number = world_a["site"], world_a["customer"], world_a["number"]
    for name, pk in [
        ("site-e911-direct-dial", site.pk), ("site-e911-933", site.pk),
        ("site-e911-remove-old-record", site.pk), ("customer-compliance-evidence", customer.pk),
        ("number-attestation", number.pk),
    ]:  # fmt: skip
        response = client.post(reverse(name, args=[org_a.slug, pk]), {"reason": "x"})
        assert response.status_code == 403, name


@pytest.mark.dates
def test_technician_records_direct_dial_and_933_but_not_evidence(client, org_a, site, tech_a):
    login(client, tech_a)
    response = client.post(
        reverse("site-e911-direct-dial", args=[org_a.slug, site.pk]),
        {"method": "dialed 933 from x101", "prefixes": "9", "emergency_matched_first": "on",
         "recipients": "front desk"},
    )  # fmt: skip
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.e911.outside_line_prefixes == ["9"] and site.e911.emergency_matched_first
    response = client.post(
        reverse("site-e911-933", args=[org_a.slug, site.pk]),
        {"caller": "x101", "called_at": "2025-06-02T10:30", "readback_address": READBACK_OK,
         "readback_callback": "214-555-0199"},
    )  # fmt: skip
    assert response.status_code == 302 and Call933.objects.get(site=site).result == "pass"
    response = client.post(
        reverse("customer-compliance-evidence", args=[org_a.slug, site.customer_id]),
        {"item": "hipaa_baa", "evidence": "x", "document_date": "2025-01-01"},
    )
    assert response.status_code == 403
    page = client.get(reverse("site-e911", args=[org_a.slug, site.pk]))
    assert b"Record the old record removed" not in page.content  # owners and PMs only


@pytest.mark.dates
def test_pm_posts_evidence_attestation_and_removal(client, org_a, site, world_a, pm_a):
    login(client, pm_a)
    number = _port(world_a["number"])
    response = client.post(
        reverse("customer-compliance-evidence", args=[org_a.slug, site.customer_id]),
        {"item": "hipaa_baa", "evidence": "BAA signed", "document_date": "2025-01-01",
         "done": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    response = client.post(
        reverse("number-attestation", args=[org_a.slug, number.pk]),
        {"level": "A", "seen_at": "2025-06-02T10:30", "called_from": "+13035550100"},
    )
    assert response.url == reverse("customer-compliance", args=[org_a.slug, site.customer_id])
    assert AttestationCheck.objects.get(number=number).level == "A"
    url = reverse("site-e911-remove-old-record", args=[org_a.slug, site.pk])
    response = client.post(url, {"reason": "ticket 42"}, follow=True)
    assert "933_test_passed" in response.content.decode()
    page = client.get(reverse("customer-compliance", args=[org_a.slug, site.customer_id]))
    assert "BAA signed" in page.content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_site_e911_page_runs_constant_queries(client, org_a, site, pm_a):
    login(client, pm_a)
    url = reverse("site-e911", args=[org_a.slug, site.pk])
    record_direct_dial(site, by=pm_a, method="dialed 933", prefixes=["9"],
                       emergency_matched_first=True, recipients=["desk"])  # fmt: skip

    def tests(n, start):
        for i in range(n):
            record_933_test(site, by=pm_a, caller=f"x{i}",
                            called_at=timezone.now() - timedelta(minutes=start + i),
                            readback_address=READBACK_OK if i % 2 else "1 Elm St, Dallas TX 75201",
                            readback_callback="2145550199")  # fmt: skip

    tests(2, 0)
    small = _count(client, url)
    tests(20, 10)
    large = _count(client, url)
    assert small == large, f"{small} queries for 2 tests, {large} for 22"


def test_compliance_page_runs_constant_queries(client, org_a, world_a, pm_a):
    login(client, pm_a)
    customer, migration = world_a["customer"], world_a["migration"]
    url = reverse("customer-compliance", args=[org_a.slug, customer.pk])

    def grow(n, start):
        for i in range(n):
            tn = f"+1214555{3000 + start + i:04d}"
            number = _port(f.PhoneNumberFactory(migration=migration, number=tn))
            record_attestation(number, level="AB"[i % 2], seen_at=timezone.now(),
                               called_from="cell", by=pm_a)  # fmt: skip
            record_evidence(customer, item="rmd_listing", evidence=f"check {i}", by=pm_a)
            f.SiteFactory(migration=migration, state="CA")

    grow(2, 0)
    small = _count(client, url)
    grow(20, 10)
    large = _count(client, url)
    assert small == large, f"{small} queries for 2 numbers, {large} for 22"
