"""The app's side of the local API's process (api/child.py): start it, republish its events on the app's hub, stop it.

Serving in a thread of the app's own process held the GIL while it answered: the window's loop stalled up to
120 ms under a stream of reads (benchmarks/api_bench.py). In a process of its own the window never waits on it.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import logging
import subprocess
import sys
import threading
from pathlib import Path

from ..kernel.events import EventHub
from ..sync.process import decode_event

log = logging.getLogger(__name__)


class ApiProcess:
    """`ApiProcess(db_path, hub).start()` (returns once it serves, with `base_url`); `stop()` or `await stop_async()`."""

    def __init__(self, db_path: str | Path, hub: EventHub | None = None, *, port: int | None = None,
                 lan: bool = False, rate_per_second: float | None = None, env: dict | None = None) -> None:
        # A frozen (PyInstaller) app has no `-m`: its own executable takes the `serve-api` subcommand instead.
        entry = [sys.executable, "serve-api"] if getattr(sys, "frozen", False) else [sys.executable, "-m",
                                                                                     "controltower.api.child"]
        self.command = entry + ["--db", str(db_path)]
        if port is not None:
            self.command += ["--port", str(port)]
        if lan:
            self.command.append("--lan")
        if rate_per_second is not None:
            self.command += ["--rate", str(rate_per_second)]
        self.hub, self.env = hub, env
        self.base_url = ""
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._home: asyncio.AbstractEventLoop | None = None
        self._said: collections.deque[str] = collections.deque(maxlen=20)  # its last words on stderr

    def start(self, timeout_s: float = 30.0, *, home: asyncio.AbstractEventLoop | None = None) -> None:
        """Blocks until it serves (about a second: call it from a worker); its events are republished on `home`
        (the app's loop), else on the calling thread's running loop, else on the reader's thread (a script)."""
        if home is None:
            try:
                home = asyncio.get_running_loop()
            except RuntimeError:
                home = None
        self._home = home
        self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1, env=self.env)
        self._reader = threading.Thread(target=self._read, name="local-api-reader", daemon=True)
        self._reader.start()
        threading.Thread(target=self._drain_stderr, name="local-api-stderr", daemon=True).start()
        if not self._ready.wait(timeout_s) or not self.base_url:
            self.stop()
            raise RuntimeError(f"the local API did not start: {' '.join(self._said).strip()[-400:] or 'no answer'}")

    def _drain_stderr(self) -> None:
        """Its warnings go to the app's log; a full pipe would stop it."""
        for line in self._process.stderr:
            self._said.append(line.rstrip())
            log.warning("local API: %s", line.rstrip())

    def _read(self) -> None:
        for line in self._process.stdout:
            try:
                topic, payload = decode_event(line)
            except (ValueError, KeyError):
                continue  # not one of ours (a stray print); never fatal
            if topic == "api.ready":
                self.base_url = payload["base_url"]
                self._ready.set()
            elif self.hub is not None:
                publish = functools.partial(self.hub.publish, topic, **payload)
                if self._home is None:
                    publish()
                elif not self._home.is_closed():
                    self._home.call_soon_threadsafe(publish)
        self._ready.set()  # it ended: whoever waits for it to start hears so at once

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout_s: float = 15.0) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            try:
                process.stdin.write("stop\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        try:
            process.stdin.close()
        except OSError:
            pass
        if self._reader is not None:
            self._reader.join(5)
        self._process = None

    async def stop_async(self) -> None:
        await asyncio.to_thread(self.stop)
