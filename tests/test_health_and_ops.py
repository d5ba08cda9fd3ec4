"""The health page, and the operations files staying true to the code (docs, CI, docker)."""

import datetime
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import timezone

from tenancy import health as health_module
from tenancy.health import health
from tenancy.models import SchedulerHeartbeat

REPO = Path(settings.BASE_DIR)

# A tiny URLconf for the tests below, independent of how tenancy/urls.py routes it.
urlpatterns = [path("healthz", health, name="health")]


def _call(method="get", query=""):
    request = getattr(RequestFactory(), method)(f"/healthz{query}")
    return health(request)


def _json(response):
    return json.loads(response.content)


@pytest.mark.dates
@pytest.mark.django_db
def test_health_reports_database_cache_and_missing_heartbeat():
    response = _call()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = _json(response)
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["scheduler_heartbeat"] == "missing"
    assert body["scheduler_heartbeat_age_seconds"] is None


@pytest.mark.dates
@pytest.mark.django_db
def test_health_reports_heartbeat_age_fresh_and_stale():
    SchedulerHeartbeat.objects.create(name="beat", beat_at=timezone.now())
    body = _json(_call())
    assert body["scheduler_heartbeat"] == "ok"
    assert 0 <= body["scheduler_heartbeat_age_seconds"] < 60

    SchedulerHeartbeat.objects.filter(name="beat").update(
        beat_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    response = _call()
    body = _json(response)
    assert response.status_code == 200  # a stale scheduler does not take web out of service
    assert body["scheduler_heartbeat"] == "stale"
    assert 590 <= body["scheduler_heartbeat_age_seconds"] <= 700


@pytest.mark.django_db
def test_health_ignores_other_heartbeat_names():
    SchedulerHeartbeat.objects.create(name="worker-test", beat_at=timezone.now())
    assert _json(_call())["scheduler_heartbeat"] == "missing"


class _BrokenConnection:
    vendor = "broken"

    def cursor(self):
        raise OperationalError("could not connect to server: secret-host:5432 password=hunter2")


@pytest.mark.django_db
def test_health_answers_503_without_leaking_when_database_is_down(monkeypatch):
    monkeypatch.setattr(health_module, "connection", _BrokenConnection())
    response = _call()
    assert response.status_code == 503
    body = _json(response)
    assert body["status"] == "error" and body["database"] == "error"
    assert body["scheduler_heartbeat_age_seconds"] is None
    text = response.content.decode()
    assert "secret-host" not in text and "hunter2" not in text


class _BrokenCache:
    def set(self, *args, **kwargs):
        raise ConnectionError("redis://:s3cr3t@cache.internal:6379/0 refused")

    get = delete = set


@pytest.mark.django_db
def test_health_reports_cache_failure_but_stays_up(monkeypatch):
    monkeypatch.setattr(health_module, "cache", _BrokenCache())
    response = _call()
    assert response.status_code == 200
    assert _json(response)["cache"] == "error"
    assert "s3cr3t" not in response.content.decode()


@pytest.mark.django_db
def test_health_text_format_and_methods():
    response = _call(query="?format=text")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "database: ok" in text and "scheduler_heartbeat: missing" in text
    assert _call(method="head").status_code == 200
    assert _call(method="post").status_code == 405


@pytest.mark.django_db
def test_health_shows_no_settings_secrets():
    text = _call().content.decode()
    for secret in [settings.SECRET_KEY, *settings.FIELD_ENCRYPTION_KEYS]:
        assert secret not in text
    db = settings.DATABASES["default"]
    for value in (db.get("PASSWORD"), db.get("HOST")):
        if value:
            assert value not in text
    if settings.REDIS_URL:
        assert settings.REDIS_URL not in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_health_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_health_is_routed_at_healthz(client):
    url = reverse("health")
    assert url == "/healthz"
    assert client.get(url).status_code == 200


# -- operations files -----------------------------------------------------------------

ENV_CALL = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _env_vars_read_by_settings() -> set[str]:
    names = set()
    for file in (REPO / "config" / "settings").glob("*.py"):
        names |= set(ENV_CALL.findall(file.read_text()))
    return names


def test_settings_doc_lists_every_environment_variable():
    names = _env_vars_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS"} <= names
    doc = (REPO / "docs" / "settings.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"docs/settings.md does not describe: {', '.join(missing)}"


def test_ci_script_starts_services_and_runs_make_test():
    script = REPO / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "REQUIRE_SERVICES=1" in text and "make test" in text
    assert "pg_ctlcluster --skip-systemctl-redirect" in text and "redis-server" in text


def test_makefile_runs_every_check_and_demo_runs_three_processes():
    makefile = (REPO / "Makefile").read_text()
    steps = ["ruff\" check", "format --check", "makemigrations --check --dry-run",
             "check --deploy --fail-level WARNING", "-m pytest", "load_demo", "honcho"]  # fmt: skip
    for step in steps:
        assert step in makefile, step
    assert "-euo pipefail" in makefile
    procfile = (REPO / "Procfile.demo").read_text()
    processes = dict(line.split(":", 1) for line in procfile.splitlines() if line[:1].isalpha())
    assert set(processes) == {"web", "worker", "beat"}
    assert "--pool=" in processes["worker"] and "runserver 127.0.0.1:$PORT" in processes["web"]


def test_compose_file_is_valid_and_complete():
    compose = yaml.safe_load((REPO / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for var in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS",
                    "ALLOWED_HOSTS"):  # fmt: skip
            assert var in env, (name, var)
    assert "gunicorn" in " ".join(services["web"]["command"])
    for name in ("web", "postgres", "redis"):
        assert "healthcheck" in services[name], name


def test_dockerfile_basics():
    text = (REPO / "docker" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim-bookworm" in text
    assert "libpango" in text  # WeasyPrint
    assert "collectstatic" in text
    assert re.search(r"^USER\s+(?!root)\S+", text, re.M)
    entrypoint = REPO / "docker" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK) and "migrate" in entrypoint.read_text()


def test_readme_gives_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "docs/settings.md" in readme and "docs/deployment.md" in readme


def _make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))


def test_readme_names_only_make_targets_and_docs_that_exist():
    readme = (REPO / "README.md").read_text()
    named = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", readme))
    assert named >= {"demo", "test", "bench"}
    assert named <= _make_targets(), named - _make_targets()
    linked = set(re.findall(r"\b(docs/[\w.-]+\.(?:md|png))", readme))
    missing = {path for path in linked if not (REPO / path).is_file()}
    assert missing == set()
    # And every document in docs/ is reachable from the README.
    docs = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert docs - linked == set()


def test_docs_link_only_to_files_that_exist():
    broken = []
    for doc in (REPO / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target or target.startswith("/"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.name} -> {target}")
    assert broken == []


def test_makefile_help_and_docs_agree_on_the_bench_time():
    help_text = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
    minutes = re.search(r"about (\d+) min", help_text.split("make bench")[1]).group(1)
    assert f"about {minutes} minutes" in (REPO / "README.md").read_text()


def test_docs_name_only_source_files_that_exist():
    """A doc that names `app/module.py` points at a file that is there (code moves)."""
    apps = "|".join(p.name for p in REPO.iterdir() if (p / "__init__.py").exists())
    pattern = re.compile(rf"\b(?:{apps})(?:/[a-z_]+)+\.py\b")
    stale = [
        f"{doc.name}: {path}"
        for doc in [*(REPO / "docs").glob("*.md"), REPO / "README.md"]
        for path in pattern.findall(doc.read_text())
        if not (REPO / path).is_file()
    ]
    assert stale == []
