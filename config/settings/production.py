"""Production: PostgreSQL and Redis, HTTPS, secrets from the environment only."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Passkeys only on https; links in sign-in emails and SSO redirect URIs say https.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Webhooks never go over plain http or to a private address in production.
WEBHOOK_ALLOW_HTTP = False
WEBHOOK_ALLOW_PRIVATE_TARGETS = False

# A carrier connection's address is the provider's own https host in production, never
# one a tenant types (docs/carriers.md); only the tests' local double needs another.
CARRIER_ALLOW_BASE_URL_OVERRIDE = False
