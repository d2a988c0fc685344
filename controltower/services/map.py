"""What the map shows: the shop's day of stops, routes, depots and vans, and the tile source for its background."""
from __future__ import annotations

import logging

from ..kernel.events import EventHub
from ..store import Database
from ..store.shop_clock import shop_today

log = logging.getLogger(__name__)


class MapService:
    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def today(self) -> str:
        """The shop's day (ISO date): the map shows the shop's today, never the UTC date."""
        return shop_today(self.db.reader())

    def day(self, day: str | None = None):
        """The map's features for `day` (default: the shop's today). Call from a worker: it reads the store."""
        from ..maps.features import map_day

        return map_day(self.db, day or self.today())

    def tiles(self):
        """The fetcher for the map's background tiles (the user's tile source over the tile cache)."""
        from ..maps.tiles import open_tiles

        return open_tiles(self.db)

    def area_basemap(self, package):
        """The street map of an area package (services.area's AreaPackage) as the map shows it, offline; None when
        there is no package or it was built without its map (logged: the map then shows what it showed before)."""
        from ..maps.tiles import open_packaged_basemap

        path = package.part_path("basemap") if package is not None else None
        if path is None:
            return None
        try:
            return open_packaged_basemap(path, name=package.name, attribution=package.attribution,
                                         version=package.built_at.isoformat())
        except ValueError:
            log.exception("the area's street map can't be read")
            return None
