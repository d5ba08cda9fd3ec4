"""The migration dashboard (docs/cutover-dashboard.md): what it shows, in the site's time
zone, and a constant number of queries whatever the migration's size, as
tests/test_query_counts.py checks for the other pages."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cutover.dashboard.selectors import dashboard
from cutover.models import GoNoGoDecision, Step, Wave
from cutover.steps.services import ensure_plan
from e911.models import RemoteWorker

from . import factories as f
from .conftest import login
from .test_query_counts import _add_orders, _grow

HX = {"HTTP_HX_REQUEST": "true"}


def _panel_url(org, migration):
    return reverse("migration-detail", args=[org.slug, migration.uuid]) + "?panel=cutover"


def _count_panel(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **HX)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _add_cutover(migration, site, user, count, start):
    """Waves, late and upcoming steps, remote workers past escalation, go decisions."""
    plan = ensure_plan(migration, by=user)
    now = timezone.now()
    order = migration.port_orders.order_by("pk").first()
    for i in range(count):
        wave = Wave.objects.create(
            plan=plan, name=f"Wave {start + i}", site=site if i % 2 else None,
            window_start=now + timedelta(days=i + 1),
            window_end=now + timedelta(days=i + 1, hours=2),
        )  # fmt: skip
        wave.numbers.set(migration.numbers.all()[:3])
        wave.endpoints.set(migration.endpoints.all()[:3])
        for code, delta, status in (
            ("late", -1, Step.Status.OVERDUE),
            ("due", -1, Step.Status.DUE),
            ("ahead", 2, Step.Status.PENDING),
        ):
            Step.objects.create(
                plan=plan, port_order=order, site=site if i % 2 else None,
                code=f"{code}-{start + i}", title=f"{code} {start + i}", offset_minutes=0,
                due_at=now + timedelta(hours=delta * (i + 1)), status=status,
            )  # fmt: skip
        RemoteWorker.objects.create(
            migration=migration, name=f"Worker {start + i}", email=f"w{start + i}@example.com",
            escalated_at=now,
        )  # fmt: skip
        GoNoGoDecision.objects.create(migration=migration, decision="no_go", reason="not yet",
                                      decided_by=user)  # fmt: skip


def test_dashboard_panel_runs_constant_queries(client, pm_a, world_a, org_a, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0  # the computation's queries, not the cache's
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    url = _panel_url(org_a, migration)
    _grow(migration, site, 5)
    _add_orders(migration, 1, pm_a, 0)
    _add_cutover(migration, site, pm_a, 2, 0)
    small, _ = _count_panel(client, url)
    _grow(migration, site, 200, start=5)
    _add_orders(migration, 12, pm_a, 100)
    _add_cutover(migration, site, pm_a, 25, 100)
    large, response = _count_panel(client, url)
    assert small == large, f"{small} queries for a small migration, {large} for a large one"
    assert b"Wave 124" in response.content


def test_the_panel_reads_the_compliance_register_and_preflight_counts_once(
    client, pm_a, world_a, org_a, settings
):
    # The readiness report and the go/no-go list both judge them: read once, shared.
    settings.DASHBOARD_CACHE_SECONDS = 0
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    _grow(migration, site, 5)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_panel_url(org_a, migration), HTTP_HX_REQUEST="true").status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "e911_complianceevidence"' in q for q in sql) == 1
    counts = [q for q in sql if 'COUNT("sites_endpoint"."id")' in q and "preflight" in q]
    assert len(counts) == 1, counts


def test_full_page_with_the_panel_runs_constant_queries(client, pm_a, world_a, org_a):
    """Without htmx, `?panel=cutover` renders the whole page with the dashboard in place."""
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    url = _panel_url(org_a, migration)
    _add_cutover(migration, site, pm_a, 1, 0)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    small = len(ctx.captured_queries)
    assert b"migration-sites" in response.content and b"cutover-dashboard" in response.content
    _grow(migration, site, 100)
    _add_cutover(migration, site, pm_a, 10, 100)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx.captured_queries) == small


def test_with_cutover_go_the_panel_stays_constant(client, pm_a, world_a, org_a, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0  # the computation's queries, not the cache's
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    url = _panel_url(org_a, migration)
    _grow(migration, site, 5)
    small, _ = _count_panel(client, url)
    _grow(migration, site, 50, start=5)
    _add_orders(migration, 5, pm_a, 100)
    large, response = _count_panel(client, url)
    assert b"dash-go-computed" in response.content
    assert small == large, f"{small} queries for a small migration, {large} for a large one"


def test_a_failing_go_no_go_is_shown_and_logged_not_a_broken_page(
    client, pm_a, world_a, org_a, settings, monkeypatch, caplog
):
    settings.DASHBOARD_CACHE_SECONDS = 0

    def broken(migration, *, readiness=None, preflight=None):
        raise RuntimeError("rule table missing")

    monkeypatch.setattr("cutover.dashboard.selectors.go_no_go", broken)
    login(client, pm_a)
    _count, response = _count_panel(client, _panel_url(org_a, world_a["migration"]))
    page = response.content.decode()
    assert "Computed go/no-go unavailable: RuntimeError: rule table missing" in page
    assert "dash-go-computed" not in page and "dash-go-decision" in page
    assert any("go/no-go failed" in r.getMessage() for r in caplog.records)


def test_the_page_loads_the_panel_with_htmx(client, pm_a, world_a, org_a):
    login(client, pm_a)
    migration = world_a["migration"]
    response = client.get(reverse("migration-detail", args=[org_a.slug, migration.uuid]))
    body = response.content.decode()
    assert 'hx-get="/o/' in body and "?panel=cutover" in body
    assert "migration-sites" in body  # the existing content is still there
    panel = client.get(_panel_url(org_a, migration), **HX).content.decode()
    assert "<html" not in panel and 'data-testid="cutover-dashboard"' in panel


@pytest.mark.dates
def test_what_the_dashboard_shows(client, pm_a, world_a, org_a):
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]  # site: America/Chicago
    plan = ensure_plan(migration, by=pm_a)
    start = datetime(2027, 1, 9, 4, 0, tzinfo=UTC)  # 22:00 CST the day before
    Wave.objects.create(plan=plan, name="Front office", site=site, window_start=start,
                        window_end=start + timedelta(hours=3))  # fmt: skip
    now = timezone.now()
    Step.objects.create(plan=plan, site=site, code="late", title="Late thing", offset_minutes=0,
                        due_at=now - timedelta(hours=2), status=Step.Status.OVERDUE)  # fmt: skip
    GoNoGoDecision.objects.create(migration=migration, decision="no_go", reason="r",
                                  decided_by=pm_a, decided_at=now - timedelta(days=1))  # fmt: skip
    GoNoGoDecision.objects.create(migration=migration, decision="go", reason="r",
                                  decided_by=pm_a, decided_at=now)  # fmt: skip
    body = client.get(_panel_url(org_a, migration), **HX).content.decode()
    assert "Fri 2027-01-08 22:00 CST" in body  # the wave's window in its site's zone
    assert "Late thing" in body and "overdue" in body
    assert reverse("migration-e911", args=[org_a.slug, migration.uuid]) in body
    assert "0/1" in body and "1 missing" in body  # E911: the endpoint has no location
    assert 'data-testid="dash-go-decision">Go' in body and str(pm_a) in body
    assert "Robin Remote" not in body  # a remote worker not yet escalated is not overdue

    d = dashboard(migration, now=now)
    assert d.go.latest.decision == "go"
    assert [s.step.title for s in d.steps_late] == ["Late thing"]
    assert d.steps_upcoming[0].zone == "America/Chicago"
    assert d.readiness.coverage is d.coverage  # coverage computed once
    assert d.coverage_missing == 1
    assert d.porting_states[0][0] == "loa_pending"


@pytest.mark.dates
def test_remote_workers_past_escalation_are_overdue(world_a, pm_a):
    migration = world_a["migration"]
    RemoteWorker.objects.filter(migration=migration).update(escalated_at=timezone.now())
    d = dashboard(migration, now=timezone.now())
    assert [w.name for w in d.remote_overdue] == ["Robin Remote"]
    assert d.overdue_count == 1


def test_viewer_reads_it_and_another_organization_gets_404(client, viewer_a, pm_b, world_a,
                                                           org_a):  # fmt: skip
    url = _panel_url(org_a, world_a["migration"])
    login(client, viewer_a)
    assert client.get(url, **HX).status_code == 200
    login(client, pm_b)
    assert client.get(url, **HX).status_code == 404


def test_empty_migration(client, pm_a, org_a):
    login(client, pm_a)
    migration = f.MigrationFactory(customer=f.CustomerFactory(organization=org_a))
    body = client.get(_panel_url(org_a, migration), **HX).content.decode()
    assert "No waves yet" in body and "No port orders yet" in body and "Nothing is overdue" in body


# -- the panel's cache (docs/cutover-dashboard.md#caching) ---------------------------------


def _stat(body, testid):
    match = re.search(rf'data-testid="{testid}">\s*<div[^>]*>([^<]*)<', body)
    assert match, body
    return match.group(1).strip()


@pytest.mark.dates
def test_the_panel_is_cached_and_any_change_shows_at_once(client, pm_a, tech_a, world_a, org_a,
                                                          settings):  # fmt: skip
    from cutover.preflight.services import record_preflight

    settings.DASHBOARD_CACHE_SECONDS = 10
    login(client, pm_a)
    migration = world_a["migration"]
    url = _panel_url(org_a, migration)
    first, response = _count_panel(client, url)
    assert _stat(response.content.decode(), "dash-preflight") == "0/1"
    hit, again = _count_panel(client, url)
    assert again.content == response.content
    # session, user, the two-factor requirement, membership, migration: no computation
    assert hit < first and hit <= 5
    # A change through the services (signals) drops the cached panel at once.
    checks = {code: {"ok": True, "note": ""} for code in ("mac", "registration", "firmware",
                                                          "e911", "poe", "voicemail")}  # fmt: skip
    calls = [{"line": f"+1214555{i:04d}", "result": "pass"} for i in range(3)]
    record_preflight(world_a["endpoint"], by=tech_a, checks=checks, test_calls=calls, sign=True)
    _count, after = _count_panel(client, url)
    assert _stat(after.content.decode(), "dash-preflight") == "1/1"


def test_an_inventory_import_drops_the_cached_panel(client, pm_a, world_a, org_a, settings):
    """Bulk inserts send no signals: the import bumps the organization's version itself."""
    from inventory.services import import_inventory

    settings.DASHBOARD_CACHE_SECONDS = 10
    login(client, pm_a)
    migration = world_a["migration"]
    url = _panel_url(org_a, migration)
    body = client.get(url, **HX).content.decode()
    assert _stat(body, "dash-preflight") == "0/1"
    report = import_inventory(
        migration, by=pm_a,
        endpoints="site,extension\nDallas HQ,7001\nDallas HQ,7002\n",
    )  # fmt: skip
    assert report.ok, report.summary()
    assert _stat(client.get(url, **HX).content.decode(), "dash-preflight") == "0/3"


def test_a_cached_panel_is_never_served_across_organizations(client, pm_a, pm_b, world_a,
                                                             org_a, settings):  # fmt: skip
    settings.DASHBOARD_CACHE_SECONDS = 10
    login(client, pm_a)
    url = _panel_url(org_a, world_a["migration"])
    assert client.get(url, **HX).status_code == 200  # now cached
    login(client, pm_b)
    assert client.get(url, **HX).status_code == 404


def test_zero_seconds_turns_the_cache_off(client, pm_a, world_a, org_a, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    login(client, pm_a)
    url = _panel_url(org_a, world_a["migration"])
    first, _ = _count_panel(client, url)
    second, _ = _count_panel(client, url)
    assert second == first


def test_the_panel_is_cached_by_default_only_with_redis():
    import importlib
    import os
    from unittest import mock

    import config.settings.base as base

    try:
        with mock.patch.dict(os.environ, {"REDIS_URL": ""}):
            os.environ.pop("DASHBOARD_CACHE_SECONDS", None)
            assert importlib.reload(base).DASHBOARD_CACHE_SECONDS == 0
        with mock.patch.dict(os.environ, {"REDIS_URL": "redis://127.0.0.1:6379/0"}):
            os.environ.pop("DASHBOARD_CACHE_SECONDS", None)
            assert importlib.reload(base).DASHBOARD_CACHE_SECONDS == 10
    finally:
        importlib.reload(base)
