"""`make test` on a fresh machine: the Debian packages the tests need are found, or
installed, or (without root) asked for at once with the exact command, before any test.

The script is tools/system-packages, the one list; `make test` runs it first and CI's
.ci/run goes through `make test`. Here it runs with a PATH stripped of the tools and as
an unprivileged user, as on a machine where nobody installed them yet."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
SCRIPT = REPO / "tools" / "system-packages"
# What a bare Debian machine with Python and make has on its PATH, and nothing more.
BARE_TOOLS = ("bash", "env", "id", "grep", "make", "ldconfig", "dirname", "sha256sum", "cut")


@pytest.fixture
def bare_dir():
    """A folder another user can read (pytest's tmp_path is private to this one)."""
    path = Path(tempfile.mkdtemp(prefix="fresh-machine-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _bare_path(folder: Path) -> str:
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for tool in BARE_TOOLS:
        found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
        if found:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _as_unprivileged_user(argv, env):
    """Run as `nobody` when the tests run as root (CI); as this user otherwise."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if not runuser:
            pytest.skip("runuser is not installed, so the script cannot run unprivileged")
        argv = [runuser, "-u", "nobody", "--", *argv]
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"]).returncode == 0:
        pytest.skip("this user has password-less sudo: the script would install, not stop")
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_the_one_list_names_every_package_the_tests_use():
    text = SCRIPT.read_text()
    for package in ("chromium", "poppler-utils", "wrk", "redis-server", "libpango-1.0-0",
                    "fonts-dejavu-core"):  # fmt: skip
        assert package in text, package
    assert "tools/system-packages" in (REPO / "Makefile").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci and "apt-get install" not in ci, "one list, in one place"


def test_make_test_without_root_stops_at_once_with_the_command_to_run(bare_dir):
    env = {"PATH": _bare_path(bare_dir), "HOME": str(bare_dir), "LANG": "C.UTF-8"}
    started = time.monotonic()
    result = _as_unprivileged_user(["make", "--no-print-directory", "test"], env)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert elapsed < 30, f"it should stop before any test, not after {elapsed:.0f} s"
    # The missing tools are named, with the command that installs them.
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends" in output
    assert "poppler-utils" in output and "wrk" in output and "redis-server" in output
    # Nothing else ran: no virtualenv, no lint, no pytest.
    assert "ruff" not in output and "pytest" not in output and "Creating" not in output
