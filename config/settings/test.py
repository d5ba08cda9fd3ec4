"""Test settings. DATABASE_URL / REDIS_URL select PostgreSQL and Redis (CI sets both)."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["*"]
FIELD_ENCRYPTION_KEYS = ["b0hTmG8y5gqF2bcvZJ7k3Xq1Wc9vYV2pQm1r0o8sAaE="]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
PORTAL_RATE_LIMIT_PER_MINUTE = 100_000  # tests that need the limit set their own
