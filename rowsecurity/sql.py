"""The SQL of the wall: the app role, its privileges and the policies (PostgreSQL only).

Run by the migrations (`rowsecurity.operations.ProtectTables`) as the tables' owner, and
by the test database setup (`install()`), which builds its tables from the models.

The policies read three settings of the session, which `rowsecurity.backend` sets:

- `app.organization_ids`: the organizations in scope, "12,40" (empty: none);
- `app.all_organizations`: "on" for work that spans organizations;
- `app.portal_token_hash`: a portal link's token hash, while that link is looked up.

The tables' owner (who migrates) is not subject to them (no FORCE ROW LEVEL SECURITY);
the app role is: it is neither the owner nor a superuser, and has no BYPASSRLS.
"""

from __future__ import annotations

from django.conf import settings

from .registry import Table

POLICY = "rowsecurity_organization"
TOKEN_POLICY = "rowsecurity_portal_token"  # noqa: S105 (a policy name)

# Each setting is read in a scalar subquery, which PostgreSQL evaluates once per query
# (an InitPlan) rather than once per row: the organizations are then one array parameter,
# compared like a constant (and usable with an index on organization_id). The cast stays
# outside the parentheses: `= ANY ((SELECT ...))` would compare with each row of the
# subquery, not with the elements of the array.
IN_SCOPE = (
    "((SELECT current_setting('app.all_organizations', true)) = 'on' OR organization_id = ANY ("
    "(SELECT string_to_array(NULLIF(current_setting('app.organization_ids', true), ''), ','))"
    "::bigint[]))"
)


def app_role() -> str:
    return getattr(settings, "DATABASE_APP_ROLE", "voipmigrate_app")


def _q(schema_editor, name: str) -> str:
    return schema_editor.connection.ops.quote_name(name)


def _execute(schema_editor, sql: str, params=None) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)


def ensure_role(schema_editor) -> None:
    """The app role: created when missing (NOLOGIN; logins are granted it), and given
    the ordinary privileges on every table and sequence, now and later."""
    role = _q(schema_editor, app_role())
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role()])
        exists = cursor.fetchone() is not None
        cursor.execute("SELECT current_schema()")
        schema = _q(schema_editor, cursor.fetchone()[0])
    if not exists:
        # Concurrent creators (parallel test databases) race on the catalog: either wins.
        _execute(
            schema_editor,
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        )
    for statement in (
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    ):
        _execute(schema_editor, statement)


def _condition(schema_editor, table: Table) -> str:
    if not table.parent_table:
        return IN_SCOPE
    # The parent row must be visible, and the parent's own policy decides that.
    return (
        f"EXISTS (SELECT 1 FROM {_q(schema_editor, table.parent_table)} AS parent "  # noqa: S608
        f"WHERE parent.{_q(schema_editor, table.parent_column)} = "
        f"{_q(schema_editor, table.name)}.{_q(schema_editor, table.column)})"
    )


def protect(schema_editor, table: Table) -> None:
    name = _q(schema_editor, table.name)
    condition = _condition(schema_editor, table)
    _execute(schema_editor, f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
    _execute(schema_editor, f"DROP POLICY IF EXISTS {POLICY} ON {name}")
    _execute(
        schema_editor,
        f"CREATE POLICY {POLICY} ON {name} USING ({condition}) WITH CHECK ({condition})",
    )
    if table.token:
        _execute(schema_editor, f"DROP POLICY IF EXISTS {TOKEN_POLICY} ON {name}")
        _execute(
            schema_editor,
            f"CREATE POLICY {TOKEN_POLICY} ON {name} FOR SELECT USING "
            "(token_hash = (SELECT NULLIF(current_setting('app.portal_token_hash', true), '')))",
        )


def unprotect(schema_editor, table: Table) -> None:
    name = _q(schema_editor, table.name)
    _execute(schema_editor, f"DROP POLICY IF EXISTS {POLICY} ON {name}")
    _execute(schema_editor, f"DROP POLICY IF EXISTS {TOKEN_POLICY} ON {name}")
    _execute(schema_editor, f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")


def migrated_tables() -> list[Table]:
    """The tables rowsecurity's migrations protect, read from the migration files (also
    when the test run disables migrations)."""
    import importlib
    import pkgutil

    from . import migrations
    from .operations import ProtectTables

    tables: set[Table] = set()
    for module_info in sorted(pkgutil.iter_modules(migrations.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{migrations.__name__}.{module_info.name}")
        for operation in getattr(module.Migration, "operations", []):
            if isinstance(operation, ProtectTables):
                tables.update(operation.table_specs())
    return sorted(tables)


def install(connection) -> None:
    """The test database (built from the models, not by migrating): the role, its
    privileges and exactly the policies rowsecurity's migrations create."""
    existing = set(connection.introspection.table_names())
    with connection.schema_editor(atomic=True) as schema_editor:
        ensure_role(schema_editor)
        for table in migrated_tables():
            if table.name in existing:  # a later migration may have dropped it
                protect(schema_editor, table)
