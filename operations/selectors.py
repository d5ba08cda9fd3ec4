"""Reads for the pages that gather every app: the migration page's inventory summary."""

from django.db.models import Count, Q

from porting.models import PhoneNumber
from sites.models import Endpoint, Site
from tenancy.selectors import count_of


def migration_dashboard(migration):
    """Everything the migration page shows, in three queries whatever the size."""
    endpoint_rows = (
        Endpoint.objects.filter(migration=migration)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"), remote=Count("pk", filter=Q(is_remote_worker=True)))
    )
    endpoint_kinds = {row["kind"]: row["n"] for row in endpoint_rows}
    remote = sum(row["remote"] for row in endpoint_rows)
    number_rows = list(
        PhoneNumber.objects.filter(migration=migration)
        .order_by()
        .values("status", "kind", "purpose")
        .annotate(n=Count("pk"), unassigned=Count("pk", filter=Q(endpoint__isnull=True)))
    )

    def tally(key):
        totals = {}
        for row in number_rows:
            totals[row[key]] = totals.get(row[key], 0) + row["n"]
        return totals

    number_status, number_kinds, number_purposes = tally("status"), tally("kind"), tally("purpose")
    sites = list(
        Site.objects.filter(migration=migration).annotate(
            endpoint_count=count_of(Endpoint, site="pk"),
            remote_count=count_of(Endpoint, site="pk", where={"is_remote_worker": True}),
            number_count=count_of(PhoneNumber, site="pk"),
        )
    )
    return {
        "sites": sites,
        "endpoint_total": sum(endpoint_kinds.values()),
        "endpoint_kinds": [
            (label, endpoint_kinds[value])
            for value, label in Endpoint.Kind.choices
            if endpoint_kinds.get(value)
        ],
        "remote_workers": remote,
        "number_total": sum(number_status.values()),
        "number_status": [
            (value, label, number_status.get(value, 0))
            for value, label in PhoneNumber.Status.choices
        ],
        "toll_free": number_kinds.get(PhoneNumber.Kind.TOLL_FREE, 0),
        "number_purposes": [
            (label, number_purposes[value])
            for value, label in PhoneNumber.Purpose.choices
            if number_purposes.get(value)
        ],
        "unassigned_user_dids": sum(
            row["unassigned"]
            for row in number_rows
            if row["purpose"] == PhoneNumber.Purpose.USER_DID
        ),
        "seat_total": sum(site.seat_count for site in sites),
    }
