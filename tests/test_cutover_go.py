"""Go / no-go: each computed item, the manual sign-offs of the go/no-go checklist, "go"
refused naming the items, an owner's override recorded (a PM cannot override), and no
port day while a number's phone has not passed its pre-flight (a phone that was never
staged loses every call to its number), unless an owner recorded an overriding "go"."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cutover.go import selectors as gsel
from cutover.go.selectors import go_no_go, overridden_go, port_day_preflight_refusal
from cutover.go.services import decide, sign_off
from cutover.models import GoNoGoDecision, NetworkAssessment, Preflight, RollbackStep, SignOff
from cutover.rollback.services import add_step
from e911.compliance.selectors import compliance_register
from e911.compliance.services import record_evidence
from porting.services import acknowledge_warnings, transition_order
from tenancy.rules import TransitionRefused

from . import factories as f
from .conftest import login
from .e911_helpers import e911_ready, pass_preflight
from .signing import sign_loa

pytestmark = pytest.mark.django_db


def _item(migration, code):
    return next(i for i in go_no_go(migration).items if i.code == code)


def _at_foc(order, pm):
    sign_loa(order.current_loa(), by=pm)
    acknowledge_warnings(order, by=pm)
    order = transition_order(order, "submit_loa", by=pm)
    return transition_order(order, "record_foc", by=pm, foc_at=timezone.now(),
                            confirmation_number="FOC-77")  # fmt: skip


def _sign_everything(migration, by):
    for code in SignOff.Item.values:
        sign_off(migration, item=code, by=by, note="checked")


# -- computed items ---------------------------------------------------------------------


@pytest.mark.dates
def test_foc_item_needs_every_open_order_confirmed(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    item = _item(migration, "foc_confirmed")
    assert not item.ok and f"#{order.pk} (loa pending)" in item.detail
    _at_foc(order, pm_a)
    item = _item(migration, "foc_confirmed")
    assert item.ok and "FOC-77" in item.evidence


@pytest.mark.dates
def test_foc_item_ignores_cancelled_orders_and_fails_without_any(world_a, pm_a):
    migration, order = world_a["migration"], world_a["port_order"]
    transition_order(order, "cancel", by=pm_a, cancel_reason="customer kept this line")
    item = _item(migration, "foc_confirmed")
    assert not item.ok and "No port order" in item.detail


def test_e911_item_shows_the_blocking_count(world_a, pm_a):
    from e911.readiness.selectors import readiness

    migration = world_a["migration"]
    item = _item(migration, "e911_ready")
    blocking = len(readiness(migration).blocking)
    assert not item.ok and blocking > 0 and f"{blocking} blocking item(s)" in item.detail
    e911_ready(world_a["port_order"], pm_a)
    after = len(readiness(migration).blocking)
    assert after < blocking
    item = _item(migration, "e911_ready")
    assert item.ok == (after == 0)


def test_preflight_item_needs_every_endpoint_passed(world_a, pm_a):
    migration, endpoint = world_a["migration"], world_a["endpoint"]
    item = _item(migration, "preflight_passed")
    assert not item.ok and "0 of 1 passed" in item.detail and "not started" in item.detail
    pass_preflight(endpoint, pm_a)
    assert _item(migration, "preflight_passed").ok
    f.EndpointFactory(site=world_a["site"], extension="102")
    item = _item(migration, "preflight_passed")
    assert not item.ok and "1 of 2 passed" in item.detail


def _ready_network(site):
    now = timezone.now()
    return NetworkAssessment.objects.create(
        site=site, peak_concurrent_calls=10, upstream_kbps=20000, downstream_kbps=50000,
        jitter_ms=5, loss_percent="0.1", latency_ms=40, test_days=7, dscp_voice_ef=True,
        dscp_signaling_cs3=True, voice_reservation_percent=30, poe_confirmed=True,
        it_lead_signed_by="Ivy Lead", it_lead_signed_at=now, vendor_signed_by="Vic Vendor",
        vendor_signed_at=now,
    )  # fmt: skip


def test_network_item_needs_every_site_ready(world_a):
    migration, site = world_a["migration"], world_a["site"]
    item = _item(migration, "network_ready")
    assert not item.ok and site.name in item.detail
    assessment = _ready_network(site)
    assert _item(migration, "network_ready").ok
    assessment.vendor_signed_by = ""
    assessment.save()
    item = _item(migration, "network_ready")
    assert not item.ok and "vendor" in item.detail.lower()
    _ready_network(f.SiteFactory(migration=migration, name="Annex"))
    assessment.vendor_signed_by = "Vic Vendor"
    assessment.save()
    assert _item(migration, "network_ready").ok


def test_compliance_item_follows_the_register(world_a, pm_a):
    migration, customer = world_a["migration"], world_a["customer"]
    customer.handles_health_information = True
    customer.save()
    item = _item(migration, "compliance_complete")
    missing = [i.title for i in compliance_register(customer) if i.required and not i.ok]
    baa = next(i for i in compliance_register(customer) if i.code == "hipaa_baa")
    assert not item.ok and baa.title in item.detail and f"{len(missing)} required" in item.detail
    record_evidence(customer, item="hipaa_baa", evidence="Zoom BAA v3", by=pm_a,
                    document_date=timezone.localdate())  # fmt: skip
    item = _item(migration, "compliance_complete")
    assert baa.title not in item.detail
    register = compliance_register(customer)
    assert item.ok == all(i.ok for i in register if i.required)


@pytest.mark.dates
def test_rollback_item_needs_steps_owners_and_the_consoles_sign_off(world_a, pm_a):
    migration = world_a["migration"]
    item = _item(migration, "rollback_verified")
    assert not item.ok and "No rollback step" in item.detail
    step = add_step(migration, title="Re-point the numbers", by=pm_a)
    item = _item(migration, "rollback_verified")
    assert "1 step(s) without an owner" in item.detail and "console" in item.detail
    step.owner = pm_a
    step.save()
    sign_off(migration, item="rollback_consoles", by=pm_a, note="logged into both portals")
    assert _item(migration, "rollback_verified").ok


# -- manual sign-offs -------------------------------------------------------------------


def test_manual_sign_offs_latest_counts(world_a, pm_a, owner_a):
    migration = world_a["migration"]
    result = go_no_go(migration)
    assert not result.manual_ok and [i.code for i in result.manual] == SignOff.Item.values
    _sign_everything(migration, pm_a)
    assert go_no_go(migration).manual_ok
    sign_off(migration, item="support", by=owner_a, note="escalation changed", confirmed=False)
    result = go_no_go(migration)
    support = next(i for i in result.manual if i.code == "support")
    assert not result.manual_ok and not support.ok and "withdrawn" in support.detail


def test_pilot_issues_may_be_deferred_with_a_note_others_not(world_a, pm_a):
    migration = world_a["migration"]
    with pytest.raises(ValidationError, match="what is deferred"):
        sign_off(migration, item="pilot_issues", by=pm_a, note="", deferred=True)
    sign_off(migration, item="pilot_issues", by=pm_a, note="BLF lag: after cutover", deferred=True)
    item = _item(migration, "pilot_issues")
    assert item.ok and "deferred" in item.detail.lower()
    with pytest.raises(ValidationError, match="cannot be deferred"):
        sign_off(migration, item="numbering", by=pm_a, note="later", deferred=True)


def test_technicians_and_viewers_cannot_sign_off(world_a, tech_a, viewer_a):
    for user in (tech_a, viewer_a):
        with pytest.raises(TransitionRefused) as exc:
            sign_off(world_a["migration"], item="support", by=user, note="x")
        assert exc.value.rule == "role"


# -- the decision -----------------------------------------------------------------------


def test_go_refused_naming_the_failing_items(world_a, pm_a):
    migration = world_a["migration"]
    with pytest.raises(TransitionRefused) as exc:
        decide(migration, decision="go", by=pm_a, reason="Monday 6am")
    assert exc.value.rule == "go_blocked"
    failing = go_no_go(migration).failing
    for item in failing:
        assert item.title in exc.value.message
    assert "Every endpoint's pre-flight passed" in exc.value.message
    assert not GoNoGoDecision.objects.exists()


def test_no_go_is_always_recorded_with_a_snapshot(world_a, pm_a):
    row = decide(world_a["migration"], decision="no_go", by=pm_a, reason="QoS not validated")
    assert row.decision == "no_go" and row.override_reason == ""
    codes = [i["code"] for i in row.snapshot]
    assert "preflight_passed" in codes and "support" in codes
    assert all(set(i) >= {"code", "title", "ok", "detail", "kind"} for i in row.snapshot)


@pytest.mark.dates
def test_owner_override_is_recorded(world_a, owner_a):
    migration = world_a["migration"]
    row = decide(migration, decision="go", by=owner_a, reason="Board deadline",
                 override_reason="Pre-flight of 1 lobby phone deferred; PM on site")  # fmt: skip
    assert row.decision == "go" and row.decided_by == owner_a
    assert row.override_reason.startswith("Pre-flight of 1 lobby phone")
    assert any(not i["ok"] for i in row.snapshot)
    assert row.history.first().history_change_reason.startswith("Go: Board deadline")
    assert overridden_go(migration) == row


def test_pm_cannot_override(world_a, pm_a):
    with pytest.raises(TransitionRefused) as exc:
        decide(world_a["migration"], decision="go", by=pm_a, reason="r", override_reason="trust me")
    assert exc.value.rule == "override_owner_only"


def test_reason_is_required_and_viewers_cannot_decide(world_a, pm_a, viewer_a):
    with pytest.raises(ValidationError, match="Say why"):
        decide(world_a["migration"], decision="no_go", by=pm_a, reason=" ")
    with pytest.raises(TransitionRefused):
        decide(world_a["migration"], decision="no_go", by=viewer_a, reason="x")


@pytest.mark.dates
def test_go_without_override_when_every_item_is_ok(world_a, pm_a, monkeypatch):
    migration = world_a["migration"]
    _sign_everything(migration, pm_a)
    from tenancy.checks import Item

    fine = [Item(code, code, True) for code in ("foc_confirmed", "e911_ready")]
    monkeypatch.setattr(gsel, "_foc_item", lambda m, *_: fine[0])
    monkeypatch.setattr(gsel, "_e911_item", lambda m, *_: fine[1])
    monkeypatch.setattr(gsel, "_preflight_item", lambda m, *_: Item("preflight_passed", "p", True))
    monkeypatch.setattr(gsel, "_network_item", lambda m, *_: Item("network_ready", "n", True))
    monkeypatch.setattr(gsel, "_compliance_item",
                        lambda m, *_: Item("compliance_complete", "c", True))  # fmt: skip
    add_step(migration, title="Re-point the numbers", by=pm_a, owner=pm_a)
    assert go_no_go(migration).ok
    row = decide(migration, decision="go", by=pm_a, reason="All green",
                 override_reason="")  # fmt: skip
    assert row.decision == "go" and row.override_reason == ""
    assert all(i["ok"] for i in row.snapshot)


# -- the 18-lost-calls rule ------------------------------------------------------------


def test_port_day_refused_while_a_numbers_phone_has_not_passed_preflight(world_a, pm_a, owner_a):
    order, endpoint = world_a["port_order"], world_a["endpoint"]
    order = _at_foc(order, pm_a)
    e911_ready(order, pm_a)  # E911 ready, and (the helper) the pre-flight passed
    Preflight.objects.filter(endpoint=endpoint).update(status=Preflight.Status.FAILED)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "start_port_day", by=pm_a)
    assert exc.value.rule == "preflight_passed"
    assert world_a["number"].display in exc.value.message and "failed" in exc.value.message
    Preflight.objects.filter(endpoint=endpoint).delete()
    assert "not started" in port_day_preflight_refusal(order)
    # A PM's "go" cannot carry an override; a "go" without one is refused.
    with pytest.raises(TransitionRefused):
        decide(order.migration, decision="go", by=pm_a, reason="go", override_reason="x")
    # An owner's overriding "go" lets the port start.
    override = "Phone 101 re-tested by phone with the user; pre-flight tomorrow"
    decide(order.migration, decision="go", by=owner_a, reason="Carrier date is fixed",
           override_reason=override)  # fmt: skip
    assert port_day_preflight_refusal(order) is None
    assert transition_order(order, "start_port_day", by=pm_a).state == "port_day"


@pytest.mark.dates
def test_a_later_no_go_withdraws_the_override(world_a, pm_a, owner_a):
    order = world_a["port_order"]
    decide(order.migration, decision="go", by=owner_a, reason="r", override_reason="o")
    assert port_day_preflight_refusal(order) is None
    decide(order.migration, decision="no_go", by=pm_a, reason="phones failing")
    assert port_day_preflight_refusal(order) is not None


def test_numbers_without_a_phone_and_passed_phones_port(world_a, pm_a):
    order, endpoint = world_a["port_order"], world_a["endpoint"]
    pass_preflight(endpoint, pm_a)
    assert port_day_preflight_refusal(order) is None
    number = world_a["number"]
    number.endpoint = None
    number.save()
    Preflight.objects.all().delete()
    assert port_day_preflight_refusal(order) is None


# -- the page --------------------------------------------------------------------------


def _url(org, migration, name="cutover-go"):
    return reverse(name, args=[org.slug, migration.uuid])


def test_page_shows_items_forms_and_history(client, org_a, world_a, owner_a, pm_a):
    migration = world_a["migration"]
    login(client, pm_a)
    html = client.get(_url(org_a, migration)).content.decode()
    assert 'data-testid="item-preflight_passed"' in html and 'data-testid="item-support"' in html
    assert 'data-testid="decision-form"' in html and 'data-testid="override-field"' not in html
    response = client.post(_url(org_a, migration, "cutover-go-decide"),
                           {"decision": "go", "reason": "Monday"}, follow=True)  # fmt: skip
    assert "go_blocked" in response.content.decode()
    client.post(_url(org_a, migration, "cutover-go-sign-off"),
                {"item": "support", "note": "Ana on call"})  # fmt: skip
    assert SignOff.objects.filter(item="support", signed_by=pm_a).exists()
    login(client, owner_a)
    html = client.get(_url(org_a, migration)).content.decode()
    assert 'data-testid="override-field"' in html
    client.post(
        _url(org_a, migration, "cutover-go-decide"),
        {"decision": "go", "reason": "Monday", "override_reason": "Owner accepts"},
    )
    row = GoNoGoDecision.objects.get()
    assert row.override_reason == "Owner accepts"
    html = client.get(_url(org_a, migration)).content.decode()
    assert "Owner accepts" in html and "override" in html


def test_viewer_gets_403_on_post(client, org_a, world_a, viewer_a):
    migration = world_a["migration"]
    login(client, viewer_a)
    assert client.get(_url(org_a, migration)).status_code == 200
    for name, data in (
        ("cutover-go-sign-off", {"item": "support"}),
        ("cutover-go-decide", {"decision": "no_go", "reason": "x"}),
    ):
        assert client.post(_url(org_a, migration, name), data).status_code == 403
    assert not SignOff.objects.exists() and not GoNoGoDecision.objects.exists()


def test_another_orgs_migration_is_404(client, org_b, world_a, pm_b):
    login(client, pm_b)
    assert client.get(_url(org_b, world_a["migration"])).status_code == 404


def test_page_queries_do_not_grow(client, org_a, world_a, pm_a, owner_a,
                                  django_assert_max_num_queries):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    migration = world_a["migration"]
    login(client, pm_a)
    url = _url(org_a, migration)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(5):
        site = f.SiteFactory(migration=migration, name=f"Site {i}")
        _ready_network(site)
        for j in range(3):
            endpoint = f.EndpointFactory(site=site, extension=f"{i}{j}5")
            pass_preflight(endpoint, pm_a)
        add_step(migration, title=f"Step {i}", by=pm_a, owner=pm_a)
        sign_off(migration, item="support", by=pm_a, note=f"v{i}")
        decide(migration, decision="no_go", by=pm_a, reason=f"try {i}")
    assert RollbackStep.objects.count() == 5
    assert count() == small
