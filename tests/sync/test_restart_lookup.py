"""Carriers that buy without an idempotency key (EasyPost, Shippo): a lost purchase answer, a restart, exactly one label.

The fakes here do NOT de-duplicate (neither carrier does): every purchase call that arrives buys a
label, whatever came before. They answer in the carriers' published shapes (tests/carriers/published).
"""
from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
import json
from datetime import timedelta

import httpx
import pytest
import time_machine

from controltower.carriers.base import AdapterConfig
from controltower.carriers.easypost.client import EasyPostAdapter
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.domain.timeutil import utcnow
from controltower.kernel.events import EventHub
from controltower.sync import SyncEngine, enqueue_booking, outbox
from controltower.sync.backoff import Backoff
from controltower.store.shipments import get_shipment

from tests.carriers.published import payload
from .conftest import same_day_request
from .helpers import FAST


class LostAnswer(Exception):
    """How the purchase's answer goes missing: the label is bought, then the reply never arrives."""


class NonDedupingEasyPost:
    """EasyPost as published: POST /shipments makes a new shipment every time; every buy buys."""

    def __init__(self, lose: str = "") -> None:
        self.shipments: dict[str, dict] = {}
        self.labels: list[str] = []
        self.lose = lose  # "timeout" or "503": how the next buy's answer is lost
        self._ids = itertools.count(1)
        self.transport = httpx.MockTransport(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v2")
        if request.method == "POST" and path == "/shipments":
            shipment = copy.deepcopy(payload("easypost", "shipment_create"))
            shipment["id"] = f"shp_{next(self._ids)}"
            shipment["reference"] = json.loads(request.content)["shipment"]["reference"]
            self.shipments[shipment["id"]] = shipment
            return httpx.Response(201, json=shipment)
        if request.method == "POST" and path.endswith("/buy"):
            shipment_id = path.split("/")[2]
            bought = copy.deepcopy(payload("easypost", "shipment_buy"))
            bought.update(id=shipment_id, reference=self.shipments[shipment_id]["reference"],
                          tracking_code=f"94001002083031095{len(self.labels):05d}")
            self.shipments[shipment_id] = bought
            self.labels.append(shipment_id)
            lose, self.lose = self.lose, ""
            if lose == "timeout":
                raise httpx.ReadTimeout("the answer to the purchase was lost", request=request)
            if lose == "503":
                return httpx.Response(503, text="<html><title>503 Service Unavailable</title></html>",
                                      headers={"Content-Type": "text/html"})
            return httpx.Response(200, json=bought)
        if request.method == "GET" and path == "/shipments":
            bought = [s for s in reversed(self.shipments.values()) if s.get("tracking_code")]
            return httpx.Response(200, json={"shipments": bought, "has_more": False})
        if request.method == "GET" and path.startswith("/shipments/"):
            return httpx.Response(200, json=self.shipments[path.split("/")[2]])
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no such route", "errors": []}})

    def adapter(self) -> EasyPostAdapter:
        return EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZTK_restart"}), transport=self.transport)


class NonDedupingShippo:
    """Shippo as published: every POST /transactions buys a label; metadata is only stored, never checked."""

    def __init__(self, lose: str = "") -> None:
        self.transactions: list[dict] = []
        self.lose = lose
        self._ids = itertools.count(1)
        self.transport = httpx.MockTransport(self.answer)

    @property
    def labels(self) -> list[str]:
        return [t["object_id"] for t in self.transactions]

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/shipments":
            return httpx.Response(201, json=payload("shippo", "shipment_create"))
        if request.method == "POST" and path == "/transactions":
            body = json.loads(request.content)
            number = next(self._ids)
            transaction = dict(payload("shippo", "transaction"), object_id=f"txn_{number}", rate=body["rate"],
                               metadata=body["metadata"], tracking_number=f"920559016491731275{number:04d}")
            self.transactions.append(transaction)
            lose, self.lose = self.lose, ""
            if lose == "timeout":
                raise httpx.ReadTimeout("the answer to the purchase was lost", request=request)
            if lose == "503":
                return httpx.Response(503, json={"detail": "Service temporarily unavailable"})
            return httpx.Response(201, json=transaction)
        if request.method == "GET" and path == "/transactions":
            return httpx.Response(200, json={"next": None, "previous": None, "results": list(reversed(self.transactions))})
        if request.method == "GET" and path.startswith("/rates/"):
            rates = {r["object_id"]: r for r in payload("shippo", "shipment_create")["rates"]}
            return httpx.Response(200, json=rates[path.split("/")[2]])
        return httpx.Response(404, json={"detail": "Not found."})

    def adapter(self) -> ShippoAdapter:
        return ShippoAdapter(AdapterConfig("shippo", {"api_token": "shippo_test_restart"}, {"poll_interval_s": 0}),
                             transport=self.transport)


pytestmark = pytest.mark.anyio
CARRIERS = {"easypost": NonDedupingEasyPost, "shippo": NonDedupingShippo}


SLOW_RETRY = dataclasses.replace(FAST, backoff=Backoff(base_s=600, cap_s=600))  # the app is closed before its retry


async def run_once(store, code: str, carrier, *, until_idle: bool) -> None:
    """One run of the app's sync engine with a fresh adapter (as after a restart)."""
    adapter = carrier.adapter()
    engine = SyncEngine(store, {code: adapter}, EventHub(), FAST if until_idle else SLOW_RETRY, seed=1)
    engine.start()
    try:
        if until_idle:
            await engine.run_until_idle(timeout=10)
        else:  # close the app once the first purchase attempt is settled in the outbox
            for _ in range(500):
                if outbox.counts(store.reader()).get("pending", 0) + outbox.counts(store.reader()).get("in_flight", 0) == 0:
                    break
                await asyncio.sleep(0.01)
    finally:
        await engine.stop()
        await adapter.aclose()


def queue_booking(store, order_id: int, code: str):
    with store.transaction() as conn:
        return enqueue_booking(conn, order_id=order_id, carrier=code, request=same_day_request())


@pytest.mark.parametrize("lose", ["timeout", "503"])
@pytest.mark.parametrize("code", sorted(CARRIERS))
async def test_lost_purchase_answer_then_restart_makes_exactly_one_label(store, order_ids, code, lose):
    """Planted bug caught ("503"): a 5xx on the purchase read as CarrierDown, retried as a fresh purchase (2 labels)."""
    carrier = CARRIERS[code](lose=lose)
    write = queue_booking(store, order_ids[0], code)
    with time_machine.travel(utcnow(), tick=True) as clock:
        await run_once(store, code, carrier, until_idle=False)
        entry = outbox.get(store.reader(), write.outbox_id)
        assert entry.state == "unknown" and len(carrier.labels) == 1  # bought, but we could not tell

        clock.shift(timedelta(hours=2))  # restart well past any idempotency window
        await run_once(store, code, carrier, until_idle=True)

    assert len(carrier.labels) == 1
    shipment = get_shipment(store.reader(), write.shipment_id)
    assert carrier.labels[0] in shipment.external_id and shipment.status.value == "booked"
    assert outbox.get(store.reader(), write.outbox_id).state == "done"


@pytest.mark.parametrize("code", sorted(CARRIERS))
async def test_app_killed_while_buying_then_restart_makes_exactly_one_label(store, order_ids, code):
    carrier = CARRIERS[code]()
    write = queue_booking(store, order_ids[1], code)
    adapter = carrier.adapter()
    from controltower.sync.codec import request_from_json
    request = request_from_json(outbox.get(store.reader(), write.outbox_id).payload["request"])
    with store.transaction() as conn:  # the process dies after the carrier bought, before we wrote anything down
        outbox.mark_in_flight(conn, write.outbox_id)
    await adapter.book(request, write.idempotency_key)
    await adapter.aclose()

    await run_once(store, code, carrier, until_idle=True)
    assert len(carrier.labels) == 1
    assert carrier.labels[0] in get_shipment(store.reader(), write.shipment_id).external_id
