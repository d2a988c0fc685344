"""Run the sync engine headless over a store against the sandbox: the soak benchmark's worker and the crash test's victim.

    python -m controltower.sync.run --db store.db --sandbox-url http://127.0.0.1:PORT [--until-idle]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..carriers.sandbox.adapters import sandbox_adapters
from ..events import EventHub
from ..store import Database
from . import outbox
from .backoff import Backoff
from .engine import SyncEngine
from .policy import SyncPolicy


def quick_policy(concurrency: int = 4, track: bool = False) -> SyncPolicy:
    """Short waits, for a local sandbox whose faults are frequent and harmless."""
    return SyncPolicy(backoff=Backoff(base_s=0.05, cap_s=1.0), default_concurrency=concurrency, tick_s=0.05,
                      flush_s=0.1, track=track, offline_probe_s=0.5)


async def sync_until_idle(db: Database, base_url: str, *, policy: SyncPolicy | None = None, timeout_s: float = 1.0,
                          idle_timeout_s: float = 3600.0) -> dict[str, int]:
    """Send every queued write (retrying through faults) and return the outbox's final counts."""
    adapters = sandbox_adapters(base_url, timeout_s=timeout_s)
    engine = SyncEngine(db, adapters, EventHub(), policy or quick_policy())
    engine.start()
    try:
        await engine.run_until_idle(idle_timeout_s)
    finally:
        await engine.stop()
        for adapter in adapters.values():
            await adapter.aclose()
    return outbox.counts(db.reader())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controltower.sync.run")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per carrier call")
    args = parser.parse_args(argv)
    db = Database(args.db)
    try:
        counts = asyncio.run(sync_until_idle(db, args.sandbox_url, policy=quick_policy(args.concurrency),
                                             timeout_s=args.timeout))
    finally:
        db.close()
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
