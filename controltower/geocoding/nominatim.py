"""Nominatim search (OSM): one request per second for the whole app, a real User-Agent, a server the user chooses."""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx

from .. import __version__ as _app_version
from ..domain import Address, GeoPoint, GeoPrecision
from .base import GeocodingUnavailable

PUBLIC_SERVER = "https://nominatim.openstreetmap.org"
USER_AGENT = f"ControlTower/{_app_version} (local-first delivery control tower for small shops)"


class _HostPacer:
    """At most one request per `interval` seconds to one host, across every geocoder object in the app."""

    _last: dict[str, float] = {}
    _locks: dict[str, asyncio.Lock] = {}

    @classmethod
    @asynccontextmanager
    async def turn(cls, host: str, interval: float):
        """Hold the host's turn for one request; the next may start `interval` after this one ended."""
        lock = cls._locks.setdefault(host, asyncio.Lock())
        async with lock:
            delay = cls._last.get(host, 0.0) + interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                cls._last[host] = time.monotonic()


def precision_of(result: dict) -> tuple[GeoPrecision, float]:
    """How exact a Nominatim match is, from its rank and type (jsonv2)."""
    kind = result.get("type") or ""
    category = result.get("category") or result.get("class") or ""
    rank = int(result.get("place_rank") or 0)
    if kind == "postcode" or result.get("addresstype") == "postcode":
        return GeoPrecision.POSTCODE, 0.6
    if rank >= 30 or kind in ("house", "building") or category == "building":
        return GeoPrecision.ROOFTOP, 0.9
    if rank >= 26:
        return GeoPrecision.STREET, 0.7
    return GeoPrecision.CITY, 0.3


class NominatimGeocoder:
    name = "nominatim"

    def __init__(self, base_url: str = PUBLIC_SERVER, *, user_agent: str = USER_AGENT, email: str = "",
                 min_interval: float = 1.0, timeout: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.user_agent, self.email, self.min_interval, self.timeout = user_agent, email, min_interval, timeout
        self._client = client
        # The public server's policy forbids batch geocoding: only a person's occasional look-ups go there.
        self.interactive_only = self.host == urlsplit(PUBLIC_SERVER).netloc

    def params(self, address: Address) -> dict:
        params = {"format": "jsonv2", "limit": "1", "addressdetails": "1"}
        street = ", ".join(p for p in (address.street,) if p)
        for key, value in (("street", street), ("city", address.city), ("state", address.region),
                           ("postalcode", address.postcode)):
            if value:
                params[key] = value
        if address.country:
            params["countrycodes"] = address.country.lower()
        if self.email:
            params["email"] = self.email
        return params

    async def geocode(self, address: Address) -> GeoPoint | None:
        client = self._client or httpx.AsyncClient(timeout=self.timeout)
        try:
            async with _HostPacer.turn(self.host, self.min_interval):
                response = await client.get(f"{self.base_url}/search", params=self.params(address),
                                            headers={"User-Agent": self.user_agent, "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise GeocodingUnavailable(f"could not reach the geocoder at {self.host}: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code in (403, 429):
            raise GeocodingUnavailable(f"the geocoder at {self.host} refused us (HTTP {response.status_code}); "
                                       "use a self-hosted Nominatim or another provider")
        if response.status_code >= 500:
            raise GeocodingUnavailable(f"the geocoder at {self.host} is failing (HTTP {response.status_code})")
        if response.status_code != 200:
            return None  # a request it can't answer (400): this address can't be placed here
        results = response.json()
        if not isinstance(results, list) or not results:
            return None
        best = results[0]
        precision, confidence = precision_of(best)
        return GeoPoint(float(best["lat"]), float(best["lon"]), precision, confidence)
