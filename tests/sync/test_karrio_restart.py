"""The karrio posts buy without an idempotency key and can't be asked by our reference (issue 18): a purchase whose
answer is lost, then a restart, must end with exactly one label and the booking failed visibly, saying what to check,
never a second purchase. The server below does NOT de-duplicate (neither UPS nor USPS does): every ship call buys."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
import time_machine

from controltower.carriers import registry
from controltower.carriers.base import AdapterConfig
from controltower.domain.timeutil import utcnow
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.sync import SyncEngine, enqueue_booking, outbox
from controltower.sync.backoff import Backoff

from tests.carriers.fakes.server import Fault, FakeServer, Reply
from tests.carriers.published import payload
from .conftest import same_day_request
from .helpers import FAST

pytest.importorskip("karrio.mappers.ups", reason="the optional karrio extra (karrio-ups) is not installed")
pytestmark = pytest.mark.anyio

UPS_TOKEN, UPS_SHIP = "/security/v1/oauth/token", "/api/shipments/v2409/ship"
SLOW_RETRY = dataclasses.replace(FAST, backoff=Backoff(base_s=600, cap_s=600))  # the app closes before its retry


class BuyingUps(FakeServer):
    """UPS's ship call in its published shape (karrio's recordings): each call that arrives buys a label."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[int] = []
        self.answer_next_with_503 = False  # bought, then a gateway's 503 page instead of the answer
        self.route("POST", UPS_TOKEN, lambda request: Reply(200, payload("karrio_ups", "token")))
        self.route("POST", UPS_SHIP, self._ship)

    def _ship(self, request) -> Reply:
        self.labels.append(len(self.labels) + 1)
        if self.answer_next_with_503:
            self.answer_next_with_503 = False
            return Reply(503, b"<html><title>503 Service Unavailable</title></html>", {"Content-Type": "text/html"})
        return Reply(200, payload("karrio_ups", "ship"))


def ups(server: FakeServer):
    credentials = {"client_id": "ct-ups-client", "client_secret": "published-secret", "account_number": "A1B2C3"}
    return registry.create(AdapterConfig("karrio:ups", credentials, base_url=server.url, timeout_s=2.0,
                                         local_zone="America/New_York"))


async def run_once(store, server: FakeServer, policy, settled: tuple[str, ...]) -> None:
    """One run of the app's sync engine with a fresh adapter, as after a restart, until the write is in `settled`."""
    adapter = ups(server)
    engine = SyncEngine(store, {"karrio:ups": adapter}, EventHub(), policy, seed=1)
    engine.start()
    try:
        for _ in range(1500):
            if {entry.state for entry in outbox.queued(store.reader())} <= set(settled):
                break
            await asyncio.sleep(0.01)
    finally:
        await engine.stop()
        await adapter.aclose()


@pytest.mark.parametrize("lose", ["connection closed", "503 page"])
async def test_a_lost_ups_purchase_then_a_restart_buys_no_second_label_and_says_what_to_check(store, order_ids, lose):
    server = BuyingUps().start()
    try:
        if lose == "503 page":
            server.answer_next_with_503 = True
        else:  # bought at UPS, then the connection closes without an answer
            server.inject(Fault("lose_response"), "POST", UPS_SHIP)
        with store.transaction() as conn:
            write = enqueue_booking(conn, order_id=order_ids[0], carrier="karrio:ups",
                                    request=dataclasses.replace(same_day_request(), service="ups_ground"))
        with time_machine.travel(utcnow(), tick=True) as clock:
            await run_once(store, server, SLOW_RETRY, ("unknown", "failed", "done"))
            assert len(server.labels) == 1 and outbox.get(store.reader(), write.outbox_id).state == "unknown"
            clock.shift(timedelta(hours=2))  # the app starts again, long after
            await run_once(store, server, FAST, ("failed", "done"))
    finally:
        server.stop()
    assert len(server.labels) == 1  # not bought a second time
    entry = outbox.get(store.reader(), write.outbox_id)
    assert entry.state == "failed"
    assert write.idempotency_key and "Check the UPS account" in entry.last_error, entry.last_error
    assert get_shipment(store.reader(), write.shipment_id).status.value == "exception"
