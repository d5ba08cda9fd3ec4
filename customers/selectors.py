"""Reused reads for customers and migrations. Each runs a fixed number of queries."""

from tenancy.selectors import count_of

from .hooks import MIGRATION_COUNTS


def with_inventory_counts(migrations):
    """Annotate migrations with what the lists count (sites, endpoints, numbers): each
    app that owns such rows adds its count (customers.hooks.MIGRATION_COUNTS), as a
    subquery, so there is no join fan-out."""
    for annotate in MIGRATION_COUNTS:
        migrations = annotate(migrations)
    return migrations


def with_migration_counts(customers):
    from .models import Migration

    return customers.annotate(migration_count=count_of(Migration, customer="pk"))
