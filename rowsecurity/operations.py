"""The migration operation that creates the policies (PostgreSQL only; a no-op elsewhere).

A migration lists its tables explicitly, so that what a release protects can be read in
its migrations. `manage.py rowsecurity makemigration` writes the next one for the tables
no migration covers yet, and the check `rowsecurity.W001` fails until it exists."""

from __future__ import annotations

from django.db.migrations.operations.base import Operation

from . import sql
from .registry import Table


class ProtectTables(Operation):
    reversible = True
    reduces_to_sql = False

    def __init__(self, tables):
        # Each: a table name, or (name, parent_table, parent_column, column, token).
        self.tables = [tuple(t) if isinstance(t, list | tuple) else t for t in tables]

    def table_specs(self) -> list[Table]:
        return [Table(t) if isinstance(t, str) else Table(*t) for t in self.tables]

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.tables], {})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        sql.ensure_role(schema_editor)
        for table in self.table_specs():
            sql.protect(schema_editor, table)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in self.table_specs():
            sql.unprotect(schema_editor, table)

    def describe(self):
        return f"Row-level security on {len(self.tables)} organization-scoped table(s)"

    @property
    def migration_name_fragment(self):
        return "row_security"


class RefreshPolicies(Operation):
    """Create the policies of every table the earlier migrations protect again, from the
    current `rowsecurity.sql` (a change to how a policy is written, not to what it lets
    through). Backwards it does the same: the policies before and after let the same
    rows through."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        existing = set(schema_editor.connection.introspection.table_names())
        for table in sql.migrated_tables():
            if table.name in existing:
                sql.protect(schema_editor, table)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Row-level security policies created again from the current SQL"

    @property
    def migration_name_fragment(self):
        return "refresh_policies"
