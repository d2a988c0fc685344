"""The Map menu: the shop's area package (streets for offline use) and saved tiles, and the map following its area."""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ..context import AppContext

log = logging.getLogger(__name__)


class MapActions(QObject):
    """Opens the area and saved-tiles dialogs, and puts a newly built area's street map on the map at once."""

    area_changed = Signal()  # a build finished: on the UI thread

    def __init__(self, window: QWidget, context: AppContext, view) -> None:
        super().__init__(window)
        self.window, self.context, self.view = window, context, view
        self.area_dialog = None
        self.tiles_dialog = None
        self.area_changed.connect(self.show_area)
        from .area_dialog import relay_emit

        self._unsubscribe = context.hub.subscribe("area.built", lambda *_: relay_emit(self.area_changed))
        self.destroyed.connect(lambda *_, gone=self._unsubscribe: gone())
        self.show_area()

    def actions(self) -> list[tuple]:
        return [("&Streets for offline use…", self.open_area, None,
                 "Build a street map, house-level addresses and road travel times from an OpenStreetMap extract"),
                ("&Keep this area's tiles for offline use…", self.open_saved_tiles, None,
                 "Save the tiles of what the map shows now, where the tile server allows it")]

    def area_basemap(self):
        """The shop's area package's street map, or None."""
        core = self.context.core
        try:
            return core.map.area_basemap(core.area.current())
        except Exception:  # a broken package must not cost the user the map: it shows what it showed before
            log.exception("the area's street map can't be opened")
            return None

    def show_area(self) -> None:
        self.view.set_area(self.area_basemap())

    def open_area(self):
        from .area_dialog import AreaDialog

        core = self.context.core
        self.area_dialog = AreaDialog(core.area, self.context.hub, self.window, extracts=core.extracts)
        self.area_dialog.open()
        return self.area_dialog

    def open_saved_tiles(self) -> None:
        """The saved-tiles dialog for the area on screen (it says so when the tile server forbids saving)."""
        from ...maps.tiles import TileCache, TileFetcher, default_cache_path
        from .offline import OfflineAreaDialog

        fetcher = self.view.scheme_handler.tiles
        if fetcher is None:  # working offline: what is saved can be counted, nothing can be fetched
            fetcher = TileFetcher(TileCache(default_cache_path()), None)

        def opened(area) -> None:
            self.tiles_dialog = OfflineAreaDialog(fetcher, area, self.window)
            self.tiles_dialog.open()

        self.view.visible_area(opened)
