"""The sync engine in a child process: carrier traffic can never hold the window's Python (GIL) or its loop.

The child (`python -m controltower.sync.run --serve`) works on the same store file (SQLite WAL allows
both) and reports its hub events as JSON lines; the parent republishes them on its own hub, on its own
loop's thread. Writes are still queued by the app in the outbox; `wake()` tells the child to look now.
If the app dies, the child sees its stdin close and stops; anything in flight is reconciled next start.
"""
from __future__ import annotations

import asyncio
import functools
import json
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from ..domain.timeutil import from_iso
from ..kernel.events import EventHub
from .state import SyncState

_TIME_FIELDS = ("last_sync",)


def encode_event(topic: str, payload: dict) -> str:
    return json.dumps({"topic": topic, "payload": payload}, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))


def decode_event(line: str) -> tuple[str, dict]:
    message = json.loads(line)
    payload = message["payload"]
    for name in _TIME_FIELDS:
        if isinstance(payload.get(name), str):
            payload[name] = from_iso(payload[name])
    return message["topic"], payload


class ProcessSyncEngine:
    """`ProcessSyncEngine(db_path, hub, sandbox_url=...).start()`; `await engine.stop()` on quit."""

    def __init__(self, db_path: str | Path, hub: EventHub, *, sandbox_url: str = "", adapters_factory: str = "",
                 concurrency: int = 4, cadence_scale: float = 1.0) -> None:
        # A frozen (PyInstaller) app has no `-m`: its own executable takes the `sync` subcommand instead.
        entry = [sys.executable, "sync"] if getattr(sys, "frozen", False) else [sys.executable, "-m", "controltower.sync.run"]
        self.command = entry + ["--serve", "--db", str(db_path), "--concurrency", str(concurrency),
                                "--cadence-scale", str(cadence_scale)]
        if sandbox_url:
            self.command += ["--sandbox-url", sandbox_url]
        if adapters_factory:
            self.command += ["--adapters", adapters_factory]
        self.hub = hub
        self.state = SyncState()
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._unsubscribe = lambda: None

    def start(self) -> None:
        home = asyncio.get_event_loop()
        self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, args=(home,), name="sync-process-reader", daemon=True)
        self._reader.start()
        self._unsubscribe = self.hub.subscribe("outbox.changed", lambda *_: self.wake())

    def _read(self, home: asyncio.AbstractEventLoop) -> None:
        for line in self._process.stdout:
            try:
                topic, payload = decode_event(line)
            except (ValueError, KeyError):
                continue  # not one of ours (a stray print); never fatal
            if topic == "sync.state":
                self.state = SyncState(**{k: payload.get(k, getattr(SyncState(), k)) for k in SyncState.__dataclass_fields__
                                          if k != "errors"}, errors=tuple(payload.get("errors") or ()))
            if not home.is_closed():
                home.call_soon_threadsafe(functools.partial(self.hub.publish, topic, **payload))

    def _say(self, command: str) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                self._process.stdin.write(command + "\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def wake(self) -> None:
        self._say("wake")

    async def retry_now(self) -> None:
        """Send everything waiting now instead of at its backoff time."""
        self._say("retry")

    async def refresh_tracking(self) -> int:
        """Poll every open shipment now and wait until the results are stored; returns how many."""
        done = asyncio.get_running_loop().create_future()
        unsubscribe = self.hub.subscribe("sync.refreshed", lambda _t, payload: done.done() or done.set_result(payload["shipments"]))
        try:
            self._say("refresh")
            return await done
        finally:
            unsubscribe()

    async def stop(self, timeout_s: float = 30.0) -> None:
        self._unsubscribe()
        if self._process is None:
            return
        self._say("stop")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, functools.partial(self._process.wait, timeout_s))
        except subprocess.TimeoutExpired:
            self._process.kill()  # safe: the outbox reconciles whatever was in flight
            await loop.run_in_executor(None, self._process.wait)
        await loop.run_in_executor(None, self._reader.join, 5)
        self._process = None
