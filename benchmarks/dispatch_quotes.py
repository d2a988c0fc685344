"""Rate shopping a whole day against the sandbox couriers (one of them hanging): time to a recommendation for every order.

    .venv/bin/python benchmarks/dispatch_quotes.py [--orders 60] [--timeout 1.0]

Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from controltower.demo.sandbox import Faults, SandboxNetwork
from controltower.demo.sandbox.adapters import sandbox_adapters
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import ShopSettings, Zone, save_settings
from controltower.domain import Address, DeliveryOption, GeoPoint, Money, Order, TimeWindow, utcnow
from controltower.store import Database
from controltower.store.orders import upsert_orders

SHOP = (40.7410, -73.9897)


def make_store(path: Path, orders: int, seed: int) -> None:
    db = Database(path)
    save_settings(db, ShopSettings(shop_name="Bench Shop", shop_street="200 5th Ave", shop_city="New York", shop_postcode="10010",
                                   timezone="America/New_York", shop_lat=SHOP[0], shop_lon=SHOP[1],
                                   zones=(Zone("Core", radius_km=6.0),), quote_timeout_s=1.0))
    rng, now = random.Random(seed), utcnow()
    with db.transaction() as conn:
        conn.execute("INSERT INTO depots(id, name, lat, lon) VALUES (1, 'Shop', ?, ?)", SHOP)
        for van in (1, 2, 3):
            conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, depot_id) "
                         "VALUES (?, 30, 400000, '09:00', 1)", (f"Van {van}",))
        upsert_orders(conn, [
            Order(f"B-{n}", f"Customer {n}", Address(f"{n} Main St", "New York", "10017"), DeliveryOption.SAME_DAY, now,
                  phone="+12125550123", location=GeoPoint(SHOP[0] + rng.uniform(-0.12, 0.12), SHOP[1] + rng.uniform(-0.12, 0.12)),
                  promised_window=TimeWindow(now, now + timedelta(hours=rng.choice((3, 6, 10)))), parcels=rng.choice((1, 1, 2)),
                  value=Money(rng.randint(1500, 9000)))
            for n in range(orders)
        ])
    db.close()


async def run(db: Database, base_url: str) -> tuple[float, object]:
    adapters = list(sandbox_adapters(base_url, timeout_s=5.0).values())
    try:
        service = DispatchService(db, adapters=lambda: adapters)
        started = time.perf_counter()
        plan = await service.plan_day()
        return time.perf_counter() - started, plan
    finally:
        for adapter in adapters:
            await adapter.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        make_store(path, args.orders, args.seed)
        db = Database(path)
        with SandboxNetwork(seed=args.seed, faults=Faults(hang_s=4.0)) as network:
            network.faults.force("timeout", times=10 * args.orders, path_contains="/customers/pedal/delivery_quotes")
            seconds, plan = asyncio.run(run(db, network.base_url))
        db.close()
    allocation = plan.allocation
    by_way: dict[str, int] = {}
    for choice in allocation.chosen.values():
        by_way[choice.carrier] = by_way.get(choice.carrier, 0) + 1
    timed_out = sum(1 for c in plan.comparisons.values() for r in c.rows if r.carrier == "sandbox:pedal" and "no answer" in r.error)
    result = {"benchmark": "dispatch_quotes", "orders": args.orders, "seconds": round(seconds, 2),
              "orders_per_second": round(args.orders / seconds, 1), "placed": len(allocation.chosen),
              "unplaced": len(allocation.unplaced), "by_way": by_way, "hanging_carrier_rows_without_answer": timed_out,
              "day_total_minor": allocation.total.amount_minor, "allocation": allocation.method}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
