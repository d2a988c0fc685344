"""Carrier soak: N bookings through the real sync engine and Uber Direct adapter against the fault-injecting sandbox.

    python benchmarks/carrier_soak.py --bookings 1000 --fault-rate 0.2 [--kills 3]

Then compares the sandbox's own record of bookings with the store. With --kills K the engine runs as a
separate process (python -m controltower.sync.run) that is SIGKILLed K times mid-batch and restarted.
Last line: one JSON object with bookings, booked, lost, duplicated, failed_visible (goal: lost = duplicated = 0).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from controltower.carriers.base import Contact, Parcel, ShipmentRequest  # noqa: E402
from controltower.demo.sandbox import COMPANIES, FAULT_KINDS, Faults, SandboxNetwork  # noqa: E402
from controltower.domain import DeliveryOption, Money, Order  # noqa: E402
from controltower.domain.models import Address, GeoPoint  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.store.orders import upsert_orders  # noqa: E402
from controltower.sync import enqueue_booking, outbox  # noqa: E402
from controltower.sync.run import quick_policy, sync_until_idle  # noqa: E402

SHOP = Address("1 Main St", "Springfield", "10001")
SHOP_AT = GeoPoint(40.7306, -73.9866)


def queue_bookings(db: Database, count: int, refused_share: float, rng: random.Random) -> int:
    """N orders, each with a booking in the outbox; a few addresses lie outside every courier's area."""
    created = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
    orders = [Order(order_ref=f"SOAK-{n}", customer_name=f"Customer {n}", address=Address(f"{n} Elm St", "Springfield", "10002"),
                    delivery_option=DeliveryOption.SAME_DAY, created_at=created, value=Money(2500)) for n in range(count)]
    companies, outside = list(COMPANIES), 0
    with db.transaction() as conn:
        upsert_orders(conn, orders)
        ids = dict(conn.execute("SELECT order_ref, id FROM orders").fetchall())
        for n, order in enumerate(orders):
            far = rng.random() < refused_share
            outside += far
            dropoff = GeoPoint(45.5, -122.6) if far else GeoPoint(SHOP_AT.lat + rng.uniform(-0.04, 0.04), SHOP_AT.lon + rng.uniform(-0.05, 0.05))
            request = ShipmentRequest(
                our_reference="-", order_ref=order.order_ref, pickup=SHOP, pickup_contact=Contact("Corner Shop", "+15555550100"),
                dropoff=order.address, dropoff_contact=Contact(order.customer_name, "+15555550101"),
                parcels=(Parcel(1500, description="Order", value=Money(2500)),), value=Money(2500),
                pickup_location=SHOP_AT, dropoff_location=dropoff)
            enqueue_booking(conn, order_id=ids[order.order_ref], carrier=f"sandbox:{companies[n % 3]}", request=request)
    return outside


def run_in_process(db: Database, base_url: str) -> None:
    asyncio.run(sync_until_idle(db, base_url, policy=quick_policy(4), timeout_s=0.5))


def run_with_kills(db_path: Path, base_url: str, kills: int, rng: random.Random) -> int:
    """Start the sync process, SIGKILL it after a random moment, K times; then let one run to the end."""
    command = [sys.executable, "-m", "controltower.sync.run", "--db", str(db_path), "--sandbox-url", base_url,
               "--concurrency", "4", "--timeout", "0.5"]
    done = 0
    for _ in range(kills):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 5.0))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            done += 1
        process.wait()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return done


def compare(db: Database, made: list[dict]) -> dict:
    conn = db.reader()
    rows = conn.execute(
        "SELECT s.id, s.status, s.external_id, b.state, b.last_error FROM shipments s JOIN outbox b ON b.shipment_id = s.id "
        "WHERE b.operation = 'book'").fetchall()
    carrier_ids = Counter(b["id"] for b in made)
    per_reference = Counter(b["external_id"] for b in made)
    per_key = Counter(b["idempotency_key"] for b in made)
    stored_ids = {r["external_id"] for r in rows if r["external_id"]}
    booked = sum(1 for r in rows if r["state"] == "done" and r["external_id"] in carrier_ids)
    failed_visible = sum(1 for r in rows if r["state"] == "failed" and r["status"] == "exception" and r["last_error"])
    silent = sum(1 for r in rows if r["state"] not in ("done", "failed", *outbox.OPEN_STATES)
                 or (r["state"] == "done" and r["external_id"] not in carrier_ids)
                 or (r["state"] == "failed" and not (r["status"] == "exception" and r["last_error"])))
    unknown_to_store = sum(1 for b in made if b["id"] not in stored_ids)
    return {
        "booked": booked,
        "lost": silent + unknown_to_store,
        "duplicated": sum(n - 1 for n in per_reference.values()) + sum(n - 1 for n in per_key.values()),
        "failed_visible": failed_visible,
        "still_queued": sum(1 for r in rows if r["state"] in outbox.OPEN_STATES),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL the sync process this many times mid-batch")
    parser.add_argument("--refused-share", type=float, default=0.02, help="share of addresses outside every courier's area")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    faults = Faults(rate=args.fault_rate, kinds=FAULT_KINDS, hang_s=1.0, retry_after_s=0.2, latency_ms=(5, 25), seed=args.seed)
    with tempfile.TemporaryDirectory() as folder, SandboxNetwork(seed=args.seed, faults=faults) as sandbox:
        db_path = Path(folder) / "soak.db"
        db = Database(db_path)
        outside_area = queue_bookings(db, args.bookings, args.refused_share, rng)
        started = time.perf_counter()
        kills = run_with_kills(db_path, sandbox.base_url, args.kills, rng) if args.kills else run_in_process(db, sandbox.base_url) or 0
        seconds = time.perf_counter() - started
        result = {"bookings": args.bookings, **compare(db, sandbox.bookings()), "outside_area": outside_area,
                  "fault_rate": args.fault_rate,
                  "faults_injected": dict(sorted(sandbox.faults.injected.items())), "sigkills": kills,
                  "carrier_requests": len(sandbox.requests), "seconds": round(seconds, 1)}
        db.close()
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
