#!/bin/sh
# Entrypoint for the web, worker and beat containers: wait for the database, apply
# migrations when RUN_MIGRATIONS=1 (the web service only, so two containers never race),
# then run the command.
set -eu

python - <<'PY'
import sys
import time

import django
from django.db import connection

django.setup()
for attempt in range(60):
    try:
        connection.ensure_connection()
        break
    except Exception as exc:  # any failure means "not yet"
        print(f"entrypoint: waiting for the database ({exc.__class__.__name__})", flush=True)
        time.sleep(2)
else:
    sys.exit("entrypoint: the database did not answer within 120 s")
PY

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
  echo "entrypoint: applying migrations"
  # As the tables' owner when MIGRATE_DATABASE_URL is set (docs/deployment.md).
  DATABASE_URL="${MIGRATE_DATABASE_URL:-$DATABASE_URL}" python manage.py migrate --noinput
fi

exec "$@"
