"""Own-fleet deliveries: quoted from the shop's cost per drop, booked at once, returns collected on a route."""
from __future__ import annotations

from ...domain.models import CarrierKind
from ..base import Booking, Capability, ShipmentRequest
from ..builtin import BuiltinCarrier


class OwnFleetAdapter(BuiltinCarrier):
    code = "own_fleet"
    name = "Own fleet"
    kind = CarrierKind.OWN_FLEET
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.TRACK, Capability.CANCEL,
                              Capability.RETURN})
    service = "own_van"
    prefix = "fleet"
    default_price_minor = 600  # the shop's cost per drop; set per account in settings

    async def create_return(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        # A driver collects it on a route: a pickup stop planned by routing.
        return self._booking(request.our_reference)
