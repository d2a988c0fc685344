"""KPI and exception-engine benchmark on the store benchmark's database shape.

    python benchmarks/kpi_bench.py --orders 1000000

Builds the store with benchmarks/store_bench.py's bulk SQL (a year of orders, tracking events), then fills in what
the control tower reads with more bulk SQL: delivery times, costs and quotes, failed attempts, past exception cases,
customer messages, own-fleet routes and stops. Shipments older than a week are settled (delivered, returned or
cancelled) as in a real shop. Then it times:
  kpi_ms                 all KPI panels, the scorecard and the cost table for the last 30 days, warm (median of 3)
  kpi_cold_ms            the same, the first time with no day stored in kpi_days (the first start after an upgrade)
  cold_kpi_ms            the same in a fresh process with the days stored by an earlier one: the realistic restart
                         (median of 3 processes; cold_kpi_runs_ms each, cold_kpi_computed_days what they recomputed)
  exceptions_refresh_ms  a steady-state refresh of every exception rule (median of 3, after the first)
  max_loop_stall_ms      the longest an asyncio loop ticking every 5 ms waited while both ran in a worker thread
Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from controltower.control.engine import ExceptionEngine  # noqa: E402
from controltower.control.kpis import KpiService, Period  # noqa: E402
from controltower.domain.timeutil import UTC  # noqa: E402
from controltower.store import Database  # noqa: E402
from store_bench import timed  # noqa: E402  (one timer for every benchmark)

END = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # store_bench's orders run for a year up to here


def enrich(path: Path) -> None:
    db = Database(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    # Settle anything older than a week; the last week keeps store_bench's mix of open statuses.
    conn.execute("""UPDATE shipments SET status = CASE id % 40 WHEN 0 THEN 'returned' WHEN 1 THEN 'cancelled' ELSE 'delivered' END
                    WHERE created_at < '2026-11-18' AND status NOT IN ('delivered', 'returned', 'cancelled')""")
    # Delivered 16-30 h after booking (some late against the 22 h promise); costs near the quote.
    conn.execute("""UPDATE shipments SET
        status_as_of = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, printf('+%d minutes', 960 + (id * 37) % 840)),
        last_event_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+4 hours'),
        promised_by = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+22 hours'),
        quoted_cost_minor = CASE carrier WHEN 'own_fleet' THEN NULL ELSE 600 + (id * 13) % 900 END,
        cost_minor = CASE carrier WHEN 'own_fleet' THEN NULL ELSE 600 + (id * 13) % 900 + CASE WHEN id % 25 = 0 THEN 300 ELSE 0 END END,
        eta = CASE WHEN status IN ('in_transit', 'out_for_delivery') THEN
              strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, printf('+%d hours', 18 + id % 10)) END""")
    conn.execute("""INSERT INTO tracking_events(shipment_id, carrier, tracking_number, event_key, status, raw_text, event_time, received_at)
        SELECT id, carrier, tracking_number, 'fa:' || id, 'failed_attempt',
               CASE WHEN id % 3 = 0 THEN 'No one home' ELSE 'Business closed' END,
               strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+12 hours'), created_at
        FROM shipments WHERE id % 17 = 0""")
    conn.execute("""INSERT INTO exceptions(kind, severity, cause_key, order_id, shipment_id, summary, opened_at, resolved_at, resolution)
        SELECT CASE id % 3 WHEN 0 THEN 'late' WHEN 1 THEN 'failed_attempt' ELSE 'stalled' END, 'high', 'past:' || id, order_id, id,
               'history', strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+20 hours'),
               strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, printf('+%d hours', 21 + id % 30)), 'sorted'
        FROM shipments WHERE id % 29 = 0 AND created_at < '2026-11-18'""")
    conn.execute("""INSERT INTO notifications(order_id, channel, template, recipient, status, dedup_key, created_at, sent_at)
        SELECT order_id, CASE id % 2 WHEN 0 THEN 'email' ELSE 'sms' END, 'booked', 'c@example.com',
               CASE WHEN id % 31 = 0 THEN 'failed' ELSE 'sent' END, 'bench:' || id, created_at, created_at
        FROM shipments WHERE id % 4 = 0""")
    conn.executemany("INSERT INTO drivers(id, name) VALUES (?, ?)", [(n, f"Driver {n}") for n in range(1, 6)])
    conn.executemany("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, driver_id) "
                     "VALUES (?, ?, 80, 800000, '08:00', '17:00', ?)", [(n, f"Van {n}", n) for n in range(1, 6)])
    conn.execute("""WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k < 366)
        INSERT INTO routes(plan_date, vehicle_id, status, distance_m, duration_s, created_at)
        SELECT date('2025-11-25', printf('+%d days', d.k)), v.id, 'done', 60000 + (d.k * 7 + v.id * 13) % 40000,
               21600 + (d.k * 11 + v.id) % 7200, '2025-11-25T00:00:00+00:00' FROM d, vehicles v""")
    conn.execute("""INSERT INTO stops(order_id, route_id, kind, sequence, planned_arrival, actual_arrival, status)
        SELECT s.order_id, r.id, 'delivery', s.id % 1000,
               strftime('%Y-%m-%dT%H:%M:%S+00:00', s.created_at, '+20 hours'),
               CASE WHEN s.status = 'delivered' THEN s.status_as_of END,
               CASE WHEN s.status = 'delivered' THEN 'delivered' ELSE 'planned' END
        FROM shipments s JOIN routes r ON r.plan_date = date(s.created_at, '+1 day') AND r.vehicle_id = 1 + s.id % 5
        WHERE s.carrier = 'own_fleet'""")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    db.close()


async def loop_stall(work) -> tuple[float, float]:
    """Run `work` in a thread while the loop ticks every 5 ms; (max lateness of a tick, work ms)."""
    worst = 0.0
    done = False

    async def ticker():
        nonlocal worst
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, (time.perf_counter() - before - 0.005) * 1000)

    tick = asyncio.create_task(ticker())
    start = time.perf_counter()
    await asyncio.to_thread(work)
    elapsed = (time.perf_counter() - start) * 1000
    done = True
    await tick
    return worst, elapsed


def all_panels(kpis: KpiService, period: Period) -> None:
    """Everything the KPI panel shows."""
    kpis.panels(period)
    kpis.scorecard(period)
    kpis.cost_breakdown(period)


def forget_stored_days(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM kpi_days")


def restart(path: Path, period: Period) -> dict:
    """In this fresh process: open the store and show the KPI panel once, as the app does after a restart."""
    start = time.perf_counter()
    db = Database(path)
    kpis = KpiService(db)
    opened = time.perf_counter()
    all_panels(kpis, period)
    done = time.perf_counter()
    computed = sorted({day for family in kpis.families.values() for day in family.computed_days})
    return {"open_ms": round((opened - start) * 1000, 1), "cold_kpi_ms": round((done - opened) * 1000, 1),
            "computed_days": computed}


def restarts(path: Path, now: datetime, runs: int = 3) -> list[dict]:
    """`restart` in `runs` fresh processes, one after another."""
    results = []
    for _ in range(runs):
        child = subprocess.run([sys.executable, __file__, "--restart-child", "--db", str(path), "--now", now.isoformat()],
                               capture_output=True, text=True, check=True)
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=None, help="tracking events (default 3 per order)")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--restart-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--now", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.restart_child:
        print(json.dumps(restart(args.db, Period.last_days(30, datetime.fromisoformat(args.now), zone=UTC))))
        return 0
    events = args.events if args.events is not None else 3 * args.orders
    path = args.db or Path(f"/tmp/ct-kpi-bench-{args.orders}-{events}.db")
    build_s = 0.0
    if args.rebuild or not path.exists():
        import store_bench

        start = time.perf_counter()
        store_bench.build(path, args.orders, events)
        enrich(path)
        build_s = time.perf_counter() - start
        print(f"built {path} in {build_s:.1f} s", file=sys.stderr)

    db = Database(path)
    now = END - timedelta(hours=6)
    period = Period.last_days(30, now, zone=UTC)  # the bench store keeps no shop zone: the computer's, UTC here
    kpis = KpiService(db)
    forget_stored_days(db)
    kpi_cold_ms = timed(lambda: all_panels(kpis, period), repeat=1)  # every day of both periods computed from the store
    kpi_ms = timed(lambda: all_panels(kpis, period))  # warm: only days whose shipments changed are recomputed
    engine = ExceptionEngine(db, clock=lambda: now)
    first = engine.refresh(now)
    refresh_ms = timed(lambda: engine.refresh(now + timedelta(minutes=5)))
    stall_refresh, _ = asyncio.run(loop_stall(lambda: engine.refresh(now + timedelta(minutes=10))))
    forget_stored_days(db)  # the worst case again: a fresh service computing every day (and storing them)
    stall_kpis, _ = asyncio.run(loop_stall(lambda: all_panels(KpiService(db), period)))
    stall_idle, _ = asyncio.run(loop_stall(lambda: time.sleep(1)))  # the machine's own jitter, for reference
    restarted = restarts(path, now)
    result = {
        "orders": db.scalar("SELECT count(*) FROM orders"), "events": db.scalar("SELECT count(*) FROM tracking_events"),
        "open_shipments": db.scalar("SELECT count(*) FROM shipments WHERE status NOT IN ('delivered', 'returned', 'cancelled')"),
        "kpi_ms": round(kpi_ms, 1), "kpi_cold_ms": round(kpi_cold_ms, 1),
        "cold_kpi_ms": statistics.median(run["cold_kpi_ms"] for run in restarted),
        "cold_kpi_runs_ms": [run["cold_kpi_ms"] for run in restarted], "cold_open_ms": restarted[0]["open_ms"],
        "cold_kpi_computed_days": restarted[0]["computed_days"], "exceptions_refresh_ms": round(refresh_ms, 1),
        "first_refresh_ms": round(first.seconds * 1000, 1), "exceptions_opened_first": first.opened,
        "open_exceptions": first.still_open, "max_loop_stall_ms": round(max(stall_refresh, stall_kpis), 1),
        "loop_stall_refresh_ms": round(stall_refresh, 1), "loop_stall_kpis_ms": round(stall_kpis, 1),
        "loop_stall_idle_ms": round(stall_idle, 1), "build_s": round(build_s, 1),
    }
    db.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
