"""Rate shopping: carriers in parallel with their own timeouts, the own van's marginal cost, pickup, on-time records."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from controltower.carriers.base import ServiceUnavailable
from controltower.dispatch.rates import (
    CUSTOMER_COLLECTS, OVER_BUDGET, OVER_PROMISE, QUOTE_EXPIRED, compare, gather_quotes, on_time_records,
    own_fleet_insertion, pickup_quote, shipment_request,
)
from controltower.domain import UTC, Money, Shipment, ShipmentStatus
from controltower.store.shipments import create_shipment

from .conftest import NEAR, SHOP, QuotingCarrier, add_orders, local, make_order, shop_settings, window


def test_a_slow_and_a_broken_carrier_never_hide_the_others():
    order = make_order("R1", window=window("2026-11-25T12:00", "2026-11-25T18:00"))
    request = shipment_request(order, shop_settings(), "R1-1")
    carriers = [
        QuotingCarrier("fast", {"ground": 850, "express": 1400}),
        QuotingCarrier("slow", {"ground": 500}, delay=5.0),
        QuotingCarrier("broken", {}, error=ServiceUnavailable("broken", "no couriers near the shop right now")),
    ]
    answers = asyncio.run(gather_quotes(carriers, request, timeout_s=0.3))
    by_code = {a.carrier: a for a in answers}
    assert [q.price for q in by_code["fast"].quotes] == [Money(850), Money(1400)]
    assert by_code["slow"].error == "no answer within 0.3 s"
    assert "no couriers near the shop" in by_code["broken"].error
    rows = compare(order, answers, shop_settings(), local("2026-11-25T10:00"))
    assert [(r.carrier, r.service) for r in rows if r.usable] == [("fast", "ground"), ("fast", "express")]
    assert {r.carrier: r.error for r in rows if not r.usable}.keys() == {"slow", "broken"}


def test_flags_over_promise_over_budget_expired_and_pickup():
    order = make_order("R2", window=window("2026-11-25T12:00", "2026-11-25T12:30"))
    answers = asyncio.run(gather_quotes([QuotingCarrier("fast", {"ground": 850, "express": 1400})],
                                        shipment_request(order, shop_settings(), "R2-1")))
    settings = shop_settings(budget_minor=1000)
    now = local("2026-11-25T10:20")  # after the quotes' 10:15 expiry
    rows = compare(order, answers, settings, now, pickup=pickup_quote(settings, order, now))
    flags = {(r.carrier, r.service): r.flags for r in rows}
    assert flags[("fast", "ground")] == (OVER_PROMISE, QUOTE_EXPIRED)  # arrives 13:00, promised 12:30
    assert flags[("fast", "express")] == (OVER_PROMISE, OVER_BUDGET, QUOTE_EXPIRED)
    assert flags[("pickup", "in_store")] == (CUSTOMER_COLLECTS,)


def test_own_van_cost_is_the_cheapest_insertion_into_todays_route(store, shop):
    east, north, west = (40.7410, -73.9750), (40.7530, -73.9897), (40.7410, -74.0040)
    ids = add_orders(store, *[make_order(ref, where) for ref, where in (("A", east), ("B", north), ("C", west))])
    with store.transaction() as conn:
        conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (7, '2026-11-25', 1, '2026-11-25T00:00:00+00:00')")
        for sequence, ref in enumerate(("A", "B", "C")):
            conn.execute("INSERT INTO stops(order_id, route_id, sequence) VALUES (?, 7, ?)", (ids[ref], sequence))
    # Half-way between A and B: the cheapest place is between them.
    between = ((east[0] + north[0]) / 2, (east[1] + north[1]) / 2)
    order = make_order("NEW", between)
    insertion = own_fleet_insertion(store.conn, shop, order, local("2026-11-25T00:00").date())
    assert insertion.route_id == 7 and insertion.position == 1
    # An empty van would drive out and back: dearer than slotting into the existing route.
    with store.transaction() as conn:
        conn.execute("UPDATE vehicles SET active = 0 WHERE id = 1")
    alone = own_fleet_insertion(store.conn, shop, order, local("2026-11-25T00:00").date())
    assert alone.route_id is None and alone.vehicle == "Van 2"
    assert alone.cost.amount_minor > insertion.cost.amount_minor
    assert alone.estimated_arrival > local("2026-11-25T09:00")


def test_van_cost_uses_the_routing_packages_travel_matrix(store, shop):
    from controltower.routing.matrix import OfflineMatrixProvider

    order = make_order("M1", NEAR)
    day = local("2026-11-25T00:00").date()
    straight = own_fleet_insertion(store.conn, shop, order, day)
    planned = own_fleet_insertion(store.conn, shop, order, day, matrix_provider=OfflineMatrixProvider())
    assert planned.vehicle == straight.vehicle and planned.route_id is None
    # The planner drives at the slowest hour's speed, so its estimate is never quicker than 30 km/h straight lines.
    assert planned.extra_minutes >= straight.extra_minutes * 0.9 and planned.cost.amount_minor > 0


def test_no_position_no_van_quote(store, shop):
    assert own_fleet_insertion(store.conn, shop, make_order("X", where=None), local("2026-11-25T00:00").date()) is None


def test_on_time_record_comes_from_delivered_history(store, shop):
    ids = add_orders(store, *[make_order(f"H{i}") for i in range(4)])
    promised = local("2026-11-20T18:00").astimezone(UTC)
    with store.transaction() as conn:
        for i, ref in enumerate(ids):
            delivered_at = promised + timedelta(hours=-1 if i < 3 else 2)
            create_shipment(conn, Shipment(ids[ref], "fast", ShipmentStatus.DELIVERED, promised_by=promised,
                                           status_as_of=delivered_at))
    record = on_time_records(store.conn)["fast"]
    assert (record.on_time, record.delivered) == (3, 4)
    assert record.describe() == "75% on time (3/4)"


def test_shipment_request_carries_shop_and_customer():
    order = make_order("REQ", NEAR, parcels=2)
    request = shipment_request(order, shop_settings(), "REQ-1")
    assert request.pickup.street == "200 5th Ave" and request.pickup_location.lat == SHOP[0]
    assert request.dropoff_contact.name == "Customer REQ" and request.total_weight_g == 2400


def test_a_scheduled_window_is_kept_by_arriving_in_it_not_before(store, shop):
    from controltower.dispatch.rates import BEFORE_WINDOW

    from controltower.domain import DeliveryOption

    slot = window("2026-11-25T15:00", "2026-11-25T17:00")
    order = make_order("W1", NEAR, option=DeliveryOption.SCHEDULED, window=slot)
    answers = asyncio.run(gather_quotes([QuotingCarrier("zippy", {"now": 900}, eta_hours=1)], shipment_request(order, shop, "W1")))
    van = own_fleet_insertion(store.conn, shop, order, local("2026-11-25T00:00").date(), local("2026-11-25T10:30"))
    assert van.estimated_arrival == slot.start  # the van waits for the window
    rows = {r.carrier: r for r in compare(order, answers, shop, local("2026-11-25T10:00"), van)}
    assert rows["zippy"].flags == (BEFORE_WINDOW,) and not rows["zippy"].keeps_promise  # a courier now lands at 11:00
    assert rows["own_fleet"].keeps_promise


def test_the_van_takes_the_cheapest_position_that_still_keeps_the_promise(store, shop):
    north, further = (40.7600, -73.9897), (40.7800, -73.9897)
    ids = add_orders(store, make_order("A", north), make_order("B", further))
    with store.transaction() as conn:
        conn.execute("UPDATE vehicles SET active = 0 WHERE id = 2")
        conn.execute("UPDATE vehicles SET shift_start = '08:00' WHERE id = 1")
        conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (4, '2026-11-25', 1, '2026-11-25T00:00:00+00:00')")
        conn.execute("INSERT INTO stops(order_id, route_id, sequence, service_minutes) VALUES (?, 4, 1, 90), (?, 4, 2, 90)",
                     (ids["A"], ids["B"]))
    # Between A and B is cheapest, but after A's 90-minute stop the van is too late for a 08:00-09:00 promise.
    order = make_order("EARLY", (40.7700, -73.9897), window=window("2026-11-25T08:00", "2026-11-25T09:00"))
    insertion = own_fleet_insertion(store.conn, shop, order, local("2026-11-25T00:00").date())
    assert insertion.position == 0 and insertion.estimated_arrival <= local("2026-11-25T09:00")


def test_waiting_for_a_late_window_on_a_busy_route_is_paid_driver_time(store, shop):
    north = (40.7600, -73.9897)
    ids = add_orders(store, make_order("A", north))
    with store.transaction() as conn:
        conn.execute("UPDATE vehicles SET active = 0 WHERE id = 2")
        conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (6, '2026-11-25', 1, '2026-11-25T00:00:00+00:00')")
        conn.execute("INSERT INTO stops(order_id, route_id, sequence, planned_arrival) VALUES (?, 6, 1, ?)",
                     (ids["A"], local("2026-11-25T09:15").astimezone(UTC).isoformat()))
    day = local("2026-11-25T00:00").date()
    anytime = own_fleet_insertion(store.conn, shop, make_order("N1", (40.7610, -73.9897)), day)
    late_window = own_fleet_insertion(store.conn, shop, make_order("N2", (40.7610, -73.9897),
                                                                  window=window("2026-11-25T12:00", "2026-11-25T13:00")), day)
    assert late_window.estimated_arrival == local("2026-11-25T12:00")
    assert late_window.extra_minutes > anytime.extra_minutes + 120  # nearly three hours parked outside
    assert late_window.cost.amount_minor - anytime.cost.amount_minor > 2500 * 2
