"""A sync engine wired to a sandbox network, with a fast retry policy, for tests."""
from __future__ import annotations

import dataclasses
import socket
from contextlib import asynccontextmanager

from controltower.demo.sandbox import sandbox_adapters
from controltower.kernel.events import EventHub
from controltower.sync import SyncEngine, SyncPolicy, enqueue_booking
from controltower.sync.backoff import Backoff

from .conftest import same_day_request

FAST = SyncPolicy(backoff=Backoff(base_s=0.05, cap_s=0.4), tick_s=0.05, flush_s=0.05, track=False, offline_after=2)


@asynccontextmanager
async def running_engine(store, base_url: str, policy: SyncPolicy = FAST, hub: EventHub | None = None, timeout_s: float = 0.5):
    adapters = sandbox_adapters(base_url, timeout_s=timeout_s)
    engine = SyncEngine(store, adapters, hub or EventHub(), policy, seed=1)
    engine.start()
    try:
        yield engine
    finally:
        await engine.stop()
        for adapter in adapters.values():
            await adapter.aclose()


def book(store, order_id: int, company: str = "zippy", **request_changes):
    request = dataclasses.replace(same_day_request(), **request_changes)
    with store.transaction() as conn:
        return enqueue_booking(conn, order_id=order_id, carrier=f"sandbox:{company}", request=request)


def free_port() -> int:
    """A port nobody listens on (yet): a carrier that is unreachable until the test starts it there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
