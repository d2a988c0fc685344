"""Offline geocoding from bundled postcode centroids (GeoNames data, see resources/geo/README.md): approximate, never down."""
from __future__ import annotations

import asyncio
import gzip
import threading
from functools import lru_cache
import unicodedata
from pathlib import Path

from ..domain import Address, GeoPoint, GeoPrecision

DATA_FILE = Path(__file__).resolve().parents[2] / "resources" / "geo" / "postcodes.tsv.gz"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).replace("-", " ").split())


def lookup_key(country: str, postcode: str) -> str:
    """The part of a postcode the bundled data knows: UK outward code, Canadian FSA, Dutch digits, US 5-digit ZIP."""
    code = postcode.strip().upper().lstrip("'")
    if country == "GB":
        compact = code.replace(" ", "")
        return code.split(" ")[0] if " " in code else (compact[:-3] if len(compact) > 4 else compact)
    if country in ("CA", "IE"):
        return code.replace(" ", "")[:3]
    if country == "NL":
        return code.replace(" ", "")[:4]
    if country == "US":
        return code[:5]
    if country in ("SE",):
        return code.replace(" ", "")[:3] + " " + code.replace(" ", "")[3:5]
    return code


_load_lock = threading.Lock()


@lru_cache(maxsize=2)
def _tables(path: Path) -> tuple[dict, dict]:
    """(country, postcode key) -> (lat, lon, accuracy) and (country, folded place name) -> (lat, lon); read once per process."""
    with _load_lock:
        postcodes, places = {}, {}
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            next(handle)
            for line in handle:
                country, code, lat, lon, place, _region, accuracy = line.rstrip("\n").split("\t")
                point = (float(lat), float(lon))
                postcodes[(country, code)] = (*point, int(accuracy or 0))
                if place:
                    places.setdefault((country, _fold(place)), point)
        return postcodes, places


# Outward codes and FSAs cover a district, not a street: less sure than a full postcode.
_COARSE = {"GB": 0.4, "CA": 0.4, "IE": 0.3}


class OfflinePostcodeGeocoder:
    """Postcode centroids, then the place name, from the bundled file. Thread-safe; loads once on first use (~2 s)."""

    name = "offline"
    interactive_only = False

    def __init__(self, path: Path = DATA_FILE) -> None:
        self.path = path

    def countries(self) -> set[str]:
        return {country for country, _ in _tables(self.path)[0]}

    def locate(self, address: Address) -> GeoPoint | None:
        postcodes, places = _tables(self.path)
        country = (address.country or "").upper()
        if address.postcode:
            found = postcodes.get((country, lookup_key(country, address.postcode)))
            if found:
                lat, lon, _accuracy = found
                return GeoPoint(lat, lon, GeoPrecision.POSTCODE, _COARSE.get(country, 0.6))
        if address.city:
            found = places.get((country, _fold(address.city)))
            if found:
                return GeoPoint(found[0], found[1], GeoPrecision.CITY, 0.3)
        return None

    async def geocode(self, address: Address) -> GeoPoint | None:
        if _tables.cache_info().currsize == 0:  # the first load takes seconds: not on the event loop
            await asyncio.to_thread(_tables, self.path)
        return self.locate(address)


@lru_cache(maxsize=8)
def _country_codes(path: Path, country: str) -> tuple[tuple[str, float, float], ...]:
    return tuple((code.replace(" ", ""), lat, lon) for (where, code), (lat, lon, _) in _tables(path)[0].items()
                 if where == country)


def postcode_centre(country: str, pattern: str, path: Path = DATA_FILE) -> tuple[float, float] | None:
    """Where a delivery zone's postcode is: its centroid, or for a prefix ('972*') the mean of the codes it covers."""
    country = country.strip().upper()
    pattern = pattern.strip().upper()
    if not pattern.endswith("*"):
        found = _tables(path)[0].get((country, lookup_key(country, pattern)))
        return None if found is None else (found[0], found[1])
    prefix = pattern[:-1].replace(" ", "")
    points = [(lat, lon) for code, lat, lon in _country_codes(path, country) if code.startswith(prefix)] if prefix else []
    if not points:
        return None
    return sum(lat for lat, _ in points) / len(points), sum(lon for _, lon in points) / len(points)
