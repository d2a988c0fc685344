"""The engine on its own thread: same outcome, and hub events still reach subscribers on the caller's thread."""
from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest

from controltower.demo.sandbox import SandboxNetwork, sandbox_adapters
from controltower.domain import ShipmentStatus
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.sync.threaded import ThreadedSyncEngine

from .helpers import FAST, book

pytestmark = pytest.mark.anyio


async def test_threaded_engine_books_tracks_and_publishes_on_our_thread(store, order_ids):
    hub, seen = EventHub(), []
    hub.subscribe("*", lambda topic, payload: seen.append((topic, threading.current_thread())))
    with SandboxNetwork(seed=2) as sandbox:
        # Zippy fails a few drop-offs in a hundred, drawn per delivery: this test is about threads, not failures.
        sandbox.world.companies["zippy"] = dataclasses.replace(sandbox.world.companies["zippy"], failure_rate=0.0,
                                                               delay_rate=0.0)
        write = book(store, order_ids[0], "zippy")
        engine = ThreadedSyncEngine(store, sandbox_adapters(sandbox.base_url, timeout_s=1), hub,
                                    dataclasses.replace(FAST, track=True, cadence_scale=1000))
        engine.start()
        try:
            await engine.run_until_idle()
            sandbox.clock.advance(timedelta(hours=2))
            assert await engine.refresh_tracking() == 1
            hub.publish("outbox.changed", ids=[])  # wakes the engine from our thread
            await engine.run_until_idle()
        finally:
            await engine.stop()
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.DELIVERED
    assert engine.state.queue == 0 and engine.state.online
    topics = {topic for topic, _ in seen}
    assert {"shipments.changed", "sync.state"} <= topics
    assert {thread for _, thread in seen} == {threading.current_thread()}
