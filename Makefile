# The two commands: `make demo` (try it) and `make test` (everything CI checks).
# Both create .venv with `python3 -m venv` and install the project into it, again only
# when pyproject.toml has changed (its hash is kept in $(VENV)/.installed-pyproject).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.ONESHELL:

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-pyproject
PORT ?= 8000
PYTEST_ARGS ?=
# Parallel test processes: twice the cores, since many tests wait on a browser, a worker
# or a subprocess rather than the CPU (docs/testing.md).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))

.PHONY: help venv demo demo-dirs demo-db demo-data test system-packages lint check-migrations \
	check-deploy pytest bench

help:
	@echo "make demo   set up .venv and SQLite, load demo data, run web + Celery worker + beat"
	@echo "            on http://127.0.0.1:$(PORT)/ (PORT=... to change; DATABASE_URL / REDIS_URL"
	@echo "            switch to PostgreSQL / Redis)"
	@echo "make test   ruff, import layers, migrations check, deploy check, pytest"
	@echo "make bench  the benchmarks on PostgreSQL and Redis (docs/performance.md; about 4 min)"

venv:
	@if [ ! -x "$(PY)" ]; then
	  echo "==> Creating $(VENV) with $(PYTHON)"
	  $(PYTHON) -m venv "$(VENV)"
	fi
	want="$$(sha256sum pyproject.toml | cut -d' ' -f1)"
	have="$$(cat "$(STAMP)" 2>/dev/null || true)"
	if [ "$$want" != "$$have" ]; then
	  echo "==> Installing the project into $(VENV) (pyproject.toml is new or changed)"
	  "$(PY)" -m pip install --disable-pip-version-check -e '.[dev]'
	  echo "$$want" > "$(STAMP)"
	fi

# Directories the filesystem broker, beat and uploads need before anything starts.
demo-dirs:
	@broker="$${CELERY_FILESYSTEM_BROKER_DIR:-var/celery-broker}"
	schedule="$${CELERY_BEAT_SCHEDULE_FILENAME:-var/celerybeat-schedule}"
	mkdir -p "$$broker/queue" "$$broker/processed" "$$broker/control" \
	  "$$(dirname "$$schedule")" "$${MEDIA_ROOT:-var/media}"

# With DATABASE_URL on PostgreSQL, create the database when it does not exist yet.
demo-db: venv
	@# (make strips leading whitespace from recipe lines, so the Python keeps its
	# indentation behind a "|" that sed removes)
	sed 's/^|//' <<'PY' | "$(PY)" -
	|import os
	|import django
	|os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
	|django.setup()
	|from django.db import OperationalError, connection
	|if connection.vendor == "postgresql":
	|    try:
	|        connection.ensure_connection()
	|    except OperationalError as exc:
	|        if "does not exist" not in str(exc):
	|            raise
	|        name = connection.settings_dict["NAME"]
	|        with connection._nodb_cursor() as cursor:
	|            cursor.execute("CREATE DATABASE " + connection.ops.quote_name(name))
	|        print("==> Created PostgreSQL database " + name)
	PY

demo-data: venv demo-dirs demo-db
	@echo "==> Applying migrations"
	"$(PY)" manage.py migrate --noinput
	echo "==> Loading demo data"
	"$(PY)" manage.py load_demo --base-url "http://127.0.0.1:$(PORT)"

demo: demo-data
	@echo "==> Starting web, Celery worker and Celery beat (Ctrl-C stops all three)"
	PATH="$(BIN):$$PATH" exec "$(BIN)/honcho" --procfile Procfile.demo start --port "$(PORT)"

lint: venv
	@echo "==> ruff check"
	"$(BIN)/ruff" check .
	echo "==> ruff format --check"
	"$(BIN)/ruff" format --check .
	echo "==> lint-imports (the layers of docs/architecture.md)"
	"$(BIN)/lint-imports"

check-migrations: venv
	@echo "==> makemigrations --check"
	"$(PY)" manage.py makemigrations --check --dry-run

# Production settings with throwaway secrets: any deploy warning fails the build. As in
# docker/compose.yaml, behind one TLS proxy (TRUSTED_PROXY_COUNT=1; unset, the check warns).
check-deploy: venv
	@echo "==> check --deploy (production settings)"
	secret="$$("$(PY)" -c 'import secrets; print(secrets.token_urlsafe(64))')"
	fernet="$$("$(PY)" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY="$$secret" \
	  FIELD_ENCRYPTION_KEYS="$$fernet" ALLOWED_HOSTS=voipmigrate.example.com \
	  TRUSTED_PROXY_COUNT=1 \
	  "$(PY)" manage.py check --deploy --fail-level WARNING

pytest: venv
	@echo "==> pytest"
	"$(PY)" -m pytest -n "$(PYTEST_WORKERS)" --dist worksteal $(PYTEST_ARGS)

# Debian packages the tests need (Chromium, poppler-utils, wrk, redis-server, Pango, fonts):
# installed when missing, or a stop at once with the command to run (tools/system-packages).
system-packages:
	@bash tools/system-packages

test: system-packages lint check-migrations check-deploy pytest

# Benchmarks (docs/performance.md). Not part of `make test` (tests/test_bench_smoke.py runs
# each case at a tiny size there). PostgreSQL and Redis are required; the defaults are the
# local servers, and the run uses a database of its own (test_<name>), dropped at the end.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/voipmigrate_bench)
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)
BENCH_ARGS ?=

bench: venv system-packages
	@DATABASE_URL="$(BENCH_DATABASE_URL)" REDIS_URL="$(BENCH_REDIS_URL)" \
	  "$(PY)" -m bench $(BENCH_ARGS)
