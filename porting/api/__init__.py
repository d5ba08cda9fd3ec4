"""The porting REST API: numbers, carrier accounts, port orders (routes in
config/api_urls.py)."""

from .accounts import CarrierAccountViewSet
from .carriers import CarrierConnectionViewSet
from .numbers import PhoneNumberViewSet
from .orders import PortOrderViewSet

__all__ = [
    "CarrierAccountViewSet",
    "CarrierConnectionViewSet",
    "PhoneNumberViewSet",
    "PortOrderViewSet",
]
