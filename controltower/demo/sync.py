"""Demo mode: the sandbox courier network on 127.0.0.1 and the real sync engine talking to it.

    demo = DemoSync(db, hub, speed=30)   # on the qasync loop, before the window shows
    demo.start()                          # sandbox up, 'sandbox:<company>' carriers registered, engine process running
    ...
    await demo.stop()                     # on quit

The engine runs as a child process (ProcessSyncEngine) like in the real app; the sandbox stays in the
app's process so the map can ask it where the couriers are (`demo.network.world.courier_positions()`).
"""
from __future__ import annotations

from .sandbox import COMPANIES, Faults, SandboxNetwork, carrier_code, register_sandbox
from .sandbox.adapters import unregister_sandbox
from ..kernel.events import EventHub
from ..store import Database
from ..sync.process import ProcessSyncEngine


class DemoSync:
    """The sandbox couriers plus a sync engine process for them; `speed` sandbox minutes pass per real minute."""

    def __init__(self, db: Database, hub: EventHub, *, speed: float = 30.0, fault_rate: float = 0.0) -> None:
        # The couriers charge in the shop's money, as a real courier where the shop is would.
        currency = db.get_setting("shop.currency") or "USD"
        self.network = SandboxNetwork(speed=speed, faults=Faults(rate=fault_rate, hang_s=3.0), currency=currency)
        self.speed = speed
        self.db, self.hub = db, hub
        self.engine: ProcessSyncEngine | None = None

    @property
    def carriers(self) -> list[str]:
        """The carrier codes to offer in demo mode, e.g. 'sandbox:zippy'."""
        return [carrier_code(c) for c in COMPANIES]

    def start(self) -> str:
        base_url = self.network.start()
        register_sandbox(base_url)  # services can create 'sandbox:<company>' adapters for quotes
        # Polls keep pace with the sandbox clock: out-for-delivery every minute of sandbox time.
        self.engine = ProcessSyncEngine(self.db.path, self.hub, sandbox_url=base_url,
                                        cadence_scale=1.0 / max(self.speed, 1.0))
        self.engine.start()
        return base_url

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None
        unregister_sandbox()
        self.network.stop()
