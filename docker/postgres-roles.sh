#!/bin/sh
# Run by the postgres image once, when its data volume is first created
# (/docker-entrypoint-initdb.d): the roles of docs/deployment.md#database-roles.
# POSTGRES_USER owns the database and runs the migrations (MIGRATE_DATABASE_URL of the
# web container); web, worker and beat log in as voipmigrate_web, which reaches the tables
# only as voipmigrate_app, the role the row-level security policies bind. Safe to run
# again: each role is created only when missing.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$POSTGRES_APP_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
SELECT 'CREATE ROLE voipmigrate_app NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'voipmigrate_app')\gexec
SELECT format('CREATE ROLE voipmigrate_web LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L',
              :'app_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'voipmigrate_web')\gexec
GRANT voipmigrate_app TO voipmigrate_web;
SQL
