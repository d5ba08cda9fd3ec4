"""`manage.py rowsecurity status` lists the protected tables and, on PostgreSQL, whether
each has its policy in the database; `manage.py rowsecurity makemigration` writes the
migration that protects the organization-scoped tables no migration covers yet (a new
model or many-to-many field), depending on every app's latest migration."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.writer import MigrationWriter

from rowsecurity.operations import ProtectTables
from rowsecurity.registry import protected_tables
from rowsecurity.sql import POLICY, migrated_tables


class Command(BaseCommand):
    help = "Row-level security: the protected tables, and the migration for new ones."
    # Its own check (rowsecurity.W001) is what `makemigration` answers.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "makemigration"])
        parser.add_argument("--name", default="row_security", help="The migration's name.")

    def handle(self, *args, action, name, **options):
        if action == "status":
            return self.status()
        return self.makemigration(name)

    def status(self):
        wanted = protected_tables()
        covered = set(migrated_tables())
        in_database = {}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT c.relname, c.relrowsecurity, EXISTS (SELECT 1 FROM pg_policy p "
                    "WHERE p.polrelid = c.oid AND p.polname = %s) FROM pg_class c "
                    "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace",
                    [POLICY],
                )
                in_database = {row[0]: row[1] and row[2] for row in cursor.fetchall()}
        for table in wanted:
            how = f"through {table.parent_table}" if table.parent_table else "organization_id"
            migrated = "migrated" if table in covered else "NO MIGRATION"
            db = (
                ""
                if not in_database
                else (" · policy on" if in_database.get(table.name) else " · NO POLICY")
            )
            self.stdout.write(f"{table.name:50} {how:36} {migrated}{db}")

    def makemigration(self, name):
        missing = sorted(set(protected_tables()) - set(migrated_tables()))
        if not missing:
            self.stdout.write("Every organization-scoped table has its policy migration.")
            return
        loader = MigrationLoader(None, ignore_no_migrations=True)
        if "rowsecurity" not in loader.migrated_apps:
            raise CommandError("Migrations are disabled in these settings.")
        # Only tables the other apps' migrations create: a model without its migration
        # yet waits for `makemigrations` first.
        migrated = {
            model._meta.db_table
            for model in loader.project_state().apps.get_models(include_auto_created=True)
        }
        waiting = [t.name for t in missing if t.name not in migrated]
        if waiting:
            self.stderr.write(
                "Not yet created by any migration (run makemigrations, then this again): "
                + ", ".join(waiting)
            )
        missing = [t for t in missing if t.name in migrated]
        if not missing:
            return
        # After every project app's latest migration (their tables exist by then; tables
        # created later get the app role's privileges by default).
        project = {
            config.label
            for config in apps.get_app_configs()
            if Path(config.path).is_relative_to(settings.BASE_DIR)
            and "site-packages" not in Path(config.path).parts
        }
        leaves = sorted(node for node in loader.graph.leaf_nodes() if node[0] in project)
        own = [number for app, number in leaves if app == "rowsecurity"]
        number = 1 + max((int(n.split("_")[0]) for n in own), default=0)
        migration = Migration(f"{number:04d}_{name}", "rowsecurity")
        migration.dependencies = leaves
        migration.operations = [
            ProtectTables([t.name if t == type(t)(t.name) else list(t.as_tuple()) for t in missing])
        ]
        writer = MigrationWriter(migration)
        with open(writer.path, "w", encoding="utf-8") as handle:
            handle.write(writer.as_string())
        self.stdout.write(f"Wrote {writer.path} ({len(missing)} table(s)).")
