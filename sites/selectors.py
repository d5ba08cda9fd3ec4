"""Reused reads of sites and endpoints."""

from tenancy.selectors import count_of

from .models import Endpoint, Site


def with_site_and_endpoint_counts(migrations):
    """The migration lists' site and endpoint counts (customers.hooks.MIGRATION_COUNTS)."""
    return migrations.annotate(
        site_count=count_of(Site, migration="pk"),
        endpoint_count=count_of(Endpoint, migration="pk"),
    )
