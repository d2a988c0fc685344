"""Bookings through the outbox against the sandbox on 127.0.0.1: every fault ends in exactly one booking."""
from __future__ import annotations

import dataclasses

import pytest

from controltower.demo.sandbox import Faults, SandboxNetwork
from controltower.domain import ShipmentStatus
from controltower.domain.models import GeoPoint
from controltower.kernel.events import EventHub
from controltower.store.shipments import get_shipment
from controltower.sync import CannotCancel, cancel_write, enqueue_cancel, outbox

from .helpers import FAST, book, free_port, running_engine

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox():
    with SandboxNetwork(seed=5, faults=Faults(hang_s=1.0, retry_after_s=0.3)) as network:
        yield network


async def test_queued_bookings_go_out_and_shipments_are_booked(store, order_ids, sandbox):
    hub, states = EventHub(), []
    hub.subscribe("sync.state", lambda _t, payload: states.append(payload))
    queued = [book(store, order_ids[n], company) for n, company in enumerate(("zippy", "pedal", "metro"))]
    async with running_engine(store, sandbox.base_url, hub=hub) as engine:
        await engine.run_until_idle()
        await engine._publish()
    booked = {b["idempotency_key"]: b["id"] for b in sandbox.bookings()}
    for write in queued:
        shipment = get_shipment(store.conn, write.shipment_id)
        assert shipment.status == ShipmentStatus.BOOKED
        assert shipment.external_id == booked[write.idempotency_key]
        assert shipment.cost is not None and shipment.cost.amount_minor > 0
    assert states[-1]["online"] is True and states[-1]["queue"] == 0 and states[-1]["last_sync"] is not None


@pytest.mark.parametrize("fault", ["timeout", "server_error", "rate_limited", "malformed", "lost_response"])
async def test_each_fault_on_a_booking_still_makes_exactly_one(store, order_ids, sandbox, fault):
    sandbox.faults.force(fault, path_contains="/deliveries")
    write = book(store, order_ids[0])
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    assert sandbox.faults.injected == {fault: 1}
    assert [b["idempotency_key"] for b in sandbox.bookings()] == [write.idempotency_key]
    entry = outbox.get(store.conn, write.outbox_id)
    assert entry.state == "done" and entry.attempts == 2
    assert get_shipment(store.conn, write.shipment_id).external_id == sandbox.bookings()[0]["id"]


async def test_lost_response_is_replayed_with_the_same_key_not_rebooked(store, order_ids, sandbox):
    sandbox.faults.force("lost_response", times=3, path_contains="/deliveries")
    write = book(store, order_ids[0], "metro")
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    posts = [r for r in sandbox.requests if r["method"] == "POST" and r["path"].endswith("/deliveries")]
    assert len(posts) == 4 and [r["fault"] for r in posts] == ["lost_response"] * 3 + [None]
    assert len(sandbox.bookings()) == 1  # the carrier made it on the first try; three replays found it
    assert outbox.get(store.conn, write.outbox_id).result["external_id"] == sandbox.bookings()[0]["id"]


async def test_rate_limit_retry_after_is_honoured_for_the_whole_carrier(store, order_ids, sandbox):
    sandbox.faults.force("rate_limited", path_contains="/deliveries")
    for order_id in order_ids[:3]:
        book(store, order_id, "pedal")
    one_at_a_time = dataclasses.replace(FAST, concurrency={"sandbox:pedal": 1})  # so no call is already on its way
    async with running_engine(store, sandbox.base_url, one_at_a_time) as engine:
        await engine.run_until_idle()
    calls = [r for r in sandbox.requests if "/customers/pedal/" in r["path"]]
    limited = next(i for i, r in enumerate(calls) if r["fault"] == "rate_limited")
    after = [r for r in calls[limited + 1:]]
    # Nothing else was sent to that carrier until its Retry-After (0.3 s) had passed.
    assert after and all(r["at"] - calls[limited]["at"] >= 0.3 for r in after)
    assert len(sandbox.bookings()) == 3


async def test_a_refused_booking_is_visible_not_retried(store, order_ids, sandbox):
    write = book(store, order_ids[0], dropoff_location=GeoPoint(45.5, -122.6))  # far outside the area
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    entry = outbox.get(store.conn, write.outbox_id)
    assert entry.state == "failed" and entry.attempts == 1 and "outside our delivery area" in entry.last_error
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.EXCEPTION
    assert sandbox.bookings() == []


async def test_offline_writes_wait_visibly_then_go_out_in_order(store, order_ids):
    port = free_port()
    hub, states = EventHub(), []
    hub.subscribe("sync.state", lambda _t, payload: states.append(payload))
    writes = [book(store, order_id, "zippy") for order_id in order_ids[:4]]
    in_order = dataclasses.replace(FAST, concurrency={"sandbox:zippy": 1})  # one call at a time: arrival order = send order
    async with running_engine(store, f"http://127.0.0.1:{port}", in_order, hub=hub) as engine:
        while engine.state.online or engine._sending:  # offline, and every write has tried and failed
            await _tick()
        await engine._publish()
        assert states[-1]["online"] is False and states[-1]["queue"] == 4
        assert "unknown" not in {e.state for e in outbox.queued(store.conn)}  # never reached: no doubt about them
        while True:  # the user withdraws one while offline (between two of its retries)
            try:
                with store.transaction() as conn:
                    cancel_write(conn, writes[1].outbox_id)
                break
            except CannotCancel:
                await _tick()
        with SandboxNetwork(port=port) as network:
            await engine.run_until_idle()
            assert engine.state.online
            booked = [b["idempotency_key"] for b in network.bookings()]
    assert booked == [writes[0].idempotency_key, writes[2].idempotency_key, writes[3].idempotency_key]
    assert get_shipment(store.conn, writes[1].shipment_id).status == ShipmentStatus.CANCELLED


async def test_cancel_goes_out_after_its_booking(store, order_ids, sandbox):
    write = book(store, order_ids[0], "pedal")
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
        with store.transaction() as conn:
            cancel = enqueue_cancel(conn, write.shipment_id)
        engine.wake()
        await engine.run_until_idle()
    assert outbox.get(store.conn, cancel.outbox_id).state == "done"
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.CANCELLED
    delivery = sandbox.world.get("pedal", sandbox.bookings()[0]["id"])
    assert delivery["status"] == "canceled"


async def test_restart_reconciles_a_write_left_in_flight(store, order_ids, sandbox):
    """The app died after sending a booking and before storing the answer: on restart it is replayed, not redone."""
    write = book(store, order_ids[0], "zippy")
    entry = outbox.get(store.conn, write.outbox_id)
    from controltower.sync.codec import request_from_json
    from controltower.carriers.uber_direct import requests as uber_requests

    sandbox.world.create_delivery("zippy", uber_requests.delivery(request_from_json(entry.payload["request"]),
                                                                   write.idempotency_key))
    with store.transaction() as conn:
        outbox.mark_in_flight(conn, write.outbox_id)
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    assert len(sandbox.bookings()) == 1
    assert get_shipment(store.conn, write.shipment_id).external_id == sandbox.bookings()[0]["id"]


async def _tick():
    import asyncio

    await asyncio.sleep(0.02)


async def test_a_return_is_booked_through_the_outbox_as_its_own_shipment(store, order_ids, sandbox):
    from controltower.sync import enqueue_return

    from .conftest import SHOP, same_day_request

    outbound = same_day_request()
    back = dataclasses.replace(outbound, pickup=outbound.dropoff, pickup_contact=outbound.dropoff_contact,
                               dropoff=SHOP, dropoff_contact=outbound.pickup_contact,
                               pickup_location=outbound.dropoff_location, dropoff_location=outbound.pickup_location)
    with store.transaction() as conn:
        write = enqueue_return(conn, order_id=order_ids[0], carrier="sandbox:pedal", request=back)
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    shipment = get_shipment(store.conn, write.shipment_id)
    assert shipment.kind == "return" and shipment.status == ShipmentStatus.BOOKED
    assert outbox.get(store.conn, write.outbox_id).operation == "return"
    assert [b["idempotency_key"] for b in sandbox.bookings()] == [write.idempotency_key]


async def test_a_cancel_the_carrier_refuses_is_shown_not_hidden(store, order_ids, sandbox):
    from datetime import timedelta

    write = book(store, order_ids[0], "zippy")
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
        sandbox.clock.advance(timedelta(minutes=30))  # the courier already has the parcel
        with store.transaction() as conn:
            cancel = enqueue_cancel(conn, write.shipment_id)
        engine.wake()
        await engine.run_until_idle()
    entry = outbox.get(store.conn, cancel.outbox_id)
    assert entry.state == "failed" and "can no longer be cancelled" in entry.last_error
    assert get_shipment(store.conn, write.shipment_id).status == ShipmentStatus.BOOKED  # still on its way


async def test_an_old_uncertain_booking_is_looked_up_not_replayed_after_the_key_expired(store, order_ids, sandbox):
    """The laptop slept for two hours mid-booking: the carrier has forgotten the key, so we ask by reference."""
    from datetime import timedelta

    from controltower.carriers.uber_direct import requests as uber_requests
    from controltower.domain.timeutil import to_iso, utcnow
    from controltower.sync.codec import request_from_json

    write = book(store, order_ids[0], "zippy")
    entry = outbox.get(store.conn, write.outbox_id)
    sandbox.world.create_delivery("zippy", uber_requests.delivery(request_from_json(entry.payload["request"]),
                                                                   write.idempotency_key))
    with store.transaction() as conn:
        outbox.mark_in_flight(conn, write.outbox_id)
        conn.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (to_iso(utcnow() - timedelta(hours=2)), write.outbox_id))
    sandbox.clock.advance(timedelta(hours=2))  # delivered long ago; the key is no longer remembered
    async with running_engine(store, sandbox.base_url) as engine:
        await engine.run_until_idle()
    assert len(sandbox.bookings()) == 1
    assert get_shipment(store.conn, write.shipment_id).external_id == sandbox.bookings()[0]["id"]
