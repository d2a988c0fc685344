"""Dispatch-the-day allocation: exact CP-SAT vs the greedy fallback on synthetic days; last line is one JSON object.

    .venv/bin/python benchmarks/dispatch_allocate.py [--sizes 50,200,400,1500] [--seed 1]
"""
from __future__ import annotations

import argparse
import json
import random
import time

from controltower.dispatch.allocate import AllocationProblem, Choice, _solve_greedy, allocate
from controltower.domain import Money


def synthetic_day(orders: int, seed: int) -> AllocationProblem:
    """Each order: a van insertion (cheap near, dear far) and 1-3 carrier quotes; vans take about 40% of parcels."""
    rng = random.Random(seed)
    choices, parcels_total = {}, 0
    for order_id in range(orders):
        parcels = rng.choice((1, 1, 1, 2, 2, 3))
        parcels_total += parcels
        distance_km = rng.uniform(0.5, 25)
        ways = [Choice(order_id, "own_fleet", "van", Money(int(150 + distance_km * 60 + rng.uniform(-80, 80))), parcels)]
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
        problem = synthetic_day(size, args.seed)
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
        results[f"orders_{size}"] = entry
        print(f"{size:>5} orders: {entry}", flush=True)
    print(json.dumps({"benchmark": "dispatch_allocate", "seed": args.seed, **results}))


if __name__ == "__main__":
    main()
