"""What the map shows: the shop's day of stops, routes, depots and vans, and the tile source for its background."""
from __future__ import annotations

from ..kernel.events import EventHub
from ..store import Database
from ..store.shop_clock import shop_today


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
