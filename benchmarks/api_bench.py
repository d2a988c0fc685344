"""Local API benchmark: reads of 1,000 orders through the API while an asyncio loop (the window's) ticks.

    python benchmarks/api_bench.py [--orders 1000]

Makes a store with `--orders` orders, serves the API as the app does (uvicorn in a process of its own, over the
same store file; `--in-process` serves it from a thread of this process instead, as the app did before), then from
an asyncio loop reads every order (GET /v1/orders/{id}) and every page of 100 (GET /v1/orders), one at a time, with
a ticker on the same loop. The rate limit is raised for the run (the default 20/s would make it a test of waiting).
Both processes share a keychain in a file (the tests' FileKeyring), as the app's share the computer's.
  p95_ms, median_ms, max_ms   per request, as the calling program sees it
  max_loop_stall_ms           the longest the loop's 5 ms ticker was late while the API served
  idle_loop_stall_ms          the same ticker alone for as long afterwards: what a busy computer adds by itself
Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYCHAIN_MODULES = ROOT / "tests" / "control"
sys.path[:0] = [str(ROOT), str(KEYCHAIN_MODULES)]

import httpx  # noqa: E402
import keyring  # noqa: E402
from file_keyring import FileKeyring  # noqa: E402

from controltower.api.process import ApiProcess  # noqa: E402
from controltower.api.server import LocalApiServer  # noqa: E402
from controltower.domain import Address, DeliveryOption, Order, TimeWindow  # noqa: E402
from controltower.services.core import ControlTower, Options  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.store.orders import upsert_orders  # noqa: E402


def make_store(path: Path, count: int) -> Database:
    db = Database(path)
    now = datetime.now(timezone.utc)
    orders = [Order(f"B-{n:05d}", f"Customer {n}", Address(f"{100 + n} SE Main St", "Portland", "97214"),
                    DeliveryOption.SAME_DAY, now, promised_window=TimeWindow(now, now + timedelta(hours=2)))
              for n in range(count)]
    with db.transaction() as conn:
        upsert_orders(conn, orders)
    return db


async def measure(base_url: str, token: str, ids: list[int]) -> tuple[list[float], float]:
    stall = 0.0
    running = True

    async def ticker() -> None:
        nonlocal stall
        while running:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            stall = max(stall, (time.perf_counter() - before - 0.005) * 1000)

    tick = asyncio.create_task(ticker())
    timings: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        paths = [f"/v1/orders/{i}" for i in ids] + [f"/v1/orders?limit=100&offset={o}" for o in range(0, len(ids), 100)]
        for path in paths:
            started = time.perf_counter()
            answer = await client.get(path)
            answer.raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    running = False
    await tick
    return timings, stall


async def idle_stall(seconds: float) -> float:
    """The same ticker with nothing else running: what the computer itself adds (other processes, scheduling)."""
    stall, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        stall = max(stall, (time.perf_counter() - before - 0.005) * 1000)
    return stall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--in-process", action="store_true", help="serve from a thread of this process (the old way)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(CT_TEST_KEYRING_FILE=str(Path(folder) / "keychain.json"),
                          PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring",
                          PYTHONPATH=os.pathsep.join([str(KEYCHAIN_MODULES), str(ROOT)]))
        keyring.set_keyring(FileKeyring())
        db = make_store(Path(folder) / "bench.db", args.orders)
        core = ControlTower(db, options=Options(sync=False))
        token = core.api_tokens.create("bench")
        if args.in_process:
            server = LocalApiServer(core, port=0, rate_per_second=100_000)
            server.start()
            server.wait_ready()
        else:
            server = ApiProcess(db.path, core.hub, port=0, rate_per_second=100_000)
            server.start()
        ids = [row[0] for row in db.reader().execute("SELECT id FROM orders ORDER BY id")]
        try:
            started = time.perf_counter()
            timings, stall = asyncio.run(measure(server.base_url, token, ids))
            baseline = asyncio.run(idle_stall(time.perf_counter() - started))
        finally:
            server.stop()
            core.close()
    timings.sort()
    result = {"requests": len(timings), "orders": args.orders, "server": "thread" if args.in_process else "process",
              "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2), "median_ms": round(statistics.median(timings), 2),
              "max_ms": round(timings[-1], 2), "max_loop_stall_ms": round(stall, 2),
              "idle_loop_stall_ms": round(baseline, 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
