"""Kari's Law / 933 background work: alert the PM when a 933 read-back does not match.

Celery's autodiscovery imports `e911.tasks` only: it imports this module for workers
to know the task (see docs/e911-karis-compliance.md)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

import rowsecurity
from e911.models import Test933


@shared_task(name="e911.tasks_karis.alert_933_mismatch")
@rowsecurity.for_row(Test933, "test_id")
def alert_933_mismatch(test_id: int) -> bool:
    """Email the migration's owner that a site's 933 read-back did not match: the site's
    E911 item is open again and the old carrier's record must stay until a test passes."""
    test = (
        Test933.objects.select_related("site__migration__owner", "site__organization")
        .filter(pk=test_id)
        .first()
    )
    if test is None:
        return False
    migration = test.site.migration
    owner = migration.owner
    if owner is None or not owner.email:
        return False
    lines = "\n".join(f"- {d}" for d in test.differences)
    send_mail(
        subject=f"[933 MISMATCH] {migration.name}: {test.site.name}",
        message=(
            f"The 933 test from {test.caller} at {test.site.name} on "
            f"{test.called_at:%Y-%m-%d %H:%M} UTC did not read back what the site's E911 "
            f"record says:\n\n{lines}\n\n"
            f"Expected: {test.expected_address} · {test.expected_callback}\n"
            f"Read back: {test.readback_address} · {test.readback_callback}\n\n"
            "A 911 call from this site could send help to the wrong place. Correct the "
            "winning carrier's E911 record, then test again. Do not remove the old "
            "carrier's E911 record until a 933 test passes.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
    )
    return True
