"""Where orders are on the map: placing new orders' addresses (geocoding) and the user's own correction of a pin."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain import GeoPoint, GeoPrecision
from ..kernel.errors import NotFound
from ..kernel.events import EventHub
from ..store import Database, audit
from ..store.orders import get_order, set_positions


@dataclass(frozen=True)
class PlacingReport:
    placed: int
    unplaced: int  # addresses no geocoder could place: raised as address problems by the exception rules
    far: int = 0  # placed far from the shop: flagged for a pin check (an address problem too)


class PlacingService:
    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    async def place_new_orders(self, *, rough_too: bool = False) -> PlacingReport:
        """Give every open order without a position one (cache, then the user's geocoder, the shop's area, then
        offline postcodes); with rough_too, orders placed only at a postcode's or town's centre get a better pin
        where one is found (after the shop's area package arrives)."""
        from ..dispatch.settings import load_settings
        from ..geocoding import build_geocoder, geocode_orders

        settings = load_settings(self.db.reader())
        area_km = max((zone.radius_km or 0.0 for zone in settings.zones), default=0.0)
        report = await geocode_orders(self.db, build_geocoder(self.db), hub=self.hub,
                                      shop=(settings.shop_lat, settings.shop_lon, area_km), rough_too=rough_too)
        return PlacingReport(report.placed, len(report.unplaced), report.far)

    def move_pin(self, order_id: int, lat: float, lon: float, *, actor: str = "user") -> None:
        """The user dragged a stop to where the address really is: saved as exact, with an audit entry."""
        point = GeoPoint(lat, lon, GeoPrecision.ROOFTOP, 1.0)
        with self.db.transaction() as conn:
            order = get_order(conn, order_id)
            if order is None:
                raise NotFound(f"Order {order_id} is no longer in the store.", "Refresh the map.")
            before = order.location
            set_positions(conn, [(order_id, point)])
            audit.record(conn, "order.move_pin", "order", order_id,
                         before=None if before is None else {"lat": before.lat, "lon": before.lon,
                                                             "geo_precision": before.precision.value},
                         after={"lat": lat, "lon": lon, "geo_precision": "rooftop"}, actor=actor)
        if self.hub is not None:
            self.hub.publish("orders.changed", ids=[order_id])
