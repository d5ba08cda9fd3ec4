"""Behind a proxy, each client keeps its own address: the deployment sets
TRUSTED_PROXY_COUNT (compose file, env example, the guide), and `check --deploy` warns
when production runs without it, telling "not set" from an explicit 0."""

import re

import pytest
import yaml
from django.conf import settings
from django.test import RequestFactory, override_settings

from tenancy.portal import client_ip, rate_limited
from tenancy.system_checks import trusted_proxy_count_is_set

from .test_deploy_checks import REPO, _dotenv_defines, _manage, _production_env

PROXY = "10.0.0.5"


def _request(client_address):
    return RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{client_address}"
    )  # fmt: skip


def test_the_check_warns_when_unset_and_passes_an_explicit_zero_or_more():
    with override_settings(TRUSTED_PROXY_COUNT=None):
        (warning,) = trusted_proxy_count_is_set()
        assert warning.id == "tenancy.W001" and "docs/deployment.md" in warning.hint
    for value in (0, 1, 2):
        with override_settings(TRUSTED_PROXY_COUNT=value):
            assert trusted_proxy_count_is_set() == []
    with override_settings(TRUSTED_PROXY_COUNT=-1):
        assert trusted_proxy_count_is_set()[0].id == "tenancy.E001"


@pytest.mark.slow
def test_check_deploy_warns_without_the_variable_and_not_with_zero():
    if _dotenv_defines("TRUSTED_PROXY_COUNT"):
        pytest.skip("the repository's .env sets TRUSTED_PROXY_COUNT")
    unset = _manage("check", "--deploy", env=_production_env(TRUSTED_PROXY_COUNT=None))
    assert "tenancy.W001" in unset.stderr + unset.stdout
    assert "TRUSTED_PROXY_COUNT is not set" in unset.stderr + unset.stdout
    zero = _manage("check", "--deploy", env=_production_env(TRUSTED_PROXY_COUNT="0"))
    assert zero.returncode == 0, zero.stderr + zero.stdout
    assert "tenancy.W001" not in zero.stderr + zero.stdout  # an explicit 0 is a decision


def test_unset_counts_as_no_proxy():
    with override_settings(TRUSTED_PROXY_COUNT=None):
        assert client_ip(_request("198.51.100.9")) == PROXY


@pytest.mark.django_db
def test_behind_the_proxy_one_clients_guesses_do_not_limit_another(settings):
    """Defect 5 of issue 18: 61 guesses from one client gave another signer a 429."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "trusted-proxies"}}  # fmt: skip
    guesser, signer = _request("198.51.100.66"), _request("203.0.113.20")
    assert client_ip(guesser) == "198.51.100.66" and client_ip(signer) == "203.0.113.20"
    results = [rate_limited(guesser, "portal", 60) for _ in range(61)]
    assert results[-1] is True
    assert rate_limited(signer, "portal", 60) is False
    # A client cannot pick its address: only the proxy's entry (the last) counts.
    spoofed = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20, 198.51.100.66"
    )  # fmt: skip
    assert client_ip(spoofed) == "198.51.100.66"


def test_the_deployment_sets_it():
    compose = yaml.safe_load((REPO / "docker" / "compose.yaml").read_text())
    for name in ("web", "worker", "beat"):
        value = compose["services"][name]["environment"]["TRUSTED_PROXY_COUNT"]
        assert value.startswith("${TRUSTED_PROXY_COUNT:?"), (name, value)  # required
    example = (REPO / "docker" / "env.example").read_text()
    assert re.search(r"^TRUSTED_PROXY_COUNT=1$", example, re.M)
    guide = (REPO / "docs" / "deployment.md").read_text()
    assert "TRUSTED_PROXY_COUNT" in guide and "tenancy.W001" in guide
    makefile = (REPO / "Makefile").read_text()
    check_deploy = makefile.split("check-deploy: venv", 1)[1].split("\n\n", 1)[0]
    assert "TRUSTED_PROXY_COUNT=1" in check_deploy
    assert settings.TRUSTED_PROXY_COUNT in (None, 0)  # the test settings: no proxy
