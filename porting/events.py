"""What porting tells the organization's other systems (outbound webhooks): the payloads
of its events, built only when an endpoint wants them (docs/webhooks.md)."""

from webhooks.events import EventType
from webhooks.services import emit


def order_payload(order) -> dict:
    return {
        "port_order": {
            "id": order.pk,
            "migration": str(order.migration.uuid),
            "carrier_account": str(order.carrier_account),
            "state": order.state,
            "state_label": order.get_state_display(),
            "foc_at": order.foc_at.isoformat() if order.foc_at else None,
            "foc_timezone": order.foc_timezone,
            "foc_confirmation_number": order.foc_confirmation_number,
            "numbers": sorted(str(n.number) for n in order.numbers.all()),
        }
    }


def order_transitioned(order, *, previous_state: str, previous_foc_at, transition: str, reason=""):
    def data():
        return {**order_payload(order), "previous_state": previous_state,
                "transition": transition}  # fmt: skip

    emit(order.organization_id, EventType.ORDER_STATE_CHANGED, data)
    if transition == "complete":
        emit(order.organization_id, EventType.PORT_COMPLETED, lambda: order_payload(order))
    elif transition == "fail_port":
        emit(order.organization_id, EventType.PORT_FAILED, lambda: order_payload(order))
    elif transition in ("record_foc", "reschedule"):
        foc_changed(order, previous_foc_at=previous_foc_at, reason=reason)


def foc_changed(order, *, previous_foc_at, reason=""):
    def data():
        return {
            **order_payload(order),
            "previous_foc_at": previous_foc_at.isoformat() if previous_foc_at else None,
            "reason": reason,
        }

    emit(order.organization_id, EventType.FOC_CHANGED, data)
