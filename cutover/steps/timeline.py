"""The port-day timeline relative to each order's FOC, defined once (docs/domain-rules.md):
the steps generated for each order, each site and each carrier account, and the step
states that count as open, movable and finished."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.models import Step


@dataclass(frozen=True)
class StepSpec:
    code: str
    title: str
    offset_minutes: int


HOUR = 60


DAY = 24 * HOUR


ORDER_STEPS = (
    StepSpec("platform_ready", "Platform fully configured; every user tested on temporary "
             "numbers", -7 * DAY),
    StepSpec("pre_cutover_call", "Pre-cutover call with the customer", -3 * DAY),
    StepSpec("final_review", "Final checklist review; FOC confirmation number on file", -DAY),
    StepSpec("monitoring_open", "Monitoring open; all contacts reachable", -2 * HOUR),
    StepSpec("port", "Numbers port: watch the call log", 0),
    StepSpec("external_calls", "Call every ported number from three external phones", 15),
    StepSpec("health_check", "Health check", 4 * HOUR),
    StepSpec("decommission_trunk", "Decommission the old PSTN trunk (port-back window "
             "closes)", 48 * HOUR),
)  # fmt: skip


SITE_STEP = StepSpec("test_933", "933 test call at the site", 60)


ACCOUNT_STEP = StepSpec("cancel_old_account", "Cancel the old carrier account", 30 * DAY)


OPEN = (Step.Status.PENDING, Step.Status.DUE, Step.Status.OVERDUE)


MOVABLE = (*OPEN, Step.Status.CANCELLED)


FINISHED = (Step.Status.DONE, Step.Status.SKIPPED)
