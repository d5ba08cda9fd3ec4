"""Django's PostgreSQL backend, keeping each session in line with the scope.

Before a query, when the session's role and settings differ from what the current scope
asks (`rowsecurity.scope`), one statement sets them: the role (the app role inside a
scope, the login role outside) and the settings the policies read. The session keeps
them, so a request pays one statement, not one per query. A rollback (of a transaction or
to a savepoint) may undo such a statement, so after one the state counts as unknown and
is set again before the next query.

`ROW_SECURITY = False` turns this off (the policies stay in the database: then connect as
the tables' owner, whom they do not bind)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.backends.postgresql import base

from .. import scope as scopes
from ..sql import app_role

logger = logging.getLogger("rowsecurity")

SET_STATE = (
    "SELECT set_config('role', %s, false), set_config('app.organization_ids', %s, false), "
    "set_config('app.all_organizations', %s, false), "
    "set_config('app.portal_token_hash', %s, false)"
)
# Outside any scope: the login role, no organization.
OUTSIDE = ("none", "", "", "")


def wanted_state() -> tuple[str, str, str, str]:
    if not getattr(settings, "ROW_SECURITY", True):
        return OUTSIDE
    scope = scopes.current_scope()
    if scope is None:
        return OUTSIDE
    if scope.kind == "all":
        return (app_role(), "", "on", "")
    ids = ",".join(str(pk) for pk in scope.organizations)
    return (app_role(), ids, "", scope.token_hash)


# Savepoint commands need no scope, and one may follow an error, when no other statement
# would run.
TRANSACTION_CONTROL = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


def bring_in_line(execute, sql, params, many, context):
    db = context["connection"]
    wanted = wanted_state()
    if db.rowsecurity_state != wanted and not (
        isinstance(sql, str) and sql.startswith(TRANSACTION_CONTROL)
    ):
        # The raw connection: not through Django's cursor (no query logged or counted,
        # and never a server-side cursor, which could not run it).
        with db.connection.cursor() as cursor:
            cursor.execute(SET_STATE, wanted)
        db.rowsecurity_state = wanted
        logger.debug("session scope: role %s, organizations %r, all %r", *wanted[:3])
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rowsecurity_state = None
        # First, so that wrappers others push and pop around it keep their order.
        self.execute_wrappers.insert(0, bring_in_line)

    def init_connection_state(self):
        super().init_connection_state()
        # A new session runs as its login role with no organization set; one from a pool
        # may still carry its last user's.
        self.rowsecurity_state = None if self.pool else OUTSIDE

    def _rollback(self):
        super()._rollback()
        self.rowsecurity_state = None

    def _savepoint_rollback(self, sid):
        super()._savepoint_rollback(sid)
        self.rowsecurity_state = None

    def _close(self):
        self.rowsecurity_state = None
        super()._close()
