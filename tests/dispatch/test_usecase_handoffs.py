"""Each delivery use case followed to the far side through the real parts.

The exception queue's Re-book and Start return go through the outbox and the real sync engine to a fake Shippo on
127.0.0.1 that, like Shippo itself, buys a second label when asked twice (it has no idempotency keys), so counting
its purchases shows each hand-off reached the carrier exactly once. Putting an order on a van in the evening west of
UTC lands on the shop's today; a van's stop marked delivered or failed moves the stop, the shipment and the order.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carriers.fakes.server import running
from carriers.fakes.shippo import API_TOKEN, FakeShippo
from controltower.carriers.base import AdapterConfig
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.control.actions import ControlService
from controltower.control.engine import ExceptionEngine
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import save_settings
from controltower.dispatch.usecases import DeliveryActions
from controltower.domain import Shipment, ShipmentStatus, TimeWindow
from controltower.kernel.events import EventHub
from controltower.routing import plans
from controltower.store.shipments import create_shipment, get_shipment, set_status
from controltower.sync import SyncEngine, SyncPolicy
from controltower.sync.backoff import Backoff

from .conftest import NEAR, add_orders, local, make_order

FAST = SyncPolicy(backoff=Backoff(base_s=0.05, cap_s=0.4), tick_s=0.05, flush_s=0.05, track=False, offline_after=2)
NEW_YORK, LOS_ANGELES = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")


@pytest.fixture
def shippo():
    with running(FakeShippo) as fake:
        yield fake


def shippo_adapter(fake) -> ShippoAdapter:
    return ShippoAdapter(AdapterConfig("shippo", {"api_token": API_TOKEN}, {"poll_interval_s": 0.01},
                                       base_url=fake.url, timeout_s=2.0))


def send_outbox(store, fake) -> dict[str, int]:
    """One run of the real sync engine over the store, until nothing waits; a fresh engine each call (a restart)."""
    async def run():
        adapter = shippo_adapter(fake)
        engine = SyncEngine(store, {"shippo": adapter}, EventHub(), FAST, seed=1)
        engine.start()
        try:
            await engine.run_until_idle(20)
        finally:
            await engine.stop()
            await adapter.aclose()
    asyncio.run(run())
    return {r[0]: r[1] for r in store.query("SELECT state, count(*) FROM outbox GROUP BY state")}


def purchases(fake) -> list:
    return fake.calls_to("POST", "/transactions")


def open_case(store, kind: str, now: datetime) -> int:
    ExceptionEngine(store).refresh(now)
    return store.scalar("SELECT id FROM exceptions WHERE kind = ? AND resolved_at IS NULL", (kind,))


def test_rebook_from_the_exception_queue_books_once_at_the_carrier(store, shop, shippo):
    promise = TimeWindow(local("2026-11-25T12:00"), local("2026-11-25T18:00"))
    order_id = add_orders(store, make_order("LATE-1", NEAR, window=promise))["LATE-1"]
    with time_machine.travel(local("2026-11-25T10:00"), tick=False) as clock:
        # Booked the ordinary way (dispatch -> outbox -> sync engine -> Shippo), then the parcel goes quiet.
        dispatch = DispatchService(store, adapters=lambda: [shippo_adapter(shippo)])
        comparison = asyncio.run(dispatch.compare(order_id))
        first_way = next(r for r in comparison.rows if r.carrier == "shippo" and r.service == "USPS:usps_priority")
        dispatch.book(comparison, first_way)
        send_outbox(store, shippo)
        first = store.query("SELECT id, external_id FROM shipments WHERE order_id = ?", (order_id,))[0]
        with store.transaction() as conn:
            set_status(conn, first["id"], ShipmentStatus.IN_TRANSIT, reason="scanned at the hub")

        clock.move_to(local("2026-11-25T20:00"))  # two hours past the promise: a late case in the queue
        case_id = open_case(store, "late", local("2026-11-25T20:00"))
        asyncio.run(dispatch.compare(order_id, fresh=True))  # the quotes the Re-book dialog offers
        quote_id = store.scalar("SELECT id FROM quotes WHERE order_id = ? AND service = 'UPS:ups_ground' "
                                "ORDER BY id DESC LIMIT 1", (order_id,))
        result = ControlService(store).rebook(case_id, quote_id)

        # first booking and the re-booking done; the old label's refund QUEUED, asked after until Shippo decides
        assert send_outbox(store, shippo) == {"done": 2, "refund_pending": 1}
        assert send_outbox(store, shippo) == {"done": 2, "refund_pending": 1}  # after a restart: nothing more sent

    assert len(purchases(shippo)) == 2  # the first booking and the re-booking, each bought once
    rebooked = purchases(shippo)[-1].json
    assert rebooked["rate"] == store.scalar("SELECT external_id FROM quotes WHERE id = ?", (quote_id,))  # the chosen quote
    new = get_shipment(store.conn, result.shipment_id)
    assert (new.order_id, new.carrier, new.status) == (order_id, "shippo", ShipmentStatus.BOOKED)
    assert new.external_id.split(":")[0] == shippo.purchases[-1] != first["external_id"].split(":")[0]
    assert [c.json["transaction"] for c in shippo.calls_to("POST", "/refunds")] == [first["external_id"].split(":")[0]]
    assert store.scalar("SELECT resolved_at IS NOT NULL FROM exceptions WHERE id = ?", (case_id,)) == 1
    assert store.scalar("SELECT status FROM orders WHERE id = ?", (order_id,)) == "booked"
    with store.transaction() as conn:  # the replaced shipment heard of again (a late cancel confirmation) ...
        set_status(conn, first["id"], ShipmentStatus.CANCELLED, actor="sync", reason="cancel confirmed")
    assert store.scalar("SELECT status FROM orders WHERE id = ?", (order_id,)) == "booked"  # ... the order follows the new one


def test_start_return_from_the_exception_queue_reaches_the_carrier_once(store, shop, shippo):
    order_id = add_orders(store, make_order("RET-1", NEAR))["RET-1"]
    with time_machine.travel(local("2026-11-25T15:00"), tick=False):
        with store.transaction() as conn:  # Shippo's courier could not deliver it
            shipment_id = create_shipment(conn, Shipment(order_id, "shippo", ShipmentStatus.BOOKED, external_id="txn9:usps:1"))
            set_status(conn, shipment_id, ShipmentStatus.FAILED_ATTEMPT, reason="nobody home")
        case_id = open_case(store, "failed_attempt", local("2026-11-25T15:00"))
        result = ControlService(store).start_return(case_id, order_id)
        assert send_outbox(store, shippo) == {"done": 1}
        assert send_outbox(store, shippo) == {"done": 1}  # restarted: not bought again

    (label,) = purchases(shippo)
    shipment_body = shippo.calls_to("POST", "/shipments")[-1].json
    assert shipment_body["extra"]["is_return"] is True and shipment_body["metadata"] == label.json["metadata"]
    back = get_shipment(store.conn, result.shipment_id)
    assert (back.kind, back.carrier, back.status) == ("return", "shippo", ShipmentStatus.BOOKED) and back.external_id
    (row,) = store.query("SELECT order_id, shipment_id, method, status FROM returns")
    assert tuple(row) == (order_id, result.shipment_id, "courier_pickup", "requested")
    assert store.scalar("SELECT resolved_at IS NOT NULL FROM exceptions WHERE id = ?", (case_id,)) == 1


def test_evening_reassignment_west_of_utc_lands_on_the_shops_today(store, shop):
    save_settings(store, replace(shop, timezone="America/Los_Angeles"))
    store.set_setting("shop.timezone", "America/Los_Angeles")
    order_id = add_orders(store, make_order("EVE-1", NEAR))["EVE-1"]
    evening = datetime(2026, 11, 25, 19, 30, tzinfo=LOS_ANGELES)  # already 03:30 on the 26th in UTC
    with time_machine.travel(evening, tick=False):
        with store.transaction() as conn:
            shipment_id = create_shipment(conn, Shipment(order_id, "zippy", ShipmentStatus.BOOKED))
            set_status(conn, shipment_id, ShipmentStatus.FAILED_ATTEMPT, reason="nobody home")
            todays_route = plans.create_route(conn, "2026-11-25", 1)
        case_id = open_case(store, "failed_attempt", evening)
        ControlService(store).reassign_to_own_driver(case_id, 1)

    (stop,) = store.query("SELECT s.route_id, r.plan_date, s.sequence FROM stops s JOIN routes r ON r.id = s.route_id "
                          "WHERE s.order_id = ?", (order_id,))
    assert tuple(stop) == (todays_route, "2026-11-25", 1)
    assert store.scalar("SELECT count(*) FROM routes WHERE plan_date = '2026-11-26'") == 0
    assert store.query("SELECT carrier, status FROM shipments WHERE order_id = ? ORDER BY id DESC LIMIT 1",
                       (order_id,))[0][:] == ("own_fleet", "booked")


@pytest.mark.parametrize("outcome", ["delivered", "failed"])
def test_a_van_stop_marked_delivered_or_failed_moves_stop_shipment_and_order(store, shop, outcome):
    order_id = add_orders(store, make_order("VAN-1", NEAR))["VAN-1"]
    hub, heard = EventHub(), []
    hub.subscribe("*", lambda topic, payload: heard.append(topic))
    actions = DeliveryActions(store, hub=hub)
    with time_machine.travel(local("2026-11-25T14:10"), tick=False):
        on_van = actions.put_on_own_van(order_id, vehicle_id=2)
        if outcome == "delivered":
            done = actions.mark_delivered(on_van.stop_id)
        else:
            done = actions.mark_failed(on_van.stop_id, "nobody home")

    stop = store.query("SELECT status, actual_arrival FROM stops WHERE id = ?", (on_van.stop_id,))[0]
    assert stop["status"] == outcome and stop["actual_arrival"].startswith("2026-11-25T19:10")
    expected = {"delivered": "delivered", "failed": "failed_attempt"}[outcome]
    assert get_shipment(store.conn, done.shipment_id).status.value == expected
    assert (done.shipment_id, store.scalar("SELECT status FROM orders WHERE id = ?", (order_id,))) == (on_van.shipment_id, expected)
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = ?", (f"stop.{outcome}",)) == 1
    assert {"orders.changed", "shipments.changed", "routes.changed"} <= set(heard)
    if outcome == "failed":  # now waiting for a decision in the dispatch panel's failed deliveries
        assert [o.id for o in DispatchService(store, adapters=lambda: []).failed_deliveries()] == [order_id]
