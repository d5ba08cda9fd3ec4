"""Test helper: make an order's E911 ready for port day (make before break): each site
gets a default location from its address, and each number an active registration."""

from e911.models import DispatchableLocation
from e911.services import create_location, set_registration


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
    """Register every number of `order` as active at its site's default location."""
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
