"""SIGKILL of a sync process mid-batch, then a restart: no booking lost, none made twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from controltower.demo.sandbox import Faults, SandboxNetwork
from controltower.domain import ShipmentStatus
from controltower.sync import outbox

from .conftest import make_orders
from .helpers import book

BOOKINGS = 90


def sync_process(start, db_path, base_url) -> subprocess.Popen:
    return start([sys.executable, "-m", "controltower.sync.run", "--db", str(db_path), "--sandbox-url", base_url,
                  "--concurrency", "2", "--timeout", "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_mid_batch_then_restart_loses_and_doubles_nothing(store, child_processes):
    faults = Faults(rate=0.2, hang_s=0.8, retry_after_s=0.1, latency_ms=(15, 40))
    with SandboxNetwork(seed=9, faults=faults) as sandbox:
        companies = ("zippy", "pedal", "metro")
        writes = [book(store, order_id, companies[n % 3]) for n, order_id in enumerate(make_orders(store, BOOKINGS, "K"))]

        victim = sync_process(child_processes, store.path, sandbox.base_url)
        deadline = time.monotonic() + 60
        while len(sandbox.bookings()) < BOOKINGS // 3 and time.monotonic() < deadline and victim.poll() is None:
            time.sleep(0.01)
        assert victim.poll() is None, "the sync process finished before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        counts = outbox.counts(store.reader())
        assert counts.get("done", 0) < BOOKINGS  # really mid-batch

        survivor = sync_process(child_processes, store.path, sandbox.base_url)
        out, err = survivor.communicate(timeout=120)
        assert survivor.returncode == 0, err.decode()[-2000:]
        made = sandbox.bookings()

    keys = Counter(b["idempotency_key"] for b in made)
    references = Counter(b["external_id"] for b in made)
    assert max(keys.values()) == 1 and max(references.values()) == 1  # nothing booked twice
    assert set(keys) == {w.idempotency_key for w in writes}            # nothing lost
    stored = {row["external_id"]: row["status"] for row in store.reader().execute("SELECT external_id, status FROM shipments")}
    assert set(stored) == {b["id"] for b in made}                       # the store knows every booking the carrier has
    assert set(stored.values()) == {ShipmentStatus.BOOKED.value}
    assert outbox.counts(store.reader()) == {"done": BOOKINGS}
