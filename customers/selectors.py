"""Reused reads for customers and migrations. Each runs a fixed number of queries."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from porting.models import PhoneNumber
from sites.models import Endpoint, Site


def count_of(model, **outer):
    field, ref = next(iter(outer.items()))
    rows = (
        model.objects.filter(**{field: OuterRef(ref)})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_inventory_counts(migrations):
    """Annotate migrations with site / endpoint / number counts (subqueries, no join fan-out)."""
    return migrations.annotate(
        site_count=count_of(Site, migration="pk"),
        endpoint_count=count_of(Endpoint, migration="pk"),
        number_count=count_of(PhoneNumber, migration="pk"),
    )


def migration_dashboard(migration):
    """Everything the migration page shows, in a constant number of queries."""
    endpoints = Endpoint.objects.filter(migration=migration)
    numbers = PhoneNumber.objects.filter(migration=migration)
    endpoint_kinds = dict(
        endpoints.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    remote = endpoints.filter(is_remote_worker=True).count()
    number_status = dict(
        numbers.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    number_kinds = dict(
        numbers.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    number_purposes = dict(
        numbers.order_by().values_list("purpose").annotate(n=Count("pk")).values_list("purpose", "n")
    )
    unassigned_numbers = numbers.filter(endpoint__isnull=True, purpose="user_did").count()
    sites = list(
        Site.objects.filter(migration=migration).annotate(
            endpoint_count=count_of(Endpoint, site="pk"),
            remote_count=Subquery(
                Endpoint.objects.filter(site=OuterRef("pk"), is_remote_worker=True)
                .order_by()
                .values("site")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            number_count=count_of(PhoneNumber, site="pk"),
        )
    )
    return {
        "sites": sites,
        "endpoint_total": sum(endpoint_kinds.values()),
        "endpoint_kinds": [
            (label, endpoint_kinds.get(value, 0))
            for value, label in Endpoint.Kind.choices
            if endpoint_kinds.get(value)
        ],
        "remote_workers": remote,
        "number_total": sum(number_status.values()),
        "number_status": [
            (value, label, number_status.get(value, 0)) for value, label in PhoneNumber.Status.choices
        ],
        "toll_free": number_kinds.get(PhoneNumber.Kind.TOLL_FREE, 0),
        "number_purposes": [
            (label, number_purposes.get(value, 0))
            for value, label in PhoneNumber.Purpose.choices
            if number_purposes.get(value)
        ],
        "unassigned_user_dids": unassigned_numbers,
        "seat_total": sum(site.seat_count for site in sites),
    }
