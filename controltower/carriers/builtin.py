"""What the two built-in carriers (own fleet, in-store pickup) share: no network, bookings derived from our reference."""
from __future__ import annotations

from ..domain import Money, Quote
from ..domain.timeutil import utcnow
from .base import Booking, CancelResult, CarrierAdapter, ConnectionResult, ShipmentRequest


class BuiltinCarrier(CarrierAdapter):
    """A carrier that is us: quotes from settings, bookings that exist as soon as we say so.

    Booking ids are derived from our reference, so booking twice gives the same booking (idempotent)
    and `find_booking_by_reference` needs no memory. Status changes come from routing and the
    driver's stops (own fleet) or the counter (pickup), not from `track`.
    """

    idempotent_booking = True
    service = ""
    prefix = ""
    default_price_minor = 0

    def _price(self) -> Money:
        minor = int(self.config.settings.get("price_minor", self.default_price_minor))
        return Money(minor, self.config.settings.get("currency", "USD"))

    def _booking(self, our_reference: str) -> Booking:
        return Booking(carrier=self.code, our_reference=our_reference, external_id=f"{self.prefix}:{our_reference}",
                       tracking_number=f"{self.prefix.upper()}-{our_reference}", service=self.service,
                       cost=self._price())

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        return [Quote(carrier=self.code, service=self.service, price=self._price(),
                      estimated_pickup=request.ready_at, estimated_delivery=request.deliver_by,
                      external_id=f"{self.prefix}:{request.our_reference}")]

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        return self._booking(request.our_reference)

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        return self._booking(our_reference)

    async def track(self, tracking_ref: str) -> list:
        return []  # our own progress is recorded directly in the store, never polled

    async def cancel(self, tracking_ref: str) -> CancelResult:
        return CancelResult(tracking_ref, True, message=f"Cancelled at {utcnow():%H:%M} UTC.")

    async def test_connection(self) -> ConnectionResult:
        return ConnectionResult(True, f"{self.name} is built in: nothing to connect.")
