"""Generated city delivery days (promise slots, parcels, returns, a fridge van, breaks) for demos and benchmarks."""
from __future__ import annotations

import math
import random
from datetime import datetime

from ..domain.timeutil import UTC
from .matrix import OfflineMatrixProvider
from .model import DriverBreak, Place, PlanningDepot, PlanningStop, PlanningVehicle, Problem

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
