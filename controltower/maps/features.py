"""What the map shows, read from the store: stops, routes, depots and vans as plain features (no Qt, no HTML).

Every string here is data: the page puts it into the DOM as text, never as markup. Reads go through the
calling thread's own reader connection, so these run safely off the UI thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Iterable

from ..domain import ShipmentStatus
from ..domain.geo import CONFIDENCE_FLOOR
from ..domain.timeutil import from_iso
from ..store import Database
from ..store.shop_clock import shop_today, shop_zone


class MapStatus(StrEnum):
    """The five colours a shop owner reads a stop by."""

    PLANNED = "planned"
    EN_ROUTE = "en_route"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return {"en_route": "En route"}.get(self.value, self.value.capitalize())


STATUS_COLORS = {
    MapStatus.PLANNED: "#6b7a8f",
    MapStatus.EN_ROUTE: "#1f77d0",
    MapStatus.DELIVERED: "#2e9d4f",
    MapStatus.FAILED: "#e08a00",
    MapStatus.EXCEPTION: "#d7263d",
}
# Distinct from the status colours, readable on light tiles; route n takes colour n modulo the list.
ROUTE_COLORS = ("#7b3fe4", "#0f9fa8", "#c2185b", "#5d8a00", "#a65b00", "#3949ab", "#00897b", "#8e24aa", "#6d4c41", "#d81b60")

_S = ShipmentStatus
_EN_ROUTE = {_S.PICKED_UP, _S.IN_TRANSIT, _S.OUT_FOR_DELIVERY}
_FAILED = {_S.FAILED_ATTEMPT, _S.RETURNING, _S.RETURNED, _S.CANCELLED}


def map_status(order_status: str, stop_status: str | None = None, open_exception: bool = False) -> MapStatus:
    """One map colour from the order's shipment status, its route stop's status and any open exception."""
    status = ShipmentStatus(order_status)
    if open_exception or status is _S.EXCEPTION:
        return MapStatus.EXCEPTION
    if status is _S.DELIVERED or stop_status == "delivered":
        return MapStatus.DELIVERED
    if status in _FAILED or stop_status in ("failed", "skipped"):
        return MapStatus.FAILED
    if status in _EN_ROUTE or stop_status in ("en_route", "arrived"):
        return MapStatus.EN_ROUTE
    return MapStatus.PLANNED


def route_color(index: int) -> str:
    return ROUTE_COLORS[index % len(ROUTE_COLORS)]


@dataclass(frozen=True)
class StopFeature:
    """One delivery point: an order's position with what the popup shows."""

    order_id: int
    lat: float
    lon: float
    status: MapStatus
    order_ref: str = ""
    customer: str = ""
    address: str = ""
    window: str = ""  # promised window in local time, e.g. "14:00–16:00"
    route_id: int | None = None
    sequence: int | None = None
    route_color: str = ""
    approximate: bool = False  # geocoded to a postcode or city only
    exception: str = ""  # the open exception's summary


@dataclass(frozen=True)
class RouteFeature:
    """A van's route for the day: the line from the depot through its stops in order."""

    route_id: int
    name: str
    color: str
    path: tuple[tuple[float, float], ...]
    order_ids: tuple[int, ...] = ()
    status: str = "planned"


@dataclass(frozen=True)
class DepotFeature:
    depot_id: int
    name: str
    lat: float
    lon: float
    address: str = ""


@dataclass(frozen=True)
class VehicleFeature:
    """A van's last known position; heading in degrees clockwise from north, None when unknown."""

    vehicle_id: int
    name: str
    lat: float
    lon: float
    heading: float | None = None
    last_seen: str = ""  # ISO 8601 UTC
    color: str = ""


@lru_cache(maxsize=None)
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(kind))


def feature_dict(feature) -> dict:
    """One feature as a JSON-ready dict (shallow: features are flat, and this is 8x faster than asdict)."""
    if isinstance(feature, dict):
        return feature
    return {name: getattr(feature, name) for name in _field_names(type(feature))}


def to_data(features: Iterable) -> list[dict]:
    """Features as JSON-ready dicts, the form the map page takes."""
    return [feature_dict(feature) for feature in features]


def _window_label(start: str | None, end: str | None, zone: tzinfo | None) -> str:
    if not (start and end):
        return ""
    return f"{from_iso(start).astimezone(zone):%H:%M}–{from_iso(end).astimezone(zone):%H:%M}"


def _address(row) -> str:
    return ", ".join(part for part in (row["street"], row["city"], row["postcode"]) if part)


_STOPS_SQL = """
SELECT o.id, o.order_ref, o.customer_name, o.street, o.city, o.postcode, o.lat, o.lon, o.geo_precision, o.geo_confidence,
       o.status, o.promised_start, o.promised_end,
       s.status AS stop_status, s.sequence, s.route_id,
       (SELECT e.summary FROM exceptions e WHERE e.order_id = o.id AND e.resolved_at IS NULL
         ORDER BY e.opened_at DESC LIMIT 1) AS exception_summary
FROM orders o
LEFT JOIN (SELECT st.* FROM stops st JOIN routes r ON r.id = st.route_id WHERE r.plan_date = :day) s
       ON s.order_id = o.id
WHERE o.lat IS NOT NULL AND o.lon IS NOT NULL
  AND (o.delivery_date = :day OR s.id IS NOT NULL)
"""


def _route_colors(db: Database, day: str) -> dict[int, str]:
    ids = [row[0] for row in db.reader().execute("SELECT id FROM routes WHERE plan_date = ? ORDER BY id", (day,))]
    return {route_id: route_color(index) for index, route_id in enumerate(ids)}


def stop_features(db: Database, day: str) -> list[StopFeature]:
    """Every geocoded order due on `day` (ISO date) or on one of that day's routes, with its map colour."""
    colors = _route_colors(db, day)
    zone = shop_zone(db.reader())
    best: dict[int, StopFeature] = {}
    for row in db.reader().execute(_STOPS_SQL, {"day": day}):
        summary = row["exception_summary"] or ""
        best[row["id"]] = StopFeature(
            order_id=row["id"], lat=row["lat"], lon=row["lon"],
            status=map_status(row["status"], row["stop_status"], bool(summary)),
            order_ref=row["order_ref"], customer=row["customer_name"], address=_address(row),
            window=_window_label(row["promised_start"], row["promised_end"], zone),
            route_id=row["route_id"], sequence=row["sequence"], route_color=colors.get(row["route_id"], ""),
            approximate=row["geo_precision"] in ("postcode", "city", "unknown") or row["geo_confidence"] < CONFIDENCE_FLOOR,
            exception=summary,
        )
    return sorted(best.values(), key=lambda stop: stop.order_id)


def depot_features(db: Database) -> list[DepotFeature]:
    return [
        DepotFeature(row["id"], row["name"], row["lat"], row["lon"], _address(row))
        for row in db.reader().execute("SELECT * FROM depots ORDER BY id")
    ]


def route_features(db: Database, day: str) -> list[RouteFeature]:
    """The day's routes, each starting (and ending) at its van's depot when the van has one."""
    routes = []
    for index, route in enumerate(db.reader().execute(
        "SELECT r.id, r.status, v.name, d.lat AS depot_lat, d.lon AS depot_lon FROM routes r "
        "JOIN vehicles v ON v.id = r.vehicle_id LEFT JOIN depots d ON d.id = v.depot_id "
        "WHERE r.plan_date = ? ORDER BY r.id", (day,),
    )):
        stops = db.reader().execute(
            "SELECT o.id, o.lat, o.lon FROM stops s JOIN orders o ON o.id = s.order_id "
            "WHERE s.route_id = ? AND o.lat IS NOT NULL ORDER BY s.sequence", (route["id"],),
        ).fetchall()
        path = [(row["lat"], row["lon"]) for row in stops]
        if route["depot_lat"] is not None:
            depot = (route["depot_lat"], route["depot_lon"])
            path = [depot, *path, depot]
        routes.append(RouteFeature(route["id"], route["name"], route_color(index), tuple(path),
                                   tuple(row["id"] for row in stops), route["status"]))
    return routes


def heading_degrees(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, 0 = north, clockwise."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    delta = math.radians(lon2 - lon1)
    x = math.sin(delta) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(delta)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def vehicle_features(db: Database, day: str) -> list[VehicleFeature]:
    """Each van on a route today at its latest tracked fix (events with a position on its orders' shipments)."""
    colors = _route_colors(db, day)
    vans = []
    for route in db.reader().execute(
        "SELECT r.id AS route_id, v.id, v.name FROM routes r JOIN vehicles v ON v.id = r.vehicle_id "
        "WHERE r.plan_date = ? ORDER BY r.id", (day,),
    ):
        fixes = db.reader().execute(
            "SELECT t.lat, t.lon, t.event_time FROM tracking_events t JOIN shipments sh ON sh.id = t.shipment_id "
            "JOIN stops s ON s.order_id = sh.order_id WHERE s.route_id = ? AND t.lat IS NOT NULL AND t.lon IS NOT NULL "
            "ORDER BY t.event_time DESC, t.id DESC LIMIT 2", (route["route_id"],),
        ).fetchall()
        if not fixes:
            continue
        latest = fixes[0]
        heading = None
        if len(fixes) == 2 and (fixes[1]["lat"], fixes[1]["lon"]) != (latest["lat"], latest["lon"]):
            heading = round(heading_degrees(fixes[1]["lat"], fixes[1]["lon"], latest["lat"], latest["lon"]), 1)
        vans.append(VehicleFeature(route["id"], route["name"], latest["lat"], latest["lon"], heading,
                                   latest["event_time"], colors[route["route_id"]]))
    return vans


@dataclass(frozen=True)
class MapDay:
    """Everything the map shows for one day."""

    day: str
    stops: list[StopFeature]
    routes: list[RouteFeature]
    depots: list[DepotFeature]
    vehicles: list[VehicleFeature]


def map_day(db: Database, day: str | datetime) -> MapDay:
    day = day if isinstance(day, str) else shop_today(db.reader(), day)  # a moment: the shop's day at it
    return MapDay(day, stop_features(db, day), route_features(db, day), depot_features(db), vehicle_features(db, day))
