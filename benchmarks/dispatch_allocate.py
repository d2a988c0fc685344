"""Dispatch-the-day allocation: exact CP-SAT vs the greedy fallback on synthetic days; last line is one JSON object.

    .venv/bin/python benchmarks/dispatch_allocate.py [--sizes 50,200,400,1500] [--seed 1]

Each size runs twice: `orders_N` with no preferences (cost only, vans capped by parcels), and `orders_N_prefs`,
the same day with the shop's preferences (prefer own vans, 20% kept with Zippy) and the vans' driver time
capped too, with how far each preference was honoured. Zippy, the dearest carrier, is the second carrier, so
its share binds.
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
    args = parser.parse_args()
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        base = synthetic_day(size, args.seed)
        results[f"orders_{size}"] = run(base, size, "")
        van_time = int(0.5 * sum(ways[0].van_seconds for ways in base.choices.values()))  # half the time every order would need
        preferences = Preferences(prefer_own_fleet=True, second_carrier="zippy", second_carrier_share=0.2)
        results[f"orders_{size}_prefs"] = run(replace(base, preferences=preferences, van_seconds=van_time), size, " prefs")
    print(json.dumps({"benchmark": "dispatch_allocate", "seed": args.seed, **results}))


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
