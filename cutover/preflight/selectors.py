"""Per-endpoint pre-flight: the checks a technician records, the three external test calls
from different outside lines, the status rollup and the go/no-go summary
(docs/cutover-preflight.md).

Never the SIP password: nothing here reads `Endpoint.sip_password`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from cutover.models import Preflight
from porting.models import TEST_CALLS_REQUIRED


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    how: str


# The checks, in the order the technician walks them (and the printed page lists them).
CHECKS: tuple[Check, ...] = (
    Check("mac", "MAC matches the label", "The MAC on the phone's label is the one staged."),
    Check("registration", "Registered", "The phone shows registered; the line key is not red."),
    Check(
        "firmware", "Firmware matches the target", "Settings › Status shows the target firmware."
    ),
    Check("e911", "E911 location shown", "The phone shows (or the portal lists) the location."),
    Check("poe", "PoE", "Powered from the switch port (no brick), link up."),
    Check("voicemail", "Voicemail", "Message left and retrieved; greeting recorded."),
)


CHECK_CODES = tuple(check.code for check in CHECKS)


CALLS = TEST_CALLS_REQUIRED  # three external test calls, like porting's post-port calls


Status = Preflight.Status


def passing_lines(test_calls) -> set[str]:
    """The distinct outside lines the passing test calls came from."""
    return {
        str(call.get("line", "")).strip()
        for call in test_calls or []
        if call.get("result") == "pass" and str(call.get("line", "")).strip()
    }


def call_problem(test_calls) -> str:
    """Why the test calls do not pass yet ("" when they do)."""
    lines = passing_lines(test_calls)
    if len(lines) >= CALLS:
        return ""
    passing = [c for c in test_calls or [] if c.get("result") == "pass"]
    if len(passing) > len(lines):
        return (
            f"{len(lines)} different outside line(s) among {len(passing)} passing calls: "
            f"{CALLS} calls from {CALLS} different outside lines are needed."
        )
    return f"{len(lines)} of {CALLS} passing calls from different outside lines."


def rollup(checks: dict, test_calls: list, signed: bool) -> str:
    """The checklist's status. Failed when any check or call failed; passed only when every
    check passed, three calls passed from three different outside lines, and it is
    signed; not started when nothing is recorded; in progress otherwise."""
    checks = checks or {}
    test_calls = test_calls or []
    results = [checks.get(code, {}).get("ok") for code in CHECK_CODES]
    if any(ok is False for ok in results) or any(c.get("result") == "fail" for c in test_calls):
        return Status.FAILED
    if all(ok is True for ok in results) and len(passing_lines(test_calls)) >= CALLS and signed:
        return Status.PASSED
    recorded = any(ok is not None for ok in results) or any(c.get("result") for c in test_calls)
    if not recorded and not signed:
        return Status.NOT_STARTED
    return Status.IN_PROGRESS


def sign_refusal(checks: dict, test_calls: list) -> str:
    """Why the checklist cannot be signed yet ("" when it can): every check and all
    three calls must have a result (pass or fail) first."""
    missing = [c.title for c in CHECKS if (checks or {}).get(c.code, {}).get("ok") is None]
    if missing:
        return "Record every check before signing; missing: " + ", ".join(missing) + "."
    recorded = [c for c in test_calls or [] if c.get("result") in ("pass", "fail")]
    if len(recorded) < CALLS:
        return f"Record all {CALLS} test calls before signing."
    return ""


def status_of(endpoint) -> str:
    preflight = getattr(endpoint, "preflight", None)
    return preflight.status if preflight is not None else Status.NOT_STARTED


def _preflight_or_none(endpoint):
    try:
        return endpoint.preflight
    except Preflight.DoesNotExist:
        return None


@dataclass
class PreflightSummary:
    counts: dict  # status -> n, every status present
    total: int
    # Endpoints not passed (with .preflight_status), the first `limit` of them when the
    # caller gave one; `not_passed_count` counts them all.
    not_passed: list = field(default_factory=list)
    not_passed_count: int = 0

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and not self.not_passed_count


def preflight_summary(migration, site=None, *, limit: int | None = None) -> PreflightSummary:
    """Counts by status (counted by the database) and the endpoints not passed: all of
    them, or the first `limit` (0: none, one query in all). Two queries, whatever the
    migration's size."""
    endpoints = migration.endpoints.all()
    if site is not None:
        endpoints = endpoints.filter(site=site)
    counts = {value: 0 for value in Status.values}
    for status, n in endpoints.values_list("preflight__status").annotate(n=Count("pk")):
        counts[status or Status.NOT_STARTED] += n
    total = sum(counts.values())
    not_passed_count = total - counts[Status.PASSED]
    not_passed = []
    if not_passed_count and limit != 0:
        rows = not_passed_endpoints(migration, site)
        not_passed = with_status(rows[:limit] if limit else rows)
    return PreflightSummary(counts=counts, total=total, not_passed=not_passed,
                            not_passed_count=not_passed_count)  # fmt: skip


def not_passed_endpoints(migration, site=None):
    """The endpoints whose checklist has not passed, in print order (site, extension),
    with their site and checklist; never the SIP password."""
    endpoints = migration.endpoints.exclude(preflight__status=Status.PASSED)
    if site is not None:
        endpoints = endpoints.filter(site=site)
    return (
        endpoints.select_related("site", "preflight")
        .defer("sip_password")
        .order_by("site__name", "extension", "pk")
    )


def with_status(endpoints) -> list:
    """`endpoints` as a list, each with `.preflight_status` and its display."""
    listed = []
    for endpoint in endpoints:
        status = status_of(endpoint)
        endpoint.preflight_status = status
        endpoint.preflight_status_display = Status(status).label
        listed.append(endpoint)
    return listed
