"""The van plan from the forecast (issue 21, item 4): how long the background refresh takes on the demo.

    .venv/bin/python benchmarks/capacity_bench.py [--days 14] [--seconds-per-solve 1.0] [--city helsinki]

A fresh demo store (two years of counts), its forecast refreshed, then every coming day planned at the forecast's
median and 80th percentile with the real route planner, as the app's Forecast job does in its child process.
Last line: JSON with forecast_s, plan_s, per_day_s, days, days_short_p80, vans_needed_p80_max.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controltower.demo import generate  # noqa: E402
from controltower.services.capacity import CapacityService, compute_plan  # noqa: E402
from controltower.services.forecast import ForecastService  # noqa: E402
from controltower.store import Database  # noqa: E402

NOW = datetime(2026, 12, 7, 17, 30, tzinfo=timezone.utc)  # a Monday after closing in Helsinki


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seconds-per-solve", type=float, default=1.0)
    parser.add_argument("--city", default="helsinki", choices=["helsinki", "portland"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        generate(path, seed=7, now=NOW, city_key=args.city)
        db = Database(path)
        try:
            started = time.perf_counter()
            report = ForecastService(db, clock=lambda: NOW).refresh(NOW)
            forecast_s = time.perf_counter() - started
            capacity = CapacityService(db, days=args.days, seconds_per_solve=args.seconds_per_solve)
            started = time.perf_counter()
            plan = compute_plan(capacity.inputs(report, NOW))
            plan_s = time.perf_counter() - started
        finally:
            db.close()
    for day in plan.days:
        print(f"{day.day}  p50 {day.p50.orders:>3} orders {day.p50.vans_needed} vans   "
              f"p80 {day.p80.orders:>3} orders {day.p80.vans_needed} vans  {day.warning()}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(json.dumps({"forecast_s": round(forecast_s, 2), "plan_s": round(plan_s, 2),
                      "per_day_s": round(plan_s / max(len(plan.days), 1), 2), "days": len(plan.days),
                      "days_short_p80": sum(1 for d in plan.days if d.vans_short_p80 > 0),
                      "vans_needed_p80_max": max((d.p80.vans_needed for d in plan.days), default=0),
                      "seconds_per_solve": args.seconds_per_solve, "load_avg": load}))


if __name__ == "__main__":
    main()
