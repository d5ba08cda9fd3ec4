"""Health page for load balancers, container orchestrators and people on call.

`GET /healthz` answers without a login. It reports whether the database and the cache
answer, and how old the last scheduler heartbeat is (Celery beat enqueues
`tenancy.tasks.record_heartbeat` every minute and a worker writes the row, so a fresh
heartbeat proves that beat, the broker and a worker all run).

The status code depends on the database alone: 200 when it answers, 503 when it does
not. A stale heartbeat or a failing cache is reported in the body but does not take the
web process out of a load balancer (it can still serve pages). Nothing secret is shown:
no host names, no connection strings, no exception messages.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from tenancy import clock

from .models import SchedulerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "beat"
# Beat fires every 60 s; three missed beats mean the scheduler or every worker is down.
HEARTBEAT_STALE_AFTER_SECONDS = 180


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() is not None
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return False


def check_cache() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        ok = cache.get(key) == "ok"
        cache.delete(key)
        return ok
    except Exception:  # any backend error (connection refused, timeout) means "not ok"
        logger.exception("Health check: the cache does not answer")
        return False


def heartbeat_age_seconds() -> float | None:
    """Seconds since the last heartbeat, or None when there has never been one."""
    beat_at = (
        SchedulerHeartbeat.objects.filter(name=HEARTBEAT_NAME)
        .values_list("beat_at", flat=True)
        .first()
    )
    if beat_at is None:
        return None
    return max(0.0, (clock.now() - beat_at).total_seconds())


def collect() -> tuple[dict, int]:
    database_ok = check_database()
    cache_ok = check_cache()
    age = None
    if database_ok:
        try:
            age = heartbeat_age_seconds()
        except DatabaseError:  # e.g. migrations not applied yet
            logger.exception("Health check: cannot read the scheduler heartbeat")
    report = {
        "status": "ok" if database_ok else "error",
        "database": "ok" if database_ok else "error",
        "cache": "ok" if cache_ok else "error",
        "scheduler_heartbeat_age_seconds": None if age is None else round(age, 1),
        "scheduler_heartbeat": (
            "missing" if age is None else ("stale" if age > HEARTBEAT_STALE_AFTER_SECONDS else "ok")
        ),
    }
    return report, 200 if database_ok else 503


@never_cache
@require_safe
def health(request):
    """JSON by default; `?format=text` gives one `key: value` per line."""
    report, status = collect()
    if request.GET.get("format") == "text":
        body = "".join(f"{key}: {'none' if v is None else v}\n" for key, v in report.items())
        return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    return JsonResponse(report, status=status)
