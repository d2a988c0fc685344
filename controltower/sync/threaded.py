"""The sync engine on its own thread and asyncio loop, so carrier traffic never delays the Qt loop.

Polling thousands of shipments costs a millisecond or two of Python per HTTP call; on the Qt loop a burst
of answers arriving together would stall the window. Here the engine runs on a private loop (Electrum's
model: the network core apart from the GUI) and every hub event it publishes is handed to the caller's
loop, so subscribers still run on the UI thread. Give it its own adapter instances: httpx clients belong
to the loop that uses them.
"""
from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Callable, Mapping

from ..carriers.base import CarrierAdapter
from ..kernel.events import EventHub
from ..store import Database
from .engine import SyncEngine
from .policy import SyncPolicy
from .state import SyncState


class _HomeHub(EventHub):
    """Publishes on the real hub from the home loop's thread; subscriptions go straight to the real hub."""

    def __init__(self, hub: EventHub, home: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.hub, self.home = hub, home

    def subscribe(self, topic: str, handler) -> Callable[[], None]:
        return self.hub.subscribe(topic, handler)

    def publish(self, topic: str, **payload: Any) -> None:
        if not self.home.is_closed():
            self.home.call_soon_threadsafe(functools.partial(self.hub.publish, topic, **payload))


class ThreadedSyncEngine:
    """Same use as SyncEngine: `engine.start()` on the app's loop, `await engine.stop()` when closing."""

    def __init__(self, db: Database, adapters: Mapping[str, CarrierAdapter], hub: EventHub | None = None,
                 policy: SyncPolicy | None = None, *, seed: int | None = None, close_adapters: bool = True) -> None:
        self.db, self.adapters, self.hub, self.policy, self.seed = db, dict(adapters), hub or EventHub(), policy, seed
        self.close_adapters = close_adapters
        self.engine: SyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SyncState:
        return self.engine.state if self.engine else SyncState()

    def start(self) -> None:
        home = asyncio.get_event_loop()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self.engine = SyncEngine(self.db, self.adapters, _HomeHub(self.hub, home), self.policy, seed=self.seed)
            self.engine.start()
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="sync-engine", daemon=True)
        self._thread.start()
        ready.wait()

    async def _inside(self, make: Callable[[SyncEngine], Any]) -> Any:
        """Run a coroutine of the engine on its own loop and wait for it from ours."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(make(self.engine), self._loop))

    async def stop(self) -> None:
        if self._loop is None:
            return

        async def stop_inside(engine: SyncEngine) -> None:
            await engine.stop()
            if self.close_adapters:
                for adapter in self.adapters.values():
                    await adapter.aclose()

        await self._inside(stop_inside)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self._loop = None

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self.engine.wake)

    async def retry_now(self) -> None:
        await self._inside(lambda engine: engine.retry_now())

    async def run_until_idle(self, timeout: float = 30.0) -> None:
        await self._inside(lambda engine: engine.run_until_idle(timeout))

    async def refresh_tracking(self) -> int:
        """Poll every open shipment now; returns how many were polled."""
        return await self._inside(lambda engine: engine.tracking.refresh_all())
