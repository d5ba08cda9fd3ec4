"""What the apps built on customers add to its pages (tenancy/extensions.py)."""

from tenancy.extensions import Hook

# f(queryset of migrations) -> the queryset annotated with a count the migration lists
# show: sites adds site_count and endpoint_count, porting adds number_count.
MIGRATION_COUNTS = Hook("migration-counts", "f(migrations) -> migrations with a count annotated")
