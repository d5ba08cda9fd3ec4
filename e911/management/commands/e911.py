"""`manage.py e911 --action readiness --migration-id <uuid> [--json]`: the readiness
report (docs/cli.md). The same selector serves the page and the PDF."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

import rowsecurity
from customers.models import Migration
from e911.readiness.selectors import readiness


class Command(BaseCommand):
    help = "E911 and compliance: the readiness report of a migration, blocking items first."

    def add_arguments(self, parser):
        parser.add_argument("--action", required=True, choices=["readiness"])
        parser.add_argument("--migration-id", required=True, help="The migration's UUID.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        # One migration's organization, and no other's (rowsecurity): the migration is
        # found past the policies by its ID alone, then the command works inside it. An
        # unknown or malformed ID enters no organization, and is reported as before.
        organization_id = rowsecurity.organization_of(Migration, uuid=options["migration_id"])
        with rowsecurity.organization(organization_id):
            return self._handle(*args, **options)

    def _handle(self, *args, **options):
        try:
            migration = Migration.objects.select_related("customer").get(
                uuid=options["migration_id"]
            )
        except (Migration.DoesNotExist, ValidationError, ValueError) as exc:
            raise CommandError(f"No migration with id {options['migration_id']!r}.") from exc
        report = readiness(migration)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        head = (
            self.style.SUCCESS("READY: no blocking items.")
            if report.ready
            else self.style.ERROR(f"NOT READY: {len(report.blocking)} blocking item(s).")
        )
        self.stdout.write(f"{migration.customer} · {migration.name}\n{head}")
        for item in report.ordered():
            line = f"[{item.state.upper():8}] {item.section}: {item.title}"
            if item.detail:
                line += f"\n           {item.detail}"
            self.stdout.write(line)
