"""Tracking polls against the sandbox: the courier's progress lands once, in event-time order, whatever the answers."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from controltower.demo.sandbox import COMPANIES, SandboxNetwork
from controltower.domain import ShipmentStatus
from controltower.domain.models import GeoPoint
from controltower.kernel.events import EventHub
from controltower.store.shipments import events_for, get_shipment

from .helpers import FAST, book, running_engine

pytestmark = pytest.mark.anyio
FAR = GeoPoint(40.82, -73.97)  # ~10 km from the shop: the courier is on the road for a good while
TRACKING = dataclasses.replace(FAST, track=True, cadence_scale=1000, sweep_s=0.05)


@pytest.fixture
def sandbox():
    with SandboxNetwork(seed=5) as network:
        for code, company in COMPANIES.items():  # predictable couriers: never late, never failing
            network.world.companies[code] = dataclasses.replace(company, delay_rate=0.0, failure_rate=0.0)
        yield network


async def test_polls_follow_the_courier_to_the_door(store, order_ids, sandbox):
    hub, changed = EventHub(), []
    hub.subscribe("shipments.changed", lambda _t, payload: changed.extend(payload["ids"]))
    write = book(store, order_ids[0], "zippy", dropoff_location=FAR)
    async with running_engine(store, sandbox.base_url, TRACKING, hub=hub) as engine:
        await engine.run_until_idle()
        sandbox.clock.advance(timedelta(minutes=13))
        assert await engine.tracking.refresh_all() == 1
        shipment = get_shipment(store.conn, write.shipment_id)
        assert shipment.status == ShipmentStatus.OUT_FOR_DELIVERY
        last = events_for(store.conn, write.shipment_id)[-1]
        assert last["raw_code"] == "dropoff" and last["lat"] is not None  # where the courier was
        sandbox.clock.advance(timedelta(hours=1))
        await engine.tracking.refresh_all()
        assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.DELIVERED
        assert engine.tracking.count == 0  # delivered: no more polls
    assert write.shipment_id in changed


async def test_repeated_and_out_of_order_answers_never_move_a_shipment_back(store, order_ids, sandbox):
    write = book(store, order_ids[0], "zippy", dropoff_location=FAR)
    async with running_engine(store, sandbox.base_url, TRACKING) as engine:
        await engine.run_until_idle()
        sandbox.clock.advance(timedelta(minutes=13))
        await engine.tracking.refresh_all()
        before = len(events_for(store.conn, write.shipment_id))
        await engine.tracking.refresh_all()  # the same answer again
        assert len(events_for(store.conn, write.shipment_id)) == before
        sandbox.faults.configure(stale_minutes=10)
        sandbox.faults.force("stale")  # an answer from ten minutes ago: courier still going to the shop
        await engine.tracking.refresh_all()
    assert sandbox.faults.injected == {"stale": 1}
    events = events_for(store.conn, write.shipment_id)
    late = [e for e in events if e["raw_code"] == "pickup"]
    assert len(late) == 1 and late[0]["applied"] == 0 and "older than the current status" in late[0]["note"]
    assert [e["event_time"] for e in events] == sorted(e["event_time"] for e in events)
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.OUT_FOR_DELIVERY


async def test_failed_dropoff_comes_back_to_the_shop(store, order_ids, sandbox):
    sandbox.world.companies["metro"] = dataclasses.replace(COMPANIES["metro"], failure_rate=1.0, delay_rate=0.0)
    write = book(store, order_ids[0], "metro", dropoff_location=FAR)
    async with running_engine(store, sandbox.base_url, TRACKING) as engine:
        await engine.run_until_idle()
        sandbox.clock.advance(timedelta(minutes=58))  # the attempt failed; the return is on its way back
        await engine.tracking.refresh_all()
        assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.RETURNING
        sandbox.clock.advance(timedelta(hours=2))
        await engine.tracking.refresh_all()
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.RETURNED


async def test_a_rate_limited_poll_waits_and_tries_again(store, order_ids, sandbox):
    write = book(store, order_ids[0], "pedal")
    async with running_engine(store, sandbox.base_url, TRACKING) as engine:
        await engine.run_until_idle()
        sandbox.faults.configure(retry_after_s=0.2)
        sandbox.faults.force("rate_limited", path_contains="/deliveries/")
        sandbox.faults.force("server_error", path_contains="/deliveries/")
        sandbox.clock.advance(timedelta(minutes=5))
        await engine.tracking.refresh_all()
    polls = [r for r in sandbox.requests if r["method"] == "GET"]
    assert [r["fault"] for r in polls] == ["rate_limited", "server_error", None]
    assert polls[1]["at"] - polls[0]["at"] >= 0.2
    assert len(events_for(store.conn, write.shipment_id)) >= 1
