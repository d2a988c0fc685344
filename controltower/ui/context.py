"""What the windows are given: the application object (services, background jobs) and how the app was started."""
from __future__ import annotations

from pathlib import Path

from ..kernel.events import EventHub
from ..services.core import ControlTower, Options


class AppContext:
    """The window's view of the app: `core` (the application object) and a few conveniences over it.

    `AppContext(core=core)` in the app; `AppContext(db=store, offline=True)` builds a core over an open store
    (tests and tools), without starting its background jobs.
    """

    def __init__(self, db=None, *, core: ControlTower | None = None, hub: EventHub | None = None, demo: bool = False,
                 offline: bool = False, data_dir: Path | None = None) -> None:
        if core is None:
            if db is None:
                raise ValueError("AppContext needs a core or a store")
            core = ControlTower(db, hub=hub, options=Options(demo=demo, offline=offline), data_dir=data_dir)
        self.core = core

    @property
    def db(self):
        return self.core.db

    @property
    def hub(self) -> EventHub:
        return self.core.hub

    @property
    def demo(self) -> bool:
        return self.core.demo

    @property
    def offline(self) -> bool:
        return self.core.offline

    @property
    def data_dir(self) -> Path:
        return self.core.data_dir
