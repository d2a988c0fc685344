"""Generated city delivery days (promise slots, parcels, returns, a fridge van, breaks) for demos and benchmarks."""
from __future__ import annotations

import math
import random
from datetime import datetime

from ..domain.timeutil import UTC
from ..routing.matrix import OfflineMatrixProvider
from ..routing.model import DriverBreak, Place, PlanningDepot, PlanningStop, PlanningVehicle, Problem

HOUR = 3600
CENTRE = Place(-122.676, 45.523)  # a mid-sized city centre; only the geometry matters


def city_day(stops: int = 400, vehicles: int | None = None, seed: int = 0, breaks: bool = True,
             penalty: int = 1_000_000) -> Problem:
    """A realistic own-fleet day: clustered addresses within ~12 km, 2-hour promise slots for most orders.

    Every stop is optional at a high penalty, as in the app: the solver serves all it can and says why not
    for the rest.
    """
    rng = random.Random(seed)
    vehicles = vehicles or max(1, math.ceil(stops / 38))
    km_lat, km_lon = 1 / 111.0, 1 / (111.0 * math.cos(math.radians(CENTRE.y)))
    clusters = [(rng.gauss(0, 5), rng.gauss(0, 5)) for _ in range(max(3, stops // 40))]
    depot = PlanningDepot("depot", Place(CENTRE.x + 2 * km_lon, CENTRE.y - 3 * km_lat), 7 * HOUR, 21 * HOUR, "Warehouse")
    slots = [(h * HOUR, (h + 2) * HOUR) for h in range(9, 19, 2)]
    planned = []
    for i in range(stops):
        cx, cy = rng.choice(clusters) if rng.random() < 0.7 else (rng.uniform(-12, 12), rng.uniform(-12, 12))
        place = Place(CENTRE.x + (cx + rng.gauss(0, 1.2)) * km_lon, CENTRE.y + (cy + rng.gauss(0, 1.2)) * km_lat)
        start, end = rng.choice(slots) if rng.random() < 0.65 else (9 * HOUR, 19 * HOUR)
        parcels, grams = rng.randint(1, 3), rng.randint(300, 12_000)
        is_return = rng.random() < 0.05
        planned.append(PlanningStop(
            f"S{i + 1:04d}", place,
            delivery=(0, 0) if is_return else (parcels, grams),
            pickup=(parcels, grams) if is_return else (0, 0),
            service=rng.randint(120, 360), window_start=start, window_end=end,
            required_skills=frozenset({"fridge"}) if rng.random() < 0.03 else frozenset(),
            priority=1 if rng.random() < 0.1 else 0, required=False, penalty=penalty,
            name=f"Customer {i + 1}",
        ))
    fleet = tuple(
        PlanningVehicle(
            f"V{v + 1}", 0, (90, 700_000), 8 * HOUR, 20 * HOUR,
            DriverBreak(12 * HOUR, 14 * HOUR, 30 * 60) if breaks else None,
            frozenset({"fridge"}) if v == 0 else frozenset(), name=f"Van {v + 1}",
        )
        for v in range(vehicles)
    )
    places = [depot.place] + [s.place for s in planned]
    matrix = OfflineMatrixProvider().matrix(places, hours=(8, 20))
    return Problem((depot,), fleet, tuple(planned), matrix, day_origin=datetime(2026, 11, 26, tzinfo=UTC),
                   name=f"city day {stops} stops, seed {seed}")


def write_van_day(db, plan_date: str = "2026-11-26", orders: int = 14, vans: int = 2, seed: int = 0,
                  timezone: str = "UTC", skills: dict[int, str] | None = None) -> list[int]:
    """Writes a depot, vans with drivers and `orders` own-van orders with 2-hour promises into a store.

    For tests, benchmarks and trying the Routes area; the app's own demo lives in controltower.demo.
    Returns the order ids. `skills` maps an order's position to the skill it needs (e.g. {2: "fridge"}).
    """
    from datetime import date, timedelta
    from zoneinfo import ZoneInfo

    from ..domain import Address, DeliveryOption, GeoPoint, Order, Shipment, TimeWindow
    from ..store import fleet, shop_clock
    from ..store import orders as order_store
    from ..store import shipments as shipment_store

    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    day = datetime.combine(date.fromisoformat(plan_date), datetime.min.time(), tz)
    db.set_setting(shop_clock.SETTING, timezone)
    with db.transaction() as conn:
        depot_id = fleet.add_depot(conn, "Shop", GeoPoint(45.52, -122.68), street="1 Depot Way", city="Portland",
                                   opens_at="07:00", closes_at="21:00")
        for v in range(vans):
            driver = fleet.add_driver(conn, f"Driver {v + 1}", f"+1 503 555 01{v:02d}")
            fleet.add_vehicle(conn, f"Van {chr(65 + v)}", capacity_parcels=60, capacity_weight_g=600_000, shift_start="08:00",
                              shift_end="18:00", break_minutes=30, skills="fridge" if v == 0 else "", driver_id=driver,
                              depot_id=depot_id)
        batch = []
        for i in range(orders):
            start = day + timedelta(hours=9 + 2 * rng.randrange(4))
            batch.append(Order(
                f"#R{i + 1:04d}", f"Customer {i + 1}", Address(f"{100 + i} Main St", "Portland", "97214"),
                DeliveryOption.SCHEDULED, day - timedelta(days=1),
                location=GeoPoint(45.52 + rng.uniform(-0.03, 0.03), -122.68 + rng.uniform(-0.04, 0.04)),
                promised_window=TimeWindow(start, start + timedelta(hours=2)), parcels=1 + rng.randrange(3), weight_g=2000,
            ))
        ids = order_store.upsert_orders(conn, batch).ids
        for order in batch:
            shipment_store.create_shipment(conn, Shipment(order_id=ids[order.order_ref], carrier="own_fleet"))
        for position, skill in (skills or {}).items():
            fleet.set_order_needs(conn, ids[batch[position].order_ref], skill)
    return [ids[o.order_ref] for o in batch]
