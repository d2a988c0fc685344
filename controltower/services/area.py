"""The shop's area (offline basemap, house-level addresses, road graph): which package is in use, and building one.

    area = core.area
    area.current()                 # the shop's AreaPackage, or None (then: postcodes and straight lines, as before)
    area.start_build(pbf_path)     # AreaFileError at once for a missing, empty or foreign file; AreaBusy if one runs
    area.building                  # True while a build runs
    area.cancel()                  # ends the build; the current package stays as it was
    area.close()                   # before the store closes (core.close does it)
    area.installed(); area.use(package)   # use() also removes the older builds of that extract

Each build goes to a new folder (<data dir>/areas/helsinki-1, -2, ...): the one in use is never replaced under the
app's open files.

The build runs in a child process (controltower.area.build). Its news arrives as hub events, published on the
asyncio loop that called start_build (the UI's, with qasync), else on a watcher thread:
    area.progress(stage, done, total)   total 0 when not known; stages: "checking the file", then each part's own
    area.built(folder, name)            the new package is the shop's area from now on
    area.failed(message, advice)        nothing changed
    area.cancelled()                    nothing changed
    area.placed(placed, unplaced)       after area.built: open orders placed only roughly were looked up again in
                                        the new area; `placed` of them have a better pin now (orders.changed too)
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
from pathlib import Path

from ..area.build import AreaBuildProcess
from ..area.package import SETTING, AreaPackage, installed, next_folder, prune, shop_package
from ..area.source import AreaFileError, precheck
from ..kernel.errors import UserFacingError
from ..kernel.events import EventHub

log = logging.getLogger(__name__)

__all__ = ["AreaService", "AreaBusy", "AreaFileError", "AreaPackage"]


class AreaBusy(UserFacingError):
    """A build is already running."""


class AreaService:
    def __init__(self, db, hub: EventHub, data_dir: Path) -> None:
        self.db, self.hub, self.data_dir = db, hub, Path(data_dir)
        self._build: AreaBuildProcess | None = None
        self._watcher: threading.Thread | None = None
        self._cancelled = False
        self._lock = threading.Lock()

    def current(self) -> AreaPackage | None:
        """The shop's area package, or None when none is chosen or it can't be read."""
        return shop_package(self.db, self.data_dir)

    def installed(self) -> list[AreaPackage]:
        """Every package built in this data folder."""
        return installed(self.data_dir)

    def use(self, package: AreaPackage | None) -> None:
        """Make a built package the shop's area (None: no area). Addresses placed only roughly so far (postcode,
        town, not found) are looked up again next time: the area may know their houses."""
        from ..geocoding.cache import forget_approximate
        from ..store import settings

        with self.db.transaction() as conn:
            settings.put(conn, {SETTING: package.folder_name if package is not None else ""})
            forget_approximate(conn)
        if package is not None:
            prune(self.data_dir, package.folder_name)

    @property
    def building(self) -> bool:
        return self._build is not None and not self._build.finished

    def start_build(self, pbf_path: str | Path, *, parts: tuple[str, ...] | None = None) -> Path:
        """Start building the package of an extract in a child process; returns the folder it will be built in.
        parts: only these ("addresses", "roads", "basemap"; tests and tools), else all."""
        pbf_path = precheck(pbf_path)
        with self._lock:
            if self.building:
                raise AreaBusy("An area is already being built.", "Wait for it to finish, or cancel it first.")
            out_dir = next_folder(self.data_dir, pbf_path)
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            self._cancelled = False
            self._build = AreaBuildProcess(pbf_path, out_dir, parts).start()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self._watcher = threading.Thread(target=self._watch, args=(self._build, loop), name="area-build-watcher",
                                         daemon=True)
        self._watcher.start()
        return out_dir

    def close(self) -> None:
        """Before the store closes: a running build is ended and its watcher (which may be saving pins) finishes."""
        self.cancel()
        if self._watcher is not None:
            self._watcher.join(timeout=60)

    def cancel(self) -> None:
        """Stop the running build (nothing happens when none runs)."""
        build = self._build
        if build is not None and not build.finished:
            self._cancelled = True
            build.cancel()

    def _place_again(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Open orders placed only roughly (a postcode's or town's centre, or nowhere) are looked up in the new area:
        on the app's loop like all placing, else here (scripts). Announced as area.placed(placed, unplaced)."""
        from .placing import PlacingService

        def announce(report) -> None:
            self.hub.publish("area.placed", placed=report.placed, unplaced=report.unplaced)

        work = PlacingService(self.db, self.hub).place_new_orders(rough_too=True)
        if loop is None:
            announce(asyncio.run(work))
            return
        if loop.is_closed():
            work.close()
            return

        def finished(future) -> None:
            if future.exception() is not None:
                log.error("placing orders in the new area failed", exc_info=future.exception())
            else:
                loop.call_soon_threadsafe(announce, future.result())

        asyncio.run_coroutine_threadsafe(work, loop).add_done_callback(finished)

    def _watch(self, build: AreaBuildProcess, loop: asyncio.AbstractEventLoop | None) -> None:
        def publish(topic: str, **payload) -> None:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(functools.partial(self.hub.publish, topic, **payload))
            elif loop is None:
                self.hub.publish(topic, **payload)

        while True:
            for message in build.messages():
                kind = message[0]
                if kind == "progress":
                    publish("area.progress", stage=message[1], done=message[2], total=message[3])
                elif kind == "done":
                    package = AreaPackage.load(message[1])
                    self.use(package)
                    publish("area.built", folder=str(package.folder), name=package.name)
                    self._place_again(loop)
                elif kind == "failed" and not self._cancelled:
                    log.warning("area build failed: %s", message[1])
                    publish("area.failed", message=message[1], advice=message[2] if len(message) > 2 else "")
            if build.finished:
                if self._cancelled:
                    publish("area.cancelled")
                return
            threading.Event().wait(0.1)
