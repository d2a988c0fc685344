"""In-store pickup: free, booked at once, handed over at the counter."""
from __future__ import annotations

from ...domain.models import CarrierKind
from ..base import Capability
from ..builtin import BuiltinCarrier


class PickupAdapter(BuiltinCarrier):
    code = "pickup"
    name = "In-store pickup"
    kind = CarrierKind.PICKUP
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.TRACK, Capability.CANCEL})
    service = "collect_in_store"
    prefix = "pickup"
    default_price_minor = 0
