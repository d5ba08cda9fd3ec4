"""Where an order is, in time: the zone its dates are counted in (docs/porting-planner.md)."""

from zoneinfo import ZoneInfo

from sites.models import Site

from .models import PhoneNumber


def order_zones(orders) -> dict[int, ZoneInfo]:
    """Each order's local time zone: the one the carrier gave with the FOC; else the zone
    of the site of its numbers; else its migration's first site's; else UTC. Dates an
    order is counted from (LOA submitted, FOC) are dates in this zone. At most two
    queries, whatever the number of orders."""
    orders = list(orders)
    pending = [o for o in orders if not o.foc_timezone]
    by_order, first_site = {}, {}
    if pending:
        rows = (
            PhoneNumber.port_orders.through.objects.filter(
                portorder_id__in=[o.pk for o in pending], phonenumber__site__isnull=False
            )
            .order_by("phonenumber__site_id")
            .values_list("portorder_id", "phonenumber__site__timezone")
        )
        for order_id, name in rows:
            by_order.setdefault(order_id, name)
        migrations = {o.migration_id for o in pending if o.pk not in by_order}
        if migrations:
            sites = Site.objects.filter(migration_id__in=migrations).order_by("migration_id", "pk")
            for migration_id, name in sites.values_list("migration_id", "timezone"):
                first_site.setdefault(migration_id, name)
    return {
        o.pk: _zone(o.foc_timezone or by_order.get(o.pk) or first_site.get(o.migration_id))
        for o in orders
    }


def _zone(name) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local_date(moment, zone: ZoneInfo):
    return moment.astimezone(zone).date() if moment else None


def site_zones(order) -> tuple[dict[str, str], str]:
    """The zones of the sites whose numbers the order ports ({zone: site name}), else of
    the migration's sites, and which of the two it is (to say where a zone came from)."""
    sites = {
        n.site.timezone: n.site.name
        for n in order.numbers.select_related("site")
        if n.site_id and n.site.timezone
    }
    if sites:
        return sites, "the order's numbers are at"
    return (
        {s.timezone: s.name for s in order.migration.sites.all() if s.timezone},
        "the migration's only site",
    )
