"""A label refund followed to its end: "submitted" keeps the shipment live and tracked until EasyPost decides."""
from __future__ import annotations

import asyncio
import copy
from datetime import timedelta

import httpx
import pytest
import time_machine

from controltower.domain import ShipmentStatus
from controltower.domain.timeutil import utcnow
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.sync import SyncEngine, enqueue_cancel, outbox
from tests.carriers.published import payload

from .helpers import FAST
from .test_restart_lookup import NonDedupingEasyPost, queue_booking

pytestmark = pytest.mark.anyio


class RefundingEasyPost(NonDedupingEasyPost):
    """Answers a refund with "submitted" (as published); the carrier's later decision is set by the test."""

    decision = "submitted"

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v2")
        if request.method == "POST" and path.endswith("/refund"):
            self.refunds = getattr(self, "refunds", 0) + 1
            shipment = self.shipments[path.split("/")[2]]
            shipment.update(refund_status="submitted")
            return httpx.Response(200, json=copy.deepcopy(shipment))
        if request.method == "GET" and path.startswith("/shipments/") and self.shipments.get(path.split("/")[2], {}).get("refund_status"):
            self.shipments[path.split("/")[2]]["refund_status"] = self.decision
        return super().answer(request)


async def run_engine(store, carrier, *, until_refund_settled: bool = False) -> dict[str, int]:
    adapter = carrier.adapter()
    engine = SyncEngine(store, {"easypost": adapter}, EventHub(), FAST, seed=1)
    engine.start()
    try:
        await engine.run_until_idle(timeout=10)
        for _ in range(500 if until_refund_settled else 0):  # a refund check is not queued work: wait for it
            counts = outbox.counts(store.reader())
            if not counts.get("refund_pending") and not counts.get("in_flight"):  # in flight: the check is under way
                break
            await asyncio.sleep(0.01)
    finally:
        await engine.stop()
        await adapter.aclose()
    return outbox.counts(store.reader())


@pytest.mark.parametrize("decision,final_status", [("refunded", ShipmentStatus.CANCELLED), ("rejected", ShipmentStatus.BOOKED)])
async def test_submitted_refund_is_asked_after_until_easypost_decides(store, order_ids, decision, final_status):
    """Planted bug caught: REFUND_STATUSES' "submitted" read as final (shipment cancelled, tracking dropped at once)."""
    carrier = RefundingEasyPost()
    write = queue_booking(store, order_ids[0], "easypost")
    with time_machine.travel(utcnow(), tick=True) as clock:
        await run_engine(store, carrier)
        with store.transaction() as conn:
            enqueue_cancel(conn, write.shipment_id)
        assert await run_engine(store, carrier) == {"done": 1, "refund_pending": 1}
        assert get_shipment(store.reader(), write.shipment_id).status == ShipmentStatus.BOOKED  # the label is still live

        carrier.decision = decision
        clock.shift(timedelta(hours=2))  # past the next refund check
        assert (await run_engine(store, carrier, until_refund_settled=True)).get("refund_pending", 0) == 0
    assert carrier.refunds == 1  # asked after, never refunded twice
    assert get_shipment(store.reader(), write.shipment_id).status == final_status  # rejected: the label stands
    cancel, = [e for e in outbox.queued(store.reader()) if e.operation == "cancel"] or [None]
    if decision == "rejected":  # a refused refund is shown in the queued-writes panel, not hidden
        assert cancel is not None and cancel.state == "failed" and "rejected" in cancel.last_error
    else:
        assert cancel is None
