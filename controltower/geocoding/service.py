"""Placing orders on the map: geocode the ones without a position, save positions, report those that can't be placed."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from ..area.package import shop_package
from ..domain import Address
from ..domain.geo import km_too_far
from ..store.orders import set_positions
from .area import AreaAddressGeocoder
from .base import Geocoder
from .cache import CachedGeocoder
from .nominatim import NominatimGeocoder
from .offline import OfflinePostcodeGeocoder


@dataclass(frozen=True)
class UnplacedAddress:
    """An order whose address no geocoder could place: the lead opens an "address problem" for it."""

    order_id: int
    order_ref: str
    address: str
    reason: str


@dataclass(frozen=True)
class GeocodeReport:
    placed: int = 0
    approximate: int = 0  # placed by postcode or city only
    unplaced: list[UnplacedAddress] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    far: int = 0  # placed far from the shop: kept with no confidence, for a pin check (an address case opens)


def build_geocoder(db) -> CachedGeocoder:
    """The providers the user chose in settings (`geocoding.nominatim_url`), then the offline ones: the shop's area
    package (house level) when it has one, the postcode centroids last."""
    providers: list[Geocoder] = []
    url = db.get_setting("geocoding.nominatim_url")
    if url:
        providers.append(NominatimGeocoder(url, email=db.get_setting("geocoding.contact_email", "") or ""))
    area = shop_package(db)
    addresses = area.part_path("addresses") if area is not None else None
    if addresses is not None:
        providers.append(AreaAddressGeocoder(addresses))
    providers.append(OfflinePostcodeGeocoder())
    return CachedGeocoder(db, providers)


async def geocode_orders(db, geocoder: CachedGeocoder, order_ids: list[int] | None = None, hub=None,
                         shop: tuple[float, float, float] | None = None, rough_too: bool = False) -> GeocodeReport:
    """Give every order without a position (or the given ones) one; a batch never uses look-up-only services.

    shop: (lat, lon, widest zone in km). A position past the shop's area is more likely a wrong match than a
    customer: it is kept for the map but with no confidence, so it shows as approximate until a person checks it.
    rough_too: open orders placed only at a postcode's or town's centre are looked up again too; their pin moves
    only for a better answer (a street, a house)."""
    conn = db.reader()
    if order_ids is None:
        rough = " OR geo_precision IN ('postcode', 'city', 'unknown')" if rough_too else ""
        rows = conn.execute(f"SELECT id, order_ref, street, line2, city, region, postcode, country, lat FROM orders "
                            f"WHERE (lat IS NULL{rough}) AND status NOT IN ('delivered', 'cancelled') "
                            f"ORDER BY id").fetchall()
    else:
        rows = []
        for start in range(0, len(order_ids), 900):
            chunk = order_ids[start:start + 900]
            rows += conn.execute(f"SELECT id, order_ref, street, line2, city, region, postcode, country, lat FROM orders "
                                 f"WHERE id IN ({', '.join('?' * len(chunk))}) ORDER BY id", chunk).fetchall()
    updates, unplaced, errors = [], [], []
    approximate = far = 0
    for row in rows:
        address = Address(row["street"], row["city"], row["postcode"], row["country"], row["line2"], row["region"])
        point = await geocoder.geocode(address, remember=False)
        placed_before = row["lat"] is not None
        if placed_before and (point is None or point.precision.is_approximate):
            continue  # no better than the rough pin it has
        if point is None:
            reason = "; ".join(geocoder.last_errors) or "no geocoder found this address; check the street, postcode and country"
            unplaced.append(UnplacedAddress(row["id"], row["order_ref"], address.one_line(), reason))
            errors.extend(e for e in geocoder.last_errors if e not in errors)
            continue
        if shop is not None and km_too_far(point.lat, point.lon, *shop) is not None:
            point, far = replace(point, confidence=0.0), far + 1
        approximate += point.precision.is_approximate
        updates.append((row["id"], point))
    def save() -> None:  # one transaction for positions and cache, off the event loop
        with db.transaction() as write:
            set_positions(write, updates)
            geocoder.write_pending(write)

    await asyncio.to_thread(save)
    if updates and hub is not None:
        ids = [order_id for order_id, _point in updates]
        hub.publish("orders.changed", ids=ids if len(ids) <= 500 else None)
    return GeocodeReport(len(updates), approximate, unplaced, errors, far)
