"""The engine as a child process: the app queues, the child books and tracks, events come back on our hub."""
from __future__ import annotations

import asyncio
import threading

import pytest

from controltower.demo.sandbox import SandboxNetwork
from controltower.domain import ShipmentStatus
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.sync.process import ProcessSyncEngine, decode_event, encode_event

from .helpers import book

pytestmark = pytest.mark.anyio


def test_events_cross_the_pipe_with_their_times():
    from controltower.domain.timeutil import utcnow

    now = utcnow().replace(microsecond=0)
    topic, payload = decode_event(encode_event("sync.state", {"online": False, "last_sync": now, "queue": 2}))
    assert topic == "sync.state" and payload == {"online": False, "last_sync": now, "queue": 2}


async def test_child_process_books_what_the_app_queued(store, order_ids):
    hub, seen = EventHub(), []
    hub.subscribe("*", lambda topic, payload: seen.append((topic, payload, threading.current_thread())))
    with SandboxNetwork(seed=4) as sandbox:
        engine = ProcessSyncEngine(store.path, hub, sandbox_url=sandbox.base_url)
        engine.start()
        try:
            write = book(store, order_ids[0], "metro")
            hub.publish("outbox.changed", ids=[write.outbox_id])  # the app says: look now
            for _ in range(300):
                if get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.BOOKED:
                    break
                await asyncio.sleep(0.05)
            for _ in range(100):
                if any(t == "sync.state" and p["queue"] == 0 for t, p, _ in seen):
                    break
                await asyncio.sleep(0.05)
            assert await engine.refresh_tracking() == 1  # the one open shipment, polled and stored
        finally:
            await engine.stop()
        assert [b["idempotency_key"] for b in sandbox.bookings()] == [write.idempotency_key]
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.BOOKED
    assert engine.state.queue == 0 and engine.state.online
    assert {thread for *_, thread in seen} == {threading.current_thread()}
    assert write.shipment_id in {i for t, p, _ in seen if t == "shipments.changed" for i in p["ids"]}
