"""What the engine keeps and says over a long session: finished sends let go, one clear failure text, back online at once."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone

import pytest

from controltower.demo.sandbox import SandboxNetwork
from controltower.domain.models import GeoPoint
from controltower.sync import outbox
from controltower.sync.backoff import Backoff

from .helpers import FAST, book, free_port, running_engine

pytestmark = pytest.mark.anyio


async def test_finished_sends_are_let_go_not_kept_for_the_whole_session(store, order_ids):
    with SandboxNetwork(seed=5) as network:
        for order_id in order_ids:
            book(store, order_id, "pedal")
        async with running_engine(store, network.base_url) as engine:
            await engine.run_until_idle()
            for _ in range(20):  # done-callbacks run on the next turns of the loop
                if not engine._send_tasks:
                    break
                await asyncio.sleep(0.01)
            assert len(network.bookings()) == len(order_ids)
            # A shop sends thousands of writes a day: a set that only grows holds every finished task until exit.
            assert engine._send_tasks == set()


async def test_a_refused_write_says_the_carriers_words_once(store, order_ids):
    with SandboxNetwork(seed=5) as network:
        write = book(store, order_ids[0], "zippy", dropoff_location=GeoPoint(45.5, -122.6))  # outside its area
        async with running_engine(store, network.base_url) as engine:
            await engine.run_until_idle()
    entry = outbox.get(store.conn, write.outbox_id)
    assert entry.state == "failed"
    assert entry.last_error.lower().count("outside our delivery area") == 1, entry.last_error


async def test_when_the_network_is_back_every_waiting_write_goes_at_once_not_at_its_backoff_time(store, order_ids):
    port = free_port()
    # Each failed write waits a minute; while offline only the oldest one probes.
    slow = dataclasses.replace(FAST, backoff=Backoff(base_s=60, cap_s=60), offline_probe_s=60.0,
                               concurrency={"sandbox:zippy": 1})
    writes = [book(store, order_id, "zippy") for order_id in order_ids[:3]]
    async with running_engine(store, f"http://127.0.0.1:{port}", slow) as engine:
        while engine.state.online or engine._sending or any(
                outbox.get(store.conn, w.outbox_id).attempts == 0 for w in writes):
            await asyncio.sleep(0.02)
        with SandboxNetwork(port=port) as network:
            with store.transaction() as conn:  # the oldest write's probe comes round
                outbox.retry_later(conn, writes[0].outbox_id, "probe", datetime.now(timezone.utc), outcome_unknown=False)
            engine.wake()
            await engine.run_until_idle(timeout=20)  # far less than the minute the others were told to wait
            assert engine.state.online
            assert sorted(b["idempotency_key"] for b in network.bookings()) == sorted(w.idempotency_key for w in writes)
