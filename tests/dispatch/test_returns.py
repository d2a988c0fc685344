"""Returns tracked back to 'returned', and what a failed attempt can turn into; the customer is told each time."""
from __future__ import annotations

from datetime import date

import pytest

from controltower.dispatch.returns import (
    CONVERT_TO_PICKUP, DROP_OFF, OWN_ROUTE, REATTEMPT, RETURN_TO_STOCK, receive_return, refresh_returns,
    stops_for_plan,
)
from controltower.dispatch.service import DispatchService
from controltower.domain import Shipment, ShipmentStatus
from controltower.kernel.errors import InputError
from controltower.store.shipments import create_shipment, get_shipment, set_status

from .conftest import add_orders, local, make_order


@pytest.fixture
def service(store, shop):
    return DispatchService(store, adapters=lambda: [], clock=lambda: local("2026-11-25T16:00"))


def failed_delivery(store, ref: str) -> int:
    order_id = add_orders(store, make_order(ref))[ref]
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(order_id, "own_fleet", ShipmentStatus.BOOKED))
        set_status(conn, shipment_id, ShipmentStatus.FAILED_ATTEMPT, reason="nobody home")
    return order_id


def messages(store, order_id):
    return [tuple(r) for r in store.query("SELECT template, channel FROM notifications WHERE order_id = ? ORDER BY id", (order_id,))]


def test_a_failed_attempt_turned_into_a_reattempt_is_a_stop_in_the_next_days_plan(store, service):
    order_id = failed_delivery(store, "F1")
    with store.transaction() as conn:  # tomorrow's plan already has a route
        conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (5, '2026-11-26', 1, '2026-11-25T20:00:00+00:00')")
    done = service.resolve_failed_attempt(order_id, REATTEMPT)
    assert done.startswith("Re-attempt planned on 2026-11-26")
    stops = stops_for_plan(store.conn, date(2026, 11, 26))
    assert [(s["order_ref"], s["route_id"], s["kind"]) for s in stops] == [("F1", 5, "delivery")]
    order = store.query("SELECT status, delivery_date, promised_start FROM orders WHERE id = ?", (order_id,))[0]
    assert order["status"] == "booked" and order["delivery_date"] == "2026-11-26"
    assert ("custom", "email") in messages(store, order_id)
    body = store.scalar("SELECT body FROM notifications WHERE order_id = ? AND channel = 'sms'", (order_id,))
    assert "We will try again on Thursday 26 November." in body


def test_reattempt_without_a_route_waits_for_the_planner_on_that_day(store, service):
    order_id = failed_delivery(store, "F2")
    service.resolve_failed_attempt(order_id, REATTEMPT)
    stops = stops_for_plan(store.conn, date(2026, 11, 26))
    assert [(s["order_ref"], s["route_id"]) for s in stops] == [("F2", None)]


def test_convert_to_pickup_and_return_to_stock(store, service):
    pickup_id, stock_id = failed_delivery(store, "F3"), failed_delivery(store, "F4")
    assert service.resolve_failed_attempt(pickup_id, CONVERT_TO_PICKUP) == "Converted to in-store pickup."
    assert store.query("SELECT delivery_option, status, carrier FROM orders WHERE id = ?", (pickup_id,))[0][:] == ("pickup", "booked", "pickup")
    service.resolve_failed_attempt(stock_id, RETURN_TO_STOCK)
    assert store.scalar("SELECT status FROM orders WHERE id = ?", (stock_id,)) == "returned"
    with pytest.raises(InputError):  # nothing failed any more
        service.resolve_failed_attempt(stock_id, REATTEMPT)


def test_return_on_our_own_route_is_tracked_back_to_returned(store, service):
    order_id = add_orders(store, make_order("RT1"))["RT1"]
    case = service.start_return(order_id, "wrong size", ["Boots 42"], OWN_ROUTE)
    assert case.status == "requested" and case.items == ("Boots 42",)
    # No route yet tomorrow: the collection waits for the planner on that day.
    assert [(s["order_ref"], s["kind"], s["route_id"]) for s in stops_for_plan(store.conn, date(2026, 11, 26))] == [("RT1", "pickup", None)]
    assert ("return_started", "email") in messages(store, order_id)
    with store.transaction() as conn:
        set_status(conn, case.shipment_id, ShipmentStatus.RETURNING, reason="collected")
        assert refresh_returns(conn) == 1
        received = receive_return(conn, case.id)
    assert received.status == "returned"
    assert get_shipment(store.conn, case.shipment_id).status is ShipmentStatus.RETURNED


def test_drop_off_return_goes_through_the_outbox(store, service):
    order_id = add_orders(store, make_order("RT2"))["RT2"]
    case = service.start_return(order_id, "damaged", ["Mug"], DROP_OFF, carrier="easypost")
    outbox = store.query("SELECT carrier, operation, state FROM outbox WHERE shipment_id = ?", (case.shipment_id,))
    assert [tuple(r) for r in outbox] == [("easypost", "return", "pending")]
    assert get_shipment(store.conn, case.shipment_id).kind == "return"
    with pytest.raises(InputError, match="reason"):
        service.start_return(order_id, "  ", [], DROP_OFF, carrier="easypost")


def test_rebook_leaves_out_the_carrier_that_failed(store, service):
    import asyncio

    from controltower.dispatch.booking import QUEUED

    from .conftest import QuotingCarrier, window

    order_id = add_orders(store, make_order("F5", window=window("2026-11-26T09:00", "2026-11-26T20:00")))["F5"]
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(order_id, "zippy", ShipmentStatus.BOOKED))
        set_status(conn, shipment_id, ShipmentStatus.FAILED_ATTEMPT, reason="nobody home")
    assert [o.order_ref for o in service.failed_deliveries()] == ["F5"]
    carriers = [QuotingCarrier("zippy", {"now": 100}, name="Zippy"), QuotingCarrier("pedal", {"bike": 900}, name="Pedal")]
    service = DispatchService(store, adapters=lambda: carriers, clock=lambda: local("2026-11-25T10:00"))
    comparison = asyncio.run(service.rebook(order_id))
    assert comparison.decision.carrier != "zippy"  # the cheapest, but it just failed this order
    assert comparison.decision.reason.endswith("Note: Zippy left out: it failed the last attempt.")
    pedal = next(r for r in comparison.rows if r.carrier == "pedal")
    report = service.book(comparison, pedal)
    assert report.lines[0].outcome == QUEUED
    assert service.failed_deliveries() == []
