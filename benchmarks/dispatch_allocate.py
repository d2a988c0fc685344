"""Dispatch-the-day allocation: exact CP-SAT vs the greedy fallback on synthetic days; last line is one JSON object.

    .venv/bin/python benchmarks/dispatch_allocate.py [--sizes 50,200,400,1500] [--seed 1]

Each size runs twice: `orders_N` with no preferences (cost only, vans capped by parcels), and `orders_N_prefs`,
the same day with the shop's preferences (prefer own vans, 20% kept with Zippy) and the vans' driver time
capped too, with how far each preference was honoured. Zippy, the dearest carrier, is the second carrier, so
its share binds.

`vans_together` dispatches a real day through `DispatchService.plan_day` (a temporary store, 3 vans, orders around
Manhattan, no carriers): the van orders' cost priced one by one (what the allocation starts from) vs priced together.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace

from controltower.dispatch.allocate import AllocationProblem, Choice, _solve_greedy, allocate
from controltower.dispatch.policy import Preferences
from controltower.domain import Money


def synthetic_day(orders: int, seed: int) -> AllocationProblem:
    """Each order: a van insertion (cheap near, dear far) and 1-3 carrier quotes; vans take about 40% of parcels."""
    rng = random.Random(seed)
    choices, parcels_total = {}, 0
    for order_id in range(orders):
        parcels = rng.choice((1, 1, 1, 2, 2, 3))
        parcels_total += parcels
        distance_km = rng.uniform(0.5, 25)
        van_seconds = int((4 + distance_km * 1.6) * 60)  # service plus a detour that grows with distance
        ways = [Choice(order_id, "own_fleet", "van", Money(int(150 + distance_km * 60 + rng.uniform(-80, 80))), parcels,
                       van_seconds=van_seconds)]
        for carrier, base, per_km in (("zippy", 900, 110), ("pedal", 600, 60), ("parcelco", 650, 5)):
            if rng.random() < 0.75:
                ways.append(Choice(order_id, carrier, "std", Money(int(base + per_km * distance_km * rng.uniform(0.8, 1.2)))))
        choices[order_id] = tuple(ways)
    limits = {"pedal": orders // 5}
    return AllocationProblem(choices, van_capacity=int(parcels_total * 0.4), carrier_limits=limits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,200,400,1500")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--together", type=int, default=80, help="orders for the vans-together day (0: skip it)")
    args = parser.parse_args()
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        base = synthetic_day(size, args.seed)
        results[f"orders_{size}"] = run(base, size, "")
        van_time = int(0.5 * sum(ways[0].van_seconds for ways in base.choices.values()))  # half the time every order would need
        preferences = Preferences(prefer_own_fleet=True, second_carrier="zippy", second_carrier_share=0.2)
        results[f"orders_{size}_prefs"] = run(replace(base, preferences=preferences, van_seconds=van_time), size, " prefs")
    if args.together:
        results["vans_together"] = vans_together(args.together, args.seed)
        print(f"vans together: {results['vans_together']}", flush=True)
    print(json.dumps({"benchmark": "dispatch_allocate", "seed": args.seed, **results}))


def vans_together(orders: int, seed: int) -> dict:
    import asyncio
    import re
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from controltower.dispatch.service import DispatchService
    from controltower.dispatch.settings import ShopSettings, Zone, save_settings
    from datetime import datetime

    from controltower.domain import UTC, Address, DeliveryOption, GeoPoint, Order, TimeWindow
    from controltower.store import Database
    from controltower.store.orders import upsert_orders

    shop = (40.7410, -73.9897)
    rng, now = random.Random(seed), datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York: the same day every run
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        save_settings(db, ShopSettings(shop_name="Bench Shop", timezone="America/New_York", shop_lat=shop[0], shop_lon=shop[1],
                                       zones=(Zone("Core", radius_km=12.0),)))
        with db.transaction() as conn:
            conn.execute("INSERT INTO depots(id, name, lat, lon) VALUES (1, 'Shop', ?, ?)", shop)
            for van in (1, 2, 3):
                conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end, depot_id) "
                             "VALUES (?, 40, 400000, '09:00', '19:00', 1)", (f"Van {van}",))
            upsert_orders(conn, [
                Order(f"B-{n}", f"Customer {n}", Address(f"{n} Main St", "New York", "10017"), DeliveryOption.SAME_DAY, now,
                      location=GeoPoint(shop[0] + rng.uniform(-0.08, 0.08), shop[1] + rng.uniform(-0.08, 0.08)),
                      promised_window=TimeWindow(now, now + timedelta(hours=12)), parcels=rng.choice((1, 1, 2)))
                for n in range(orders)])
        service = DispatchService(db, adapters=lambda: [], clock=lambda: now)
        started = time.perf_counter()
        plan = asyncio.run(service.plan_day())
        seconds = time.perf_counter() - started
        db.close()
    note = next((n for n in plan.allocation.notes if n.startswith("Own vans:")), "")
    amounts = [int(a.replace(",", "").replace(".", "")) for a in re.findall(r"\$([\d,]+\.\d\d)", note)]
    return {"orders": orders, "plan_day_seconds": round(seconds, 2), "van_orders": len(plan.allocation.chosen),
            "together_minor": amounts[0] if amounts else None, "one_by_one_minor": amounts[1] if len(amounts) > 1 else None}


def honoured(problem: AllocationProblem, allocation) -> dict:
    """How far the preferences were kept: orders on vans, van parcels and time used, the second carrier's share."""
    chosen = list(allocation.chosen.values())
    bookings = [c for c in chosen if c.carrier != "own_fleet"]
    van = [c for c in chosen if c.carrier == "own_fleet"]
    return {"van_orders": len(van), "van_parcels": f"{sum(c.van_parcels for c in van)}/{problem.van_capacity}",
            "van_hours": f"{sum(c.van_seconds for c in van) / 3600:.1f}/{(problem.van_seconds or 0) / 3600:.1f}",
            "second_share": round(sum(1 for c in bookings if c.carrier == "zippy") / max(len(bookings), 1), 3),
            "notes": list(allocation.notes)}


def run(problem: AllocationProblem, size: int, tag: str) -> dict:
    """Both paths on one day: what the app runs (`allocate`) and the greedy alone, with the gap between them."""
    started = time.perf_counter()
    chosen = allocate(problem)  # the defaults the app uses
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    greedy = _solve_greedy(problem)
    greedy_seconds = time.perf_counter() - started
    entry = {"method": chosen.method, "optimal": chosen.proven_optimal, "seconds": round(seconds, 3),
             "total_minor": chosen.total.amount_minor, "unplaced": len(chosen.unplaced),
             "greedy_seconds": round(greedy_seconds, 3), "greedy_total_minor": greedy.total.amount_minor,
             "greedy_unplaced": len(greedy.unplaced)}
    if chosen.method == "exact" and not greedy.unplaced and not chosen.unplaced:
        entry["greedy_gap_pct"] = round(100 * (greedy.total.amount_minor - chosen.total.amount_minor) / chosen.total.amount_minor, 2)
    if problem.preferences != Preferences():
        entry.update(honoured(problem, chosen))
        entry["greedy_honoured"] = honoured(problem, greedy)
    print(f"{size:>5} orders{tag}: {entry}", flush=True)
    return entry


if __name__ == "__main__":
    main()
