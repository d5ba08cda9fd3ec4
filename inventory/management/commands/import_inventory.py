"""manage.py import_inventory: load sites, endpoints and numbers from CSV into a migration.

A thin shell around inventory.services.import_inventory (the same service the upload page
uses). All or nothing: on any error nothing is written and the command exits 1."""

import json
import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

import rowsecurity
from customers.models import Migration
from inventory.formats import KINDS
from inventory.services import can_import, import_inventory


class Command(BaseCommand):
    help = (
        "Import sites, endpoints and telephone numbers from CSV files into one migration. "
        "All rows are validated first; if any row has an error nothing is imported. "
        "Column formats: docs/csv-formats.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--migration", required=True, help="The migration's UUID.")
        parser.add_argument("--sites", metavar="CSV", help="Sites file.")
        parser.add_argument("--endpoints", metavar="CSV", help="Endpoints file.")
        parser.add_argument("--numbers", metavar="CSV", help="Telephone numbers file.")
        parser.add_argument(
            "--user",
            required=True,
            help="Username of the acting user (owner or project manager of the migration's "
            "organization); recorded in history.",
        )
        parser.add_argument("--reason", default="", help="Reason recorded in history.")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")
        parser.add_argument(
            "--json", action="store_true", help="Print the report as JSON on stdout."
        )

    def handle(self, *args, **options):
        # One migration's organization, and no other's (rowsecurity): the migration is
        # found past the policies by its ID alone, then the command works inside it. An
        # unknown or malformed ID enters no organization, and is reported as before.
        organization_id = rowsecurity.organization_of(Migration, uuid=options["migration"])
        with rowsecurity.organization(organization_id):
            return self._handle(*args, **options)

    def _handle(self, *args, **options):
        migration = self._migration(options["migration"])
        user = self._user(options["user"], migration)
        paths = {kind: options[kind] for kind in KINDS if options[kind]}
        if not paths:
            raise CommandError("Give at least one of --sites, --endpoints, --numbers.")

        files = {}
        try:
            for kind, path in paths.items():
                try:
                    files[kind] = open(path, "rb")  # noqa: SIM115 (closed below)
                except OSError as exc:
                    raise CommandError(f"Cannot read --{kind} {path}: {exc.strerror}.") from exc
            report = import_inventory(
                migration,
                **files,
                by=user,
                reason=options["reason"],
                dry_run=options["dry_run"],
            )
        finally:
            for handle in files.values():
                handle.close()

        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self._print(report, migration, paths)
        if not report.ok:
            raise CommandError(report.summary())

    def _migration(self, value):
        try:
            key = uuid.UUID(value)
        except ValueError:
            raise CommandError(f"--migration {value!r} is not a UUID.") from None
        try:
            return Migration.objects.select_related("organization").get(uuid=key)
        except (Migration.DoesNotExist, ValidationError):
            raise CommandError(f"No migration with ID {value}.") from None

    def _user(self, username, migration):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username}, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user {username!r}.") from None
        if not can_import(user, migration.organization):
            # Same answer for "not a member" and "read-only": the CLI runs with full
            # database access, so this is a guard against mistakes, not a secret.
            raise CommandError(
                f"{username} is not an owner or project manager of "
                f"{migration.organization.name}, so cannot import into this migration."
            )
        return user

    def _print(self, report, migration, paths):
        out = self.stdout
        if report.ok:
            out.write(self.style.SUCCESS(report.summary()) + f" Migration: {migration.name}.")
            for warning in report.warnings:
                out.write(self.style.WARNING(f"warning: {warning.as_line()}"))
            return
        err = self.stderr
        for error in report.errors:
            where = [paths.get(error.file, error.file or "import")]
            if error.row is not None:
                where.append(f"row {error.row}")
            if error.column:
                where.append(f"column {error.column}")
            line = f"{', '.join(where)}: {error.message}"
            if error.value:
                line += f" [value: {error.value}]"
            err.write(line)
        if report.errors_omitted:
            err.write(f"... and {report.errors_omitted} more errors not listed.")
