"""The demo: `load_demo` (fast, in the test database) and `make demo` end to end (slow).

The end-to-end test runs `make demo` exactly as a person would, but on a throwaway
SQLite file, broker folder and beat schedule, so the repository's db.sqlite3 and var/
are left alone. It waits for the login page, proves that the worker consumes tasks from
the filesystem broker and that beat started, then stops everything it started."""

import contextlib
import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import Resolver404, resolve

from bench.processes import free_port
from customers.models import Customer, Migration
from porting.models import PhoneNumber
from porting.numbers import parse_nanp
from sites.models import Endpoint, Site
from tenancy.models import Membership, Organization
from tenancy.roles import Role

REPO = Path(settings.BASE_DIR)


# -- load_demo ------------------------------------------------------------------------


DEMO_PASSWORD = "demo-pass-123"


def _load(password=DEMO_PASSWORD):
    from io import StringIO

    out = StringIO()
    call_command("load_demo", password=password, base_url="http://127.0.0.1:8000", stdout=out)
    return out.getvalue()


def _counts():
    models = [Organization, Membership, get_user_model(), Customer, Migration, Site, Endpoint,
              PhoneNumber]  # fmt: skip
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.dates
@pytest.mark.django_db
def test_load_demo_builds_the_bluebird_migration():
    output = _load()
    org = Organization.objects.get(slug="demo")
    assert org.name == "Demo Integrator"
    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password("demo-pass-123")
    assert Membership.objects.get(user=demo, organization=org).role == Role.OWNER
    assert Membership.objects.get(user__username="tech", organization=org).role == Role.TECHNICIAN
    # A second organization, so the switcher has something to show.
    assert demo.memberships.count() >= 2

    migration = Migration.objects.get(customer__legal_name="Bluebird Marketing LLC")
    assert migration.organization == org
    sites = list(migration.sites.all())
    assert len(sites) == 3
    assert len({s.address_line1 for s in sites}) == 3
    assert {"America/Denver", "America/Phoenix"} <= {s.timezone for s in sites}
    assert all(not s.normalization_error for s in sites)

    endpoints = migration.endpoints.all()
    assert 55 <= endpoints.count() <= 70
    kinds = set(endpoints.values_list("kind", flat=True))
    assert {"desk_phone", "softphone", "fax", "paging", "conference", "dect"} <= kinds
    remote = endpoints.filter(is_remote_worker=True)
    assert remote.count() >= 20
    assert set(remote.values_list("kind", flat=True)) == {"softphone"}
    desk_phones = endpoints.filter(kind="desk_phone")
    assert desk_phones.exists() and not desk_phones.filter(mac_address="").exists()

    numbers = list(migration.numbers.all())
    for n in numbers:
        parse_nanp(str(n.number))  # every demo number is valid NANP
    area_codes = {str(n.number)[2:5] for n in numbers if n.kind == PhoneNumber.Kind.LOCAL}
    assert {"303", "720"} <= area_codes
    assert sum(n.kind == PhoneNumber.Kind.TOLL_FREE for n in numbers) == 1
    purposes = {n.purpose for n in numbers}
    assert {"main_line", "hunt_pilot", "fax", "alarm", "user_did"} <= purposes

    # Written with history, by the demo user, with the reason.
    assert Endpoint.history.filter(history_change_reason="demo data").count() >= endpoints.count()
    assert PhoneNumber.history.filter(history_change_reason="demo data").exists()
    assert "demo / demo-pass-123" in output
    assert "http://127.0.0.1:8000/accounts/login/" in output


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_never_prints_sip_passwords():
    first_output = _load()
    first = _counts()
    second_output = _load(password="another-pass-456")
    assert _counts() == first
    assert "nothing created" in second_output
    assert get_user_model().objects.get(username="demo").check_password("another-pass-456")
    secrets_ = [e.sip_password for e in Endpoint.objects.all()]
    assert all(secrets_) and len(set(secrets_)) == len(secrets_)
    for secret in secrets_:
        assert secret not in first_output and secret not in second_output


# -- make demo, end to end --------------------------------------------------------------


def _processes_with_marker(marker: str) -> list[int]:
    """Pids of the processes this test started (they inherit the marker variable)."""
    needle = f"VOIPMIGRATE_DEMO_SMOKE={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _signal(pid: int, sig: int, *, group=False):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        (os.killpg if group else os.kill)(pid, sig)


def _stop(proc: subprocess.Popen, marker: str):
    if proc.poll() is None:
        _signal(proc.pid, signal.SIGTERM, group=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    # honcho puts each child in its own process group: end whatever is left, by pid.
    deadline = time.monotonic() + 10
    while (pids := _processes_with_marker(marker)) and time.monotonic() < deadline:
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        time.sleep(0.5)
    for pid in _processes_with_marker(marker):
        _signal(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def _get(url: str, opener=None, timeout=5):
    opener = opener or urllib.request.build_opener()
    with opener.open(url, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _file_state(path: Path):
    return (path.stat().st_size, path.stat().st_mtime_ns) if path.exists() else None


@pytest.mark.slow
def test_make_demo_serves_the_login_page_and_runs_worker_and_beat(tmp_path):
    port = free_port()
    marker = uuid.uuid4().hex
    password = "smoke-" + uuid.uuid4().hex[:10]
    db_file = tmp_path / "demo.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{db_file}",
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat" / "schedule"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PORT=str(port),
        DEMO_PASSWORD=password,
        PYTHONUNBUFFERED="1",
        VOIPMIGRATE_DEMO_SMOKE=marker,
    )
    make = ["make", "--no-print-directory", "demo"]
    if sys.prefix != sys.base_prefix:  # run the demo in this test's own virtualenv
        make.append(f"VENV={sys.prefix}")
    repo_db = REPO / "db.sqlite3"
    repo_db_before = _file_state(repo_db)
    log = tmp_path / "demo.log"
    base = f"http://127.0.0.1:{port}"

    def output():
        return log.read_text(errors="replace")

    with log.open("wb") as out:
        proc = subprocess.Popen(
            make, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        # 1. The login page answers (migrations, demo data and runserver are done). On a
        # fresh clone beside three other test workers on two cores this has taken over
        # two minutes; the wait ends as soon as the page answers.
        deadline = time.monotonic() + 300
        status, body = None, ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"make demo exited with {proc.returncode}:\n{output()[-5000:]}")
            try:
                status, body = _get(f"{base}/accounts/login/")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            except urllib.error.HTTPError as exc:  # e.g. a 500 while templates are missing
                status = exc.code
            time.sleep(1)
        assert status == 200, f"login page never answered 200 (last: {status}):\n{output()[-5000:]}"
        assert re.search(r"<form[^>]*method=.?post", body, re.I), body[:2000]
        # allauth's form: "login" takes a username or an email (docs/accounts.md).
        assert 'name="password"' in body and 'name="login"' in body

        text = output()
        assert f"demo / {password}" in text  # the login is printed
        assert f"{base}/accounts/login/" in text

        # 2. Worker and beat both started (honcho prefixes each line with the process).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = output()
            if re.search(r"worker\.1 .*ready\.", text) and re.search(r"beat\.1 .*Starting", text):
                break
            time.sleep(1)
        assert re.search(r"worker\.1 .*ready\.", text), text[-5000:]
        assert re.search(r"beat\.1 .*beat: Starting", text), text[-5000:]

        # 3. The worker consumes from the filesystem broker and writes to the demo database.
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c",
             "from tenancy.tasks import record_heartbeat; record_heartbeat.delay('smoke')"],
            cwd=REPO, env=env, check=True, timeout=60, capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline and not rows:
            with contextlib.closing(sqlite3.connect(db_file, timeout=10)) as conn:
                rows = conn.execute(
                    "SELECT name FROM tenancy_schedulerheartbeat WHERE name = 'smoke'"
                ).fetchall()
            time.sleep(0.5)
        assert rows, f"the worker did not run the task:\n{output()[-5000:]}"

        # 4. The printed login works.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        _get(f"{base}/accounts/login/", opener)  # sets the CSRF cookie
        token = next(c.value for c in jar if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"username": "demo", "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        login_url = f"{base}/accounts/login/"
        request = urllib.request.Request(login_url, data=data, headers={"Referer": login_url})
        try:
            status = opener.open(request, timeout=10).status
            location = ""
        except urllib.error.HTTPError as exc:
            status, location = exc.code, exc.headers.get("Location", "")
        assert status == 302 and "login" not in location, (status, location)

        # 5. The health page, once it is routed (tenancy/urls.py), reports the database.
        try:
            resolve("/healthz")
            routed = True
        except Resolver404:
            routed = False
        if routed:
            status, body = _get(f"{base}/healthz")
            assert status == 200 and '"database": "ok"' in body
    finally:
        _stop(proc, marker)
    assert not _processes_with_marker(marker), "demo processes outlived the test"
    assert _file_state(repo_db) == repo_db_before, "make demo touched the repository's db.sqlite3"
