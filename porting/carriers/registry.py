"""Which adapter serves a connection: one entry per provider (docs/carriers.md). A new
provider is one module implementing `base.CarrierAdapter` and one line here; nothing in
the services, the models or the pages changes."""

from __future__ import annotations

from .base import CarrierAdapter
from .manual import ManualAdapter
from .telnyx import TelnyxAdapter

MANUAL = "manual"
ADAPTERS: dict[str, type[CarrierAdapter]] = {
    MANUAL: ManualAdapter,
    TelnyxAdapter.key: TelnyxAdapter,
}
PROVIDER_CHOICES = [(key, cls.label) for key, cls in ADAPTERS.items()]


def adapter_class(provider: str) -> type[CarrierAdapter]:
    return ADAPTERS.get(provider or MANUAL, ManualAdapter)


def adapter_for(connection, *, log=None) -> CarrierAdapter:
    """The adapter bound to `connection` (None: the manual adapter)."""
    if connection is None:
        return ManualAdapter(None, log=log)
    return adapter_class(connection.provider)(connection, log=log)
