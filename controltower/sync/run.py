"""Run the sync engine headless over a store: the app's sync process, the soak benchmark's worker, the crash test's victim.

    python -m controltower.sync.run --db store.db --sandbox-url http://127.0.0.1:PORT          # send the outbox, exit
    python -m controltower.sync.run --serve --db store.db --adapters module:function          # the app's child process

In --serve mode hub events go to stdout as JSON lines and stdin takes commands: wake, retry, refresh, stop
(end of stdin = stop). `--adapters module:function` names a function(db) -> {carrier code: adapter}.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import threading
import time

from ..demo.sandbox.adapters import sandbox_adapters
from ..kernel.events import EventHub
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


FORWARDED = ("sync.state", "shipments.changed", "sync.refreshed")


def _adapters(db: Database, args) -> dict:
    if args.adapters:
        module, _, name = args.adapters.partition(":")
        return getattr(importlib.import_module(module), name)(db)
    return sandbox_adapters(args.sandbox_url, timeout_s=args.timeout)


async def serve(db: Database, args) -> None:
    """Run until told to stop (or stdin closes), reporting hub events on stdout."""
    from .process import encode_event

    loop = asyncio.get_running_loop()
    hub, stopping = EventHub(), asyncio.Event()
    lock = threading.Lock()

    def report(topic: str, payload: dict) -> None:
        if topic in FORWARDED:
            with lock:
                sys.stdout.write(encode_event(topic, payload) + "\n")
                sys.stdout.flush()

    hub.subscribe("*", report)
    adapters = _adapters(db, args)
    policy = SyncPolicy(default_concurrency=args.concurrency, cadence_scale=args.cadence_scale)
    engine = SyncEngine(db, adapters, hub, policy)
    engine.start()

    async def refresh() -> None:
        started = time.perf_counter()
        count = await engine.tracking.refresh_all()
        hub.publish("sync.refreshed", shipments=count, seconds=time.perf_counter() - started)

    commands = {"wake": engine.wake, "retry": lambda: loop.create_task(engine.retry_now()),
                "refresh": lambda: loop.create_task(refresh()), "stop": stopping.set}

    def read_commands() -> None:
        for line in sys.stdin:
            action = commands.get(line.strip())
            if action is not None:
                loop.call_soon_threadsafe(action)
        loop.call_soon_threadsafe(stopping.set)  # the app is gone

    threading.Thread(target=read_commands, name="sync-commands", daemon=True).start()
    await stopping.wait()
    await engine.stop()
    for adapter in adapters.values():
        await adapter.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controltower.sync.run")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sandbox-url", default="")
    parser.add_argument("--adapters", default="", help="module:function(db) -> {carrier code: adapter}")
    parser.add_argument("--serve", action="store_true", help="keep running: poll tracking, take commands on stdin")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cadence-scale", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per carrier call")
    args = parser.parse_args(argv)
    if not (args.sandbox_url or args.adapters):
        parser.error("give --sandbox-url or --adapters")
    db = Database(args.db)
    try:
        if args.serve:
            asyncio.run(serve(db, args))
            return 0
        counts = asyncio.run(sync_until_idle(db, args.sandbox_url, policy=quick_policy(args.concurrency),
                                             timeout_s=args.timeout))
    finally:
        db.close()
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
