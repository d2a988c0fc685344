"""Sync benchmark: a tracking refresh of N open shipments across three couriers while a Qt event loop runs (qasync).

    python benchmarks/sync_bench.py --shipments 10000 --concurrency 16

The sandbox runs as its own process (so its threads don't share our GIL) and answers each call after
50-200 ms; the real sync engine and Uber Direct adapter poll every shipment once, with a concurrency
limit per carrier, and write the events in batches on the database thread. `--engine` says where the
engine runs (child process, own thread, or the Qt loop itself). A probe measures how late the
Qt/asyncio loop runs its timers. Last line: one JSON object with shipments, shipments_per_s, max_loop_stall_ms.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from controltower.demo.sandbox import COMPANIES, sandbox_adapters  # noqa: E402
from controltower.domain.timeutil import to_iso, utcnow  # noqa: E402
from controltower.kernel.events import EventHub  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.sync import SyncEngine, SyncPolicy  # noqa: E402
from controltower.sync.process import ProcessSyncEngine  # noqa: E402
from controltower.sync.threaded import ThreadedSyncEngine  # noqa: E402

PROBE_S = 0.005


def start_sandbox(latency: tuple[float, float]) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "controltower.demo.sandbox", "--seed", "3"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def seed(base_url: str, db: Database, count: int, latency: tuple[float, float]) -> None:
    """Open deliveries at the sandbox and the matching booked shipments in the store."""
    companies = list(COMPANIES)
    now = to_iso(utcnow())
    with httpx.Client(base_url=base_url, timeout=120) as admin, db.transaction() as conn:
        for index, company in enumerate(companies):
            share = count // len(companies) + (1 if index < count % len(companies) else 0)
            ids = admin.post("/_sandbox/seed", json={"customer": company, "count": share}).json()["ids"]
            for delivery_id in ids:
                order_id = conn.execute(
                    "INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option, status, carrier) "
                    "VALUES (?, ?, ?, ?, 'same_day', 'booked', ?)",
                    (f"B-{delivery_id}", now, now, "Bench customer", f"sandbox:{company}")).lastrowid
                conn.execute(
                    "INSERT INTO shipments(order_id, carrier, status, status_as_of, external_id, tracking_number, created_at, updated_at) "
                    "VALUES (?, ?, 'booked', ?, ?, ?, ?, ?)",
                    (order_id, f"sandbox:{company}", now, delivery_id, delivery_id, now, now))
        admin.post("/_sandbox/faults", json={"latency_ms": list(latency)})


class GcWatch:
    """The longest garbage-collector pause, which stops every thread."""

    def __init__(self) -> None:
        self.longest_ms, self._started = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._started) * 1000)


class StallProbe:
    """How late the loop runs a timer that should fire every 5 ms: the longest wait is the worst stall."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self.times: list[float] = []
        self.running = True

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.running:
            before = loop.time()
            await asyncio.sleep(PROBE_S)
            self.stalls.append(max(0.0, loop.time() - before - PROBE_S) * 1000)
            self.times.append(before)


async def refresh(db: Database, base_url: str, concurrency: int, mode: str) -> dict:
    policy = SyncPolicy(default_concurrency=concurrency, cadence_scale=1000, sweep_s=3600, tick_s=0.25)
    hub = EventHub()
    if mode == "process":
        engine = ProcessSyncEngine(db.path, hub, sandbox_url=base_url, concurrency=concurrency, cadence_scale=1000)
    else:
        engine = (SyncEngine if mode == "qt_loop" else ThreadedSyncEngine)(db, sandbox_adapters(base_url, timeout_s=10.0), hub, policy)
    probe = StallProbe()
    probe_task = asyncio.ensure_future(probe.run())
    await asyncio.sleep(5.0)  # the same probe with no engine at all: how noisy the machine itself is
    baseline = sorted(probe.stalls)
    engine.start()
    await asyncio.sleep(1.5 if mode == "process" else 0.5)  # the child process imports its modules first
    probe.stalls.clear()
    gc_watch = GcWatch()
    started = time.perf_counter()
    if mode == "qt_loop":
        polled = await engine.tracking.refresh_all()
    else:
        polled = await engine.refresh_tracking()
    seconds = time.perf_counter() - started
    stalls = list(probe.stalls)
    probe.running = False
    await probe_task
    await engine.stop()
    if mode == "qt_loop":
        for adapter in engine.adapters.values():
            await adapter.aclose()
    return {"polled": polled, "seconds": seconds, "stalls": stalls, "longest_gc_ms": gc_watch.longest_ms,
            "baseline_max_ms": baseline[-1] if baseline else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16, help="calls in flight per carrier")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(50.0, 200.0))
    parser.add_argument("--engine", choices=("process", "thread", "qt_loop"), default="process",
                        help="where the engine runs: a child process (the app's choice), its own thread, or the Qt loop")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication
    import qasync

    sandbox, base_url = start_sandbox(tuple(args.latency_ms))
    try:
        with tempfile.TemporaryDirectory() as folder:
            db = Database(Path(folder) / "bench.db")
            seed(base_url, db, args.shipments, tuple(args.latency_ms))
            app = QApplication.instance() or QApplication([])
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                outcome = loop.run_until_complete(refresh(db, base_url, args.concurrency, args.engine))
            events = db.scalar("SELECT COUNT(*) FROM tracking_events")
            db.close()
    finally:
        sandbox.stdin.close()
        sandbox.wait(timeout=30)
    stalls = sorted(outcome["stalls"]) or [0.0]
    print(json.dumps({
        "shipments": outcome["polled"],
        "shipments_per_s": round(outcome["polled"] / outcome["seconds"], 1),
        "max_loop_stall_ms": round(stalls[-1], 1),
        "p99_loop_stall_ms": round(stalls[int(len(stalls) * 0.99) - 1], 1),
        "median_loop_stall_ms": round(statistics.median(stalls), 2),
        "stalls_over_50ms": sum(1 for s in stalls if s > 50), "probes": len(stalls),
        "idle_baseline_max_stall_ms": round(outcome["baseline_max_ms"], 1),
        "seconds": round(outcome["seconds"], 1),
        "carriers": len(COMPANIES), "concurrency_per_carrier": args.concurrency,
        "latency_ms": list(args.latency_ms), "events_stored": events,
        "longest_gc_pause_ms": round(outcome["longest_gc_ms"], 1),
        "engine": args.engine, "load_average_1m": round(os.getloadavg()[0], 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
