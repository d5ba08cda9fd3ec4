"""The event types an organization's systems (PSA, CRM) can subscribe to. A type is
`<resource>.<what happened>`; its payload's `data` is documented in docs/webhooks.md."""

from django.db import models


class EventType(models.TextChoices):
    ORDER_STATE_CHANGED = "port_order.state_changed", "A port order's state changed"
    FOC_CHANGED = "port_order.foc_changed", "An FOC was recorded or changed"
    PORT_COMPLETED = "port_order.completed", "A port completed"
    PORT_FAILED = "port_order.failed", "A port failed"
    LOA_SIGNED = "loa.signed", "An LOA was signed"
    LOA_CORRECTION_REQUESTED = "loa.correction_requested", "An LOA came back with corrections"
    GO_DECIDED = "go_no_go.decided", "A go or no-go decision was made"
    TASK_STUCK = "customer_task.stuck", "A customer flagged a task as stuck"
    READINESS_CHANGED = "readiness.changed", "A migration's readiness changed"
    STEP_DUE = "cutover_step.due", "A cutover step fell due"
    STEP_OVERDUE = "cutover_step.overdue", "A cutover step is overdue"


# Bumped when a payload changes incompatibly; receivers see it in every payload.
PAYLOAD_VERSION = "2026-12-01"
