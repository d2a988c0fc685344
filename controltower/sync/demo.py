"""Demo mode: the sandbox courier network on 127.0.0.1 and the real sync engine talking to it.

    demo = DemoSync(db, hub, speed=30)   # on the qasync loop, before the window shows
    demo.start()                          # sandbox up, 'sandbox:<company>' carriers registered, engine running
    ...
    await demo.stop()                     # on quit
"""
from __future__ import annotations

import dataclasses

from ..carriers.sandbox import COMPANIES, Faults, SandboxNetwork, carrier_code, register_sandbox, sandbox_adapters
from ..carriers.sandbox.adapters import unregister_sandbox
from ..events import EventHub
from ..store import Database
from .policy import SyncPolicy
from .threaded import ThreadedSyncEngine


class DemoSync:
    """The sandbox couriers plus a ThreadedSyncEngine for them; `speed` sandbox minutes pass per real minute."""

    def __init__(self, db: Database, hub: EventHub, *, speed: float = 30.0, fault_rate: float = 0.0,
                 policy: SyncPolicy | None = None) -> None:
        self.network = SandboxNetwork(speed=speed, faults=Faults(rate=fault_rate, hang_s=3.0))
        # Polls keep pace with the sandbox clock: out-for-delivery every minute of sandbox time.
        self.policy = policy or dataclasses.replace(SyncPolicy(), cadence_scale=1.0 / max(speed, 1.0), sweep_s=5.0)
        self.db, self.hub = db, hub
        self.engine: ThreadedSyncEngine | None = None

    @property
    def carriers(self) -> list[str]:
        """The carrier codes to offer in demo mode, e.g. 'sandbox:zippy'."""
        return [carrier_code(c) for c in COMPANIES]

    def start(self) -> str:
        base_url = self.network.start()
        register_sandbox(base_url)  # services can create 'sandbox:<company>' adapters for quotes
        self.engine = ThreadedSyncEngine(self.db, sandbox_adapters(base_url), self.hub, self.policy)
        self.engine.start()
        return base_url

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None
        unregister_sandbox()
        self.network.stop()
