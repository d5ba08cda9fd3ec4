"""Django system checks of the deployment (`manage.py check --deploy`), registered in
TenancyConfig.ready()."""

from django.conf import settings
from django.core import checks

TRUSTED_PROXY_COUNT_UNSET = checks.Warning(
    "TRUSTED_PROXY_COUNT is not set.",
    hint="Set it to the number of reverse proxies in front of the app that append to "
    "X-Forwarded-For: 1 behind one TLS proxy (docker/compose.yaml), 0 when gunicorn faces "
    "clients itself. Unset, it counts as 0: behind a proxy every client then shares the "
    "proxy's address, so one client's guesses rate-limit and lock out everyone, and "
    "signing records show the proxy's address (docs/deployment.md).",
    id="tenancy.W001",
)


@checks.register(checks.Tags.security, deploy=True)
def trusted_proxy_count_is_set(app_configs=None, **kwargs):
    """Production must say how many proxies it sits behind: unset (None) warns, an
    explicit 0 is a decision and passes; a negative number is an error."""
    value = getattr(settings, "TRUSTED_PROXY_COUNT", None)
    if value is None:
        return [TRUSTED_PROXY_COUNT_UNSET]
    if value < 0:
        return [
            checks.Error(
                f"TRUSTED_PROXY_COUNT is {value}: it counts proxies, 0 or more.",
                id="tenancy.E001",
            )
        ]
    return []
