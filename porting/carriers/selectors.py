"""What the pages show of the carrier connections (reads)."""

from ..models import CarrierConnection, CarrierEvent, CarrierExchange
from .base import Operation
from .registry import adapter_for
from .services import active_connections


def order_carrier(order, *, user=None) -> dict:
    """The order page's carrier part: its connection, what the adapter offers, the
    exchange log, flagged events, notes."""
    connection = order.connection
    bound = adapter_for(connection)
    return {
        "carrier_connection": connection,
        "carrier_offers": {op.value for op in Operation if bound.offered(op)},
        "carrier_label": bound.label,
        "carrier_exchanges": list(order.exchanges.order_by("-at", "-pk")[:50]),
        "carrier_events": list(order.carrier_events.order_by("-received_at", "-pk")[:50]),
        "carrier_flagged": [
            e
            for e in order.carrier_events.filter(
                status=CarrierEvent.Status.FLAGGED, dismissed_at=None
            )
        ],
        "order_notes": list(order.notes.order_by("-created_at", "-pk")[:100]),
        "carrier_connections": active_connections(order.organization),
    }


def connection_rows(organization):
    return list(CarrierConnection.objects.filter(organization=organization).order_by("name", "pk"))


def connection_page(connection) -> dict:
    return {
        "exchanges": list(
            CarrierExchange.objects.filter(connection=connection)
            .select_related("port_order", "carrier_account")
            .order_by("-at", "-pk")[:50]
        ),
        "events": list(
            connection.events.select_related("port_order").order_by("-received_at")[:50]
        ),
    }


def activation_offered(order) -> bool:
    """Whether the port-day step may ask the provider to activate this order now: its
    connection's adapter offers on-demand activation, the provider has the order, and it
    awaits its port (no query when the order's connection is loaded)."""
    if not order.connection_id or not order.provider_order_id:
        return False
    if order.state not in (order.State.FOC_RECEIVED, order.State.PORT_DAY):
        return False
    return adapter_for(order.connection).offered(Operation.ACTIVATE)
