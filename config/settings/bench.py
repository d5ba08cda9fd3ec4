"""Benchmark settings (`make bench`, docs/performance.md): the test settings, except that
mail goes where EMAIL_BACKEND / EMAIL_HOST / EMAIL_PORT say, so that a Celery worker the
benchmarks start sends to their mail server on loopback."""

from .test import *  # noqa: F403

EMAIL_BACKEND = env("EMAIL_BACKEND", default=EMAIL_BACKEND)  # noqa: F405
