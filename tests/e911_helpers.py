"""Test helper: make an order ready for port day (make before break): each site gets a
default location from its address, each number an active registration, and each phone
behind the order's numbers a passed pre-flight (rule preflight_passed)."""

from e911.locations.services import create_location, set_registration
from e911.models import DispatchableLocation


def site_default(site, by):
    existing = DispatchableLocation.objects.filter(
        site=site, is_site_default=True, is_current=True
    ).first()
    return existing or create_location(
        migration=site.migration, by=by, site=site, is_site_default=True, label="Main",
        address_line1=site.address_line1, address_line2=site.address_line2, city=site.city,
        state=site.state, postal_code=site.postal_code,
    )  # fmt: skip


def e911_ready(order, by):
    """Register every number of `order` as active at its site's default location, and
    pass the pre-flight of the phones behind them (rule preflight_passed)."""
    migration = order.migration
    fallback = migration.sites.order_by("pk").first()
    if fallback is None:
        from .factories import SiteFactory

        fallback = SiteFactory(migration=migration, name="Main office")
    for number in order.numbers.select_related("site"):
        site = number.site or fallback
        location = site_default(site, by)
        assert location.dispatchable, location.validation_message
        set_registration(migration=migration, by=by, number=number, status="active",
                         location=location, provider_reference=f"REG-{number.pk}")  # fmt: skip
    for site in migration.sites.all():
        site_default(site, by)
    preflight_passed(order, by)


def pass_preflight(endpoint, by):
    """Record a complete, signed, passing pre-flight for `endpoint`."""
    from cutover.preflight.selectors import CALLS, CHECK_CODES
    from cutover.preflight.services import record_preflight

    checks = {code: {"ok": True, "note": ""} for code in CHECK_CODES}
    calls = [{"line": f"+1214555{9000 + i:04d}", "result": "pass"} for i in range(CALLS)]
    preflight = record_preflight(endpoint, by=by, checks=checks, test_calls=calls, sign=True)
    assert preflight.status == "passed", preflight.status
    return preflight


def preflight_passed(order, by):
    """Every endpoint behind `order`'s numbers passes its pre-flight."""
    from cutover.models import Preflight

    for number in order.numbers.select_related("endpoint"):
        endpoint = number.endpoint
        if endpoint is None:
            continue
        if Preflight.objects.filter(endpoint=endpoint, status="passed").exists():
            continue
        pass_preflight(endpoint, by)
