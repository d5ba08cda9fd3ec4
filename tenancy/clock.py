"""The one place the product reads the time.

Every "now" and "today" in the product comes from here (ruff's banned-api rule refuses
`timezone.now`, `datetime.now` and `date.today` elsewhere), so a test that freezes or moves
the clock reaches all of it: views, services, Celery tasks and the processes a test starts.
The database server's own `now()` is never used for a decision (docs/testing.md).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> datetime:
    """The current moment, aware (UTC)."""
    return timezone.now()  # noqa: TID251  (the one allowed use)


def today() -> date:
    """Today's date in the project's time zone (settings.TIME_ZONE, UTC)."""
    return timezone.localdate(now())  # noqa: TID251


def local_today(zone: str | ZoneInfo) -> date:
    """Today's date where `zone` is (a site's or a carrier's time zone)."""
    return now().astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date()
