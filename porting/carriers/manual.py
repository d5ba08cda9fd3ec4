"""The manual adapter: today's behaviour, the default. The PM reads the CSR, the FOC, a
rejection and the port's completion from the carrier's emails and portal and records
them by hand; nothing is called. Every operation is refused with that in plain words."""

from .base import CarrierAdapter


class ManualAdapter(CarrierAdapter):
    key = "manual"
    label = "Manual (no carrier API)"
    offers = frozenset()

    def status_kind(self, status):
        return ""
