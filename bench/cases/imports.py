"""Case 2: an inventory of endpoints and numbers through the import service (validate
everything, then bulk inserts with one history row each) against the naive way: each
row `full_clean()`ed and `save()`d with its history row, one by one."""

from __future__ import annotations

import csv
import io

from django.db import transaction

from .. import data
from ..core import Result, seconds, stopwatch

TARGET = 10.0
REASON = "benchmark import"


def naive_import(migration, owner, files: dict[str, str], *, endpoints: int, numbers: int):
    """Row by row, as a first version would: validate the instance, save it (its history
    row is written by the post-save signal). Sites first, all in one transaction."""
    from porting.models import PhoneNumber
    from sites.models import Endpoint, Site
    from tenancy.history import save_with_history

    with transaction.atomic():
        sites = {}
        for row in csv.DictReader(io.StringIO(files["sites"])):
            site = Site(migration=migration, customer=migration.customer, **row)
            site.full_clean()
            sites[row["name"]] = save_with_history(site, by=owner, reason=REASON)
        by_extension = {}
        for row in _rows(files["endpoints"], endpoints):
            endpoint = Endpoint(
                migration=migration,
                site=sites[row.pop("site")],
                is_remote_worker=row.pop("remote_worker") == "yes",
                **row,
            )
            endpoint.full_clean()
            by_extension[endpoint.extension] = save_with_history(endpoint, by=owner,
                                                                 reason=REASON)  # fmt: skip
        for row in _rows(files["numbers"], numbers):
            extension = row.pop("endpoint_extension")
            endpoint = by_extension.get(extension)
            site = sites.get(row.pop("site")) or (endpoint.site if endpoint else None)
            number = PhoneNumber(migration=migration, site=site, endpoint=endpoint, **row)
            number.full_clean()
            save_with_history(number, by=owner, reason=REASON)


def _rows(text, limit):
    for index, row in enumerate(csv.DictReader(io.StringIO(text))):
        if index >= limit:
            return
        yield row


def run(scale, fixtures) -> list[Result]:
    from porting.models import PhoneNumber
    from sites.models import Endpoint

    files = data.inventory_csv(scale.import_endpoints, scale.import_numbers)
    rows = scale.import_endpoints + scale.import_numbers

    org, owner = data.organization("import")
    migration = data.empty_migration(org, owner)
    with stopwatch() as service_elapsed:
        report = data.import_inventory_files(migration, owner, files)
    service_seconds = service_elapsed()
    history = Endpoint.history.filter(migration_id=migration.pk).count()
    history += PhoneNumber.history.filter(migration_id=migration.pk).count()

    naive_org, naive_owner = data.organization("import-naive")
    naive_migration = data.empty_migration(naive_org, naive_owner)
    sample = min(rows, scale.import_baseline_rows)
    half = sample // 2
    with stopwatch() as naive_elapsed:
        naive_import(naive_migration, naive_owner, files, endpoints=half, numbers=sample - half)
    naive_seconds = naive_elapsed() * rows / sample  # per-row cost, scaled to all rows

    ratio = naive_seconds / service_seconds
    created = report.created["endpoints"] + report.created["numbers"]
    measured = "" if sample == rows else f" (timed on {sample:,} rows, scaled)"
    return [
        Result(
            case=f"inventory import, {scale.import_endpoints:,} endpoints + "
            f"{scale.import_numbers:,} numbers",
            figure=f"import service: {seconds(service_seconds)}, "
            f"{rows / service_seconds:,.0f} rows/s",
            baseline=f"row-by-row save(): {seconds(naive_seconds)}{measured}, "
            f"{rows / naive_seconds:,.0f} rows/s",
            ratio=ratio,
            target=f"≥ {TARGET:g}× faster",
            passed=ratio >= TARGET and created == rows and history == rows,
            details=[f"{created:,} rows created with {history:,} history rows, one each"],
            numbers={
                "service_seconds": service_seconds,
                "naive_seconds": naive_seconds,
                "rows": rows,
                "naive_rows_timed": sample,
                "created": created,
                "history": history,
            },
        )
    ]
