"""Small routing problems built by hand, and a store holding one own-van day."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from controltower.routing.matrix import euclidean_tenths
from controltower.routing.model import DriverBreak, Place, PlanningDepot, PlanningStop, PlanningVehicle, Problem

DATA = Path(__file__).parent / "data"


def plane_problem(points, *, vehicles=1, capacity=100, windows=None, service=0, demand=1, shift=(0, 10**6),
                  driver_break=None, skills=None, vehicle_skills=None, optional=False) -> Problem:
    """Stops at plane points (depot at the origin); arcs are truncated tenths as in the benchmark."""
    depot = PlanningDepot("depot", Place(0, 0), shift[0], shift[1])
    stops = tuple(
        PlanningStop(f"s{i + 1}", Place(*p), delivery=(demand,), service=service,
                     window_start=(windows[i][0] if windows else 0), window_end=(windows[i][1] if windows else 10**6),
                     required_skills=frozenset((skills or {}).get(i, ())), required=not optional,
                     penalty=10**6 if optional else 0)
        for i, p in enumerate(points)
    )
    fleet = tuple(
        PlanningVehicle(f"v{v + 1}", 0, (capacity,), shift[0], shift[1], driver_break,
                        frozenset((vehicle_skills or {}).get(v, ())), name=f"Van {v + 1}")
        for v in range(vehicles)
    )
    matrix = euclidean_tenths([depot.place] + [s.place for s in stops])
    return Problem((depot,), fleet, stops, matrix)


@pytest.fixture
def make_problem():
    return plane_problem


@pytest.fixture
def van_day(store):
    """A store with a depot, two vans (one with a fridge) and 14 own-van orders for 2026-11-26 (shop time UTC)."""
    from controltower.domain import Address, DeliveryOption, GeoPoint, Order, Shipment, TimeWindow
    from controltower.domain.timeutil import UTC
    from controltower.store import orders as order_store
    from controltower.store import shipments as shipment_store

    store.set_setting("shop.timezone", "UTC")
    day = datetime(2026, 11, 26, tzinfo=UTC)
    with store.transaction() as conn:
        conn.execute("INSERT INTO depots(name, lat, lon, opens_at, closes_at) VALUES ('Shop', 45.52, -122.68, '07:00', '21:00')")
        conn.execute("INSERT INTO drivers(name, phone) VALUES ('Dana', '+1 503 555 0100')")
        conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end, break_minutes, "
                     "skills, driver_id, depot_id) VALUES ('Van A', 40, 400000, '08:00', '18:00', 30, 'fridge', 1, 1)")
        conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end, break_minutes, "
                     "skills, depot_id) VALUES ('Van B', 40, 400000, '08:00', '18:00', 30, '', 1)")
        orders = []
        for i in range(14):
            start = day + timedelta(hours=9 + 2 * (i % 4))
            orders.append(Order(
                f"#R{i + 1:03d}", f"Customer {i + 1}" if i else "=HYPERLINK(\"x\") <b>Bold</b>",
                Address(f"{100 + i} Main St", "Portland", "97214"), DeliveryOption.SCHEDULED, day - timedelta(days=1),
                location=GeoPoint(45.52 + 0.004 * ((i * 7) % 11 - 5), -122.68 + 0.005 * ((i * 5) % 13 - 6)),
                promised_window=TimeWindow(start, start + timedelta(hours=2)), parcels=1 + i % 3, weight_g=2000,
            ))
        ids = order_store.upsert_orders(conn, orders).ids
        for order in orders:
            shipment_store.create_shipment(conn, Shipment(order_id=ids[order.order_ref], carrier="own_fleet"))
        conn.execute("INSERT INTO routing_order_needs(order_id, required_skills) VALUES (?, 'fridge')", (ids["#R003"],))
    return store
