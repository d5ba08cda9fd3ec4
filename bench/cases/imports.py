"""Case 2: an inventory of endpoints and numbers through the import service (validate
everything, then bulk inserts with one history row each) against the naive way (each
row `full_clean()`ed and `save()`d with its history row, one by one) and against its
floor: the same rows put in with plain `bulk_create_with_history` (django-simple-history)
and nothing else: no parsing beyond the CSV reader, no validation, no duplicate checks.
The service and the floor are interleaved; the best of each side's rounds counts."""

from __future__ import annotations

import csv
import io

from django.db import transaction

from .. import data
from ..core import Result, seconds, stopwatch

TARGET = 10.0
FLOOR_TARGET = 1.15  # at most this many times the floor
REASON = "benchmark import"


def floor_import(migration, owner, files: dict[str, str]):
    """What a bulk insert with history costs and nothing more: the CSV rows straight into
    model instances (foreign keys looked up in dicts), `bulk_create_with_history` for each
    model (one history row each, with who and why), in one transaction. The SIP password
    is encrypted by its field, as everywhere. Nothing is validated or normalized."""
    from simple_history.utils import bulk_create_with_history

    from porting.models import PhoneNumber
    from sites.models import Endpoint, Site

    def insert(model, objs):
        return bulk_create_with_history(objs, model, batch_size=1000, default_user=owner,
                                        default_change_reason=REASON)  # fmt: skip

    org = migration.organization
    with transaction.atomic():
        sites = insert(Site, [
            Site(organization=org, customer_id=migration.customer_id, migration=migration,
                 **{**row, "seat_count": int(row["seat_count"])})
            for row in csv.DictReader(io.StringIO(files["sites"]))
        ])  # fmt: skip
        site_ids = {site.name: site.pk for site in sites}
        endpoints = insert(Endpoint, [
            Endpoint(organization=org, migration=migration, site_id=site_ids[row.pop("site")],
                     is_remote_worker=row.pop("remote_worker") == "yes", **row)
            for row in csv.DictReader(io.StringIO(files["endpoints"]))
        ])  # fmt: skip
        extensions = {endpoint.extension: endpoint.pk for endpoint in endpoints}
        numbers = insert(PhoneNumber, [
            PhoneNumber(organization=org, migration=migration, number=row["number"],
                        purpose=row["purpose"], site_id=site_ids.get(row["site"]),
                        endpoint_id=extensions.get(row["endpoint_extension"]))
            for row in csv.DictReader(io.StringIO(files["numbers"]))
        ])  # fmt: skip
    return len(endpoints) + len(numbers)


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

    service_runs, floor_runs, floor_rows, migration, report = [], [], 0, None, None

    def service():
        nonlocal migration, report
        org, owner = data.organization("import")
        migration = data.empty_migration(org, owner)
        with stopwatch() as elapsed:
            report = data.import_inventory_files(migration, owner, files)
        service_runs.append(elapsed())

    def floor():
        nonlocal floor_rows
        org, owner = data.organization("import-floor")
        floor_migration = data.empty_migration(org, owner)
        with stopwatch() as elapsed:
            floor_rows = floor_import(floor_migration, owner, files)
        floor_runs.append(elapsed())

    for round_number in range(scale.import_rounds):  # each side first in turn
        for side in (service, floor) if round_number % 2 == 0 else (floor, service):
            side()
    service_seconds, floor_seconds = min(service_runs), min(floor_runs)
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
    case = f"{scale.import_endpoints:,} endpoints + {scale.import_numbers:,} numbers"
    floor_ratio = service_seconds / floor_seconds
    rounds = f"best of {scale.import_rounds} interleaved round(s) each: service " + \
        ", ".join(seconds(t) for t in service_runs) + "; floor " + \
        ", ".join(seconds(t) for t in floor_runs)  # fmt: skip
    return [
        Result(
            case=f"inventory import, {case}",
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
        ),
        Result(
            case=f"inventory import against plain bulk_create with history, {case}",
            figure=f"import service (every check): {seconds(service_seconds)}",
            baseline=f"bulk_create_with_history, no checks: {seconds(floor_seconds)}",
            ratio=floor_ratio,
            target=f"≤ {FLOOR_TARGET:g}× the floor",
            passed=floor_ratio <= FLOOR_TARGET and floor_rows == rows,
            details=[rounds],
            numbers={
                "service_seconds": service_seconds,
                "floor_seconds": floor_seconds,
                "service_all": service_runs,
                "floor_all": floor_runs,
            },
        ),
    ]
