"""`rowsecurity.W001`: an organization-scoped table that no rowsecurity migration
protects (a new model, or a new many-to-many field). `manage.py rowsecurity
makemigration` writes the migration that does."""

from django.core import checks

from .registry import protected_tables
from .sql import migrated_tables


@checks.register()
def every_scoped_table_has_a_policy(app_configs=None, **kwargs):
    missing = sorted(set(protected_tables()) - set(migrated_tables()))
    if not missing:
        return []
    names = ", ".join(table.name for table in missing)
    return [
        # A warning, so that `makemigrations` for the new model still runs; `check
        # --deploy --fail-level WARNING` and tests/test_row_security.py fail on it.
        checks.Warning(
            f"No row-level security policy for {len(missing)} organization-scoped "
            f"table(s): {names}.",
            hint="Run `manage.py rowsecurity makemigration` and commit the migration it "
            "writes (docs/tenancy-and-roles.md).",
            id="rowsecurity.W001",
        )
    ]


@checks.register(checks.Tags.database, deploy=True)
def the_login_role_is_bound_by_the_policies(app_configs=None, databases=None, **kwargs):
    """`rowsecurity.W002` (`check --deploy --database default`): the web and worker login
    role bypasses the policies outside requests and tasks (docs/deployment.md)."""
    from django.db import connections

    found = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper, r.rolbypassrls, EXISTS (SELECT 1 FROM pg_class c "
                "WHERE c.relowner = r.oid AND c.relrowsecurity) "
                "FROM pg_roles r WHERE r.rolname = session_user"
            )
            superuser, bypass, owner = cursor.fetchone()
        if superuser or bypass or owner:
            why = "a superuser" if superuser else "BYPASSRLS" if bypass else "the tables' owner"
            found.append(
                checks.Warning(
                    f"The database login of {alias!r} is {why}: row-level security binds "
                    "it only inside requests and tasks.",
                    hint="Connect web, worker and beat as a login role that is a member of "
                    "DATABASE_APP_ROLE; migrate as the owner (docs/deployment.md).",
                    id="rowsecurity.W002",
                )
            )
    return found
