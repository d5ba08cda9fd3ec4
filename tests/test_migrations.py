"""The migrations build the schema from nothing on PostgreSQL.

The other tests build their databases from the models (`--nomigrations`: a migrated
database costs each test process about 13 s), so this test is what runs every migration.
`make test` also runs `makemigrations --check`, which proves the models and the
migrations describe the same schema; the demo smoke test migrates SQLite."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from bench.core import database_url

from .services import shared_database_url_or_unavailable

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.mark.django_db
def test_every_migration_applies_to_an_empty_postgresql_database():
    shared_database_url_or_unavailable()  # PostgreSQL, or skip / fail with the reason
    name = f"test_migrate_{uuid.uuid4().hex[:10]}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        url = database_url({**connection.settings_dict, "NAME": name})
        env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        migrate = _manage(["migrate", "--noinput"], env)
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        # Nothing left to apply (`make test` runs `makemigrations --check` itself).
        plan = _manage(["migrate", "--plan"], env)
        assert "No planned migration operations." in plan.stdout, plan.stdout
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, capture_output=True,
        text=True, timeout=300, env={**os.environ, **env},
    )  # fmt: skip
