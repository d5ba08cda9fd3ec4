"""Production settings: Django's deploy checks pass with no warning, and the settings
refuse to start without their secrets."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

REPO = Path(settings.BASE_DIR)
pytestmark = pytest.mark.slow

SECRET_VARS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")


def _production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=os.urandom(48).hex(),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="voipmigrate.example.com",
        TRUSTED_PROXY_COUNT="1",  # behind one TLS proxy, as docker/compose.yaml
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _dotenv_defines(name: str) -> bool:
    """A developer's .env (read by the settings) would supply the variable."""
    dotenv = REPO / ".env"
    if not dotenv.exists():
        return False
    return any(line.strip().startswith(f"{name}=") for line in dotenv.read_text().splitlines())


def test_check_deploy_passes_without_any_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "?:" not in output
    assert "no issues" in output


@pytest.mark.parametrize("missing", SECRET_VARS)
def test_production_settings_refuse_to_start_without_secret(missing):
    if _dotenv_defines(missing):
        pytest.skip(f"the repository's .env sets {missing}")
    result = _manage("check", env=_production_env(**{missing: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_settings_refuse_empty_encryption_keys():
    if _dotenv_defines("FIELD_ENCRYPTION_KEYS"):
        pytest.skip("the repository's .env sets FIELD_ENCRYPTION_KEYS")
    result = _manage("check", env=_production_env(FIELD_ENCRYPTION_KEYS=""))
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_settings_are_hardened():
    result = subprocess.run(
        [sys.executable, "-c",
         "import django, json; from django.conf import settings as s; django.setup(); "
         "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
         "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS]))"],
        cwd=REPO, env=_production_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    debug, session_secure, csrf_secure, ssl_redirect, hsts = json.loads(result.stdout)
    assert debug is False and session_secure and csrf_secure and ssl_redirect
    assert hsts >= 31536000
