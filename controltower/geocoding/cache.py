"""Geocoding through the store's cache: an address is looked up once, whichever provider placed it."""
from __future__ import annotations

import logging

from ..domain import Address, GeoPoint, GeoPrecision
from ..domain.timeutil import to_iso, utcnow
from .base import Geocoder, GeocodingUnavailable, address_key

log = logging.getLogger(__name__)
_MISS = "unknown"


class CachedGeocoder:
    """Providers tried in order (best first) behind the `geocode_cache` table; misses are remembered too."""

    def __init__(self, db, providers: list[Geocoder]) -> None:
        self.db = db
        self.providers = list(providers)
        self.last_errors: list[str] = []
        self.pending: list[tuple] = []  # cache rows not yet written (batch callers write them in their own transaction)

    def cached(self, address: Address) -> tuple[bool, GeoPoint | None]:
        row = self.db.reader().execute("SELECT lat, lon, precision, confidence FROM geocode_cache WHERE address_key = ?",
                                       (address_key(address),)).fetchone()
        if row is None:
            return False, None
        if row["lat"] is None or row["precision"] == _MISS:
            return True, None
        return True, GeoPoint(row["lat"], row["lon"], GeoPrecision(row["precision"]), row["confidence"])

    async def geocode(self, address: Address, *, interactive: bool = False, retry_misses: bool = False,
                      remember: bool = True) -> GeoPoint | None:
        """The address's position. Batch callers (interactive=False) skip providers that allow only look-ups by a person;
        with remember=False the cache row waits in `pending` for write_pending()."""
        known, point = self.cached(address)
        if known and (point is not None or not retry_misses):
            return point
        self.last_errors = []
        reachable = False
        for provider in self.providers:
            if provider.interactive_only and not interactive:
                continue
            try:
                point = await provider.geocode(address)
            except GeocodingUnavailable as exc:
                self.last_errors.append(str(exc))
                log.warning("geocoder %s unavailable: %s", provider.name, exc)
                continue
            reachable = True
            if point is not None:
                self._remember(address, point, provider.name, remember)
                return point
        if reachable:  # somebody answered "no match": remember it; an outage is not a miss
            self._remember(address, None, ",".join(p.name for p in self.providers), remember)
        return None

    def _remember(self, address: Address, point: GeoPoint | None, provider: str, now: bool) -> None:
        self.pending.append((address_key(address), point.lat if point else None, point.lon if point else None,
                             point.precision.value if point else _MISS, point.confidence if point else 0.0, provider,
                             to_iso(utcnow())))
        if now:
            with self.db.transaction() as conn:
                self.write_pending(conn)

    def write_pending(self, conn) -> None:
        """Write the remembered answers (inside the caller's transaction)."""
        conn.executemany(
            "INSERT INTO geocode_cache(address_key, lat, lon, precision, confidence, provider, created_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(address_key) DO UPDATE SET lat=excluded.lat, lon=excluded.lon, precision=excluded.precision, "
            "confidence=excluded.confidence, provider=excluded.provider, created_at=excluded.created_at", self.pending)
        self.pending = []


def forget_approximate(conn) -> int:
    """Forget remembered misses and postcode- or town-level answers (inside the caller's transaction): a better
    offline source (the shop's new area package) answers those addresses again. Returns how many were forgotten."""
    return conn.execute("DELETE FROM geocode_cache WHERE precision IN ('unknown', 'postcode', 'city')").rowcount
