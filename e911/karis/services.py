"""Writes of Kari's Law and 933: the direct-dial verification, a 933 test with its
read-back, and removal of the old carrier's E911 record (after a passing 933 test)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from e911.karis.selectors import (
    compare_address,
    compare_callback,
    expected_callback_number,
    expected_parts,
    latest_933_test,
    site_default_location,
)
from e911.karis.tasks import alert_933_mismatch
from e911.locations.services import E911_WRITERS
from e911.models import SiteE911, Test933
from tenancy import clock
from tenancy.enqueue import send_after_commit
from tenancy.history import save_with_history
from tenancy.roles import OWNER_PM, require_role
from tenancy.rules import TransitionRefused


def _as_list(value) -> list[str]:
    """A list of strings from a list or from text separated by commas or new lines."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,\n;]", value)
    return [str(v).strip() for v in value if str(v).strip()]


@transaction.atomic
def record_direct_dial(site, *, by, method, prefixes, emergency_matched_first, recipients,
                       reason=""):  # fmt: skip
    """Record that 911 was verified to work with no prefix at `site` (who, when, how),
    with the dial plan's outside-line prefixes and the on-site notification recipients.
    The items (karis_law_items) judge what was recorded; recording is never refused for
    a bad dial plan, so the record shows what the site really has."""
    require_role(site.organization_id, by, E911_WRITERS, "Recording Kari's Law verification")
    method = (method or "").strip()
    if not method:
        raise ValidationError({"method": "Say how direct dialing was verified."})
    record, _created = SiteE911.objects.select_for_update().get_or_create(site=site)
    record.direct_dial_verified_at = clock.now()
    record.direct_dial_verified_by = by
    record.direct_dial_method = method[:300]
    record.outside_line_prefixes = _as_list(prefixes)
    record.emergency_matched_first = bool(emergency_matched_first)
    record.notification_recipients = _as_list(recipients)
    save_with_history(record, by=by, reason=reason or "Kari's Law: direct dialing verified")
    return record


@transaction.atomic
def record_933_test(site, *, by, caller, called_at, readback_address, readback_callback):
    """Record a 933 test call after the port. Expected: the site's default dispatchable
    location and its main/BTN callback number (expected_callback_number). Compared after
    USPS normalization (case, spacing, punctuation, abbreviations): pass, or mismatch
    with the differences. A mismatch reopens the site's 933 item and emails the
    migration's owner once the transaction commits."""
    require_role(site.organization_id, by, E911_WRITERS, "Recording a 933 test")
    location = site_default_location(site)
    if location is None:
        raise ValidationError("The site has no default dispatchable location to compare the "
                              "read-back with: add one first.")  # fmt: skip
    if not (readback_address or "").strip():
        raise ValidationError({"readback_address": "Type the address the operator read back."})
    number = expected_callback_number(site)
    expected_callback = str(number.number) if number else ""
    expected_address = location.one_line
    differences = compare_address(expected_parts(location), readback_address, expected_address)
    differences += compare_callback(expected_callback, readback_callback)
    result = Test933.Result.MISMATCH if differences else Test933.Result.PASS
    test = Test933(
        site=site, caller=(caller or "")[:40], called_at=called_at or clock.now(),
        readback_address=readback_address.strip()[:300],
        readback_callback=(readback_callback or "").strip()[:40],
        expected_address=expected_address[:300], expected_callback=expected_callback[:40],
        result=result, differences=differences, recorded_by=by,
    )  # fmt: skip
    save_with_history(test, by=by, reason=f"933 test: {result}")
    if result == Test933.Result.MISMATCH:
        send_after_commit(alert_933_mismatch, test.pk)  # broker down: runs here
    return test


@transaction.atomic
def remove_old_e911_record(site, *, by, reason=""):
    """Record that the old carrier's E911 record for the site was removed: only after
    the site's latest 933 test passed (until then it is the only working record)."""
    require_role(site.organization_id, by, OWNER_PM, "Removing the old carrier's E911 record")
    test = latest_933_test(site)
    if test is None or test.result != Test933.Result.PASS:
        raise TransitionRefused(
            "933_test_passed",
            "The old carrier's E911 record is removed only after the site's 933 test "
            + ("passed: the latest test was a mismatch." if test else "passed: none yet."),
        )
    record, _created = SiteE911.objects.select_for_update().get_or_create(site=site)
    if record.old_record_removed_at is None:
        record.old_record_removed_at = clock.now()
        record.old_record_removed_by = by
        save_with_history(
            record, by=by, reason=reason or f"old carrier's E911 record removed (933 #{test.pk})"
        )
    return record
