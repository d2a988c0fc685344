"""Demo mode: sandbox plus engine in one call; a booking made through the outbox is booked and then moves."""
from __future__ import annotations

import asyncio

import pytest

from controltower.carriers import registry
from controltower.domain import ShipmentStatus
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.demo.sync import DemoSync

from .helpers import book

pytestmark = pytest.mark.anyio


async def test_demo_sync_books_and_tracks_with_a_fast_clock(store, order_ids):
    hub = EventHub()
    demo = DemoSync(store, hub, speed=600)  # ten sandbox minutes per real second
    demo.start()
    try:
        assert demo.carriers == ["sandbox:zippy", "sandbox:pedal", "sandbox:metro"]
        assert registry.factory_for("sandbox:pedal") is not None
        write = book(store, order_ids[0], "pedal")
        hub.publish("outbox.changed", ids=[write.outbox_id])
        for _ in range(300):  # booked, then the courier moves on within a few real seconds
            if get_shipment(store.conn, write.shipment_id).status not in (ShipmentStatus.CREATED, ShipmentStatus.BOOKED):
                break
            await asyncio.sleep(0.05)
        assert demo.network.world.courier_positions() or demo.network.bookings()
    finally:
        await demo.stop()
    assert get_shipment(store.conn, write.shipment_id).status not in (ShipmentStatus.CREATED, ShipmentStatus.BOOKED)
