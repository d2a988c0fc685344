"""Buying safely from carriers without idempotency keys: after a lost answer, look before buying again."""
from __future__ import annotations

from typing import Awaitable, Callable

from .base import Booking, CarrierAdapter, ShipmentRequest, UnknownOutcome


class LookupBeforeRetry(CarrierAdapter):
    """Mixed into adapters whose carrier cannot de-duplicate a purchase (EasyPost, Shippo).

    Within one process the adapter remembers which references had an uncertain purchase and checks
    with `find_booking_by_reference` before buying again; after a restart the sync engine must call
    `find_booking_by_reference` itself before retrying an outbox entry whose outcome was unknown.
    """

    idempotent_booking = False

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        return await self.purchase_once(request.our_reference, lambda: self._buy(request, is_return=False))

    async def create_return(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        return await self.purchase_once(request.our_reference, lambda: self._buy(request, is_return=True))

    async def _buy(self, request: ShipmentRequest, *, is_return: bool) -> Booking:
        """The carrier's own purchase (a label, or a return label): one attempt, no retry."""
        raise NotImplementedError

    async def purchase_once(self, our_reference: str, purchase: Callable[[], Awaitable[Booking]]) -> Booking:
        uncertain = self.__dict__.setdefault("_uncertain_references", set())
        if our_reference in uncertain:
            existing = await self.find_booking_by_reference(our_reference)
            if existing is not None:
                uncertain.discard(our_reference)
                return existing
        try:
            booking = await purchase()
        except UnknownOutcome:
            uncertain.add(our_reference)
            raise
        uncertain.discard(our_reference)
        return booking
