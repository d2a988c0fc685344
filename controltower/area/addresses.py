"""The area's address index (addresses.db): house-level offline geocoding with fuzzy matching, and its points.

    build_address_index(pbf_path, out_path, progress)         # once per area build (in the build's child process)
    index = AddressIndex.open(path)                            # shared per file, read-only, thread-safe
    index.locate(Address("Annank. 7b", "Helsinki", "", "FI"))  # a GeoPoint with its precision, or None
    index.points()                                             # every address: street, number, postcode, city, lat, lon

Precision of an answer: ROOFTOP (the house is in the data), INTERPOLATED (along a mapped interpolation line, or
between known numbers on its side of the street), STREET (the street is known, the house is not, or two streets fit
the text equally well), POSTCODE (an unknown street in a postcode of the area), CITY (an unknown street in a town of
the area); None past all of these (the next geocoder tries).
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from ..domain import Address, GeoPoint, GeoPrecision
from ..domain.geo import haversine_km
from .address_build import TOWN_KM, build_address_index
from .address_text import fold, parse_street_line, sorted_words, street_aliases

__all__ = ["AddressIndex", "AddressMatch", "AddressPoint", "build_address_index"]

_STREET_CUTOFF = 78.0  # rapidfuzz ratio (0-100) below which a street name is not the one typed
_CLOSE_CALL = 3.0  # two streets scoring this close are both what the user may have meant
_SAME_HOUSE_KM = 0.03  # two candidates nearer than this are the same house: no doubt between them


@dataclass(frozen=True)
class AddressPoint:
    """One address of the area, as the extract has it."""

    street: str
    housenumber: str
    postcode: str
    city: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AddressMatch:
    """A found address: where it is, how exactly, and what the text was matched to (for a person to check)."""

    point: GeoPoint
    street: str
    housenumber: str = ""
    postcode: str = ""
    city: str = ""


class AddressIndex:
    """Street names and their short forms in memory; houses looked up in the file by (street, house number)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        meta = dict(self._conn.execute("SELECT key, value FROM address_meta"))
        self.country = meta.get("country", "")  # the most common; an area across a border has more
        self._countries = set(filter(None, meta.get("countries", self.country).split(",")))
        self._streets: dict[str, list[tuple[str, float, float, int]]] = {}
        for key, name, lat, lon, weight in self._conn.execute(
                "SELECT street_key, street, lat, lon, weight FROM address_streets ORDER BY weight DESC"):
            self._streets.setdefault(key, []).append((name, lat, lon, weight))
        self._aliases: dict[str, set[str]] = {}
        for key in self._streets:
            for alias in street_aliases(key):
                self._aliases.setdefault(alias, set()).add(key)
        self._alias_list = list(self._aliases)
        self._postcodes = {code: (lat, lon) for code, lat, lon in
                           self._conn.execute("SELECT postcode, lat, lon FROM address_postcodes")}
        self._cities = {fold(city): (lat, lon) for city, lat, lon in self._conn.execute(
            "SELECT city, AVG(lat), AVG(lon) FROM address_points WHERE in_range = 0 GROUP BY city")
            if city and not city.isdigit()}

    @classmethod
    def open(cls, path: str | Path) -> "AddressIndex":
        """The index of a file, opened once per process (a rebuilt file is a new one: its change time is in the key)."""
        path = Path(path).resolve()
        return _opened(path, path.stat().st_mtime_ns)

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------------------------------ reading
    def points(self) -> list[AddressPoint]:
        """Every address of the area (one per house; a range's members are not repeated), by street and number."""
        with self._lock:
            rows = self._conn.execute("SELECT street, housenumber, postcode, city, lat, lon FROM address_points "
                                      "WHERE in_range = 0 ORDER BY street_key, number, house_key").fetchall()
        return [AddressPoint(*row) for row in rows]

    def _houses(self, key: str, house_keys: tuple[str, ...]) -> list[tuple[AddressPoint, bool]]:
        """The houses with the first of the keys the street has, each with whether it is only on an interpolation line."""
        with self._lock:
            for house in house_keys:
                rows = self._conn.execute("SELECT street, housenumber, postcode, city, lat, lon, in_range = 2 "
                                          "FROM address_points WHERE street_key = ? AND house_key = ?",
                                          (key, house)).fetchall()
                if rows:
                    return [(AddressPoint(*row[:6]), bool(row[6])) for row in rows]
        return []

    def _numbers(self, key: str) -> list[tuple[int, float, float]]:
        with self._lock:
            return self._conn.execute("SELECT number, lat, lon FROM address_points WHERE street_key = ? AND "
                                      "number IS NOT NULL ORDER BY number", (key,)).fetchall()

    # ------------------------------------------------------------------------------------------ searching
    def locate(self, address: Address) -> GeoPoint | None:
        found = self.match(address)
        return found.point if found is not None else None

    def match(self, address: Address) -> AddressMatch | None:
        """The address's best match in the area, or None when it is not in the area at all."""
        country = (address.country or "").strip().upper()
        if len(country) == 2 and self._countries and country not in self._countries:
            return None  # another country's address (a name such as "Finland" is not judged)
        line = parse_street_line(address.street or "")
        if not line.house_keys and address.line2:  # "Mannerheimintie" / "5 A 12" split over two lines
            line = parse_street_line(f"{address.street} {address.line2}")
        postcode = (address.postcode or line.postcode or "").strip().upper()
        city = address.city or line.city
        if not self._in_area(postcode, city):
            return None
        streets = self.streets_for(line.street)
        if not streets:
            return self._postcode_match(postcode) or self._town_match(city)
        if line.house_keys:
            found = self._house_match(streets, line.house_keys, postcode, city)
            if found is not None:
                return found
            interpolated = self._interpolate(streets[0], line.number)
            if interpolated is not None:
                return interpolated
        return self._street_match(streets[0], postcode)

    def streets_for(self, text: str) -> list[tuple[str, float]]:
        """(street key, score 0-100) of the streets the text may name, best first: exact and short forms score 100."""
        key = fold(text)
        if not key:
            return []
        exact = self._aliases.get(key) or self._aliases.get(sorted_words(key))
        if exact:
            return [(street, 100.0) for street in sorted(exact)]
        scores: dict[str, float] = {}
        for query in {key, sorted_words(key)}:
            for alias, score, _index in process.extract(query, self._alias_list, scorer=fuzz.ratio, limit=8,
                                                        score_cutoff=_STREET_CUTOFF):
                for street in self._aliases[alias]:
                    scores[street] = max(scores.get(street, 0.0), score)
        return sorted(scores.items(), key=lambda item: -item[1])

    def _in_area(self, postcode: str, city: str) -> bool:
        """False for an address the area can't hold: a town the area does not know, and a postcode it does not have."""
        if not any(ch.isalpha() for ch in city or "") or not self._cities or postcode in self._postcodes:
            return True  # no town named (a bare number in the town field is no town either)
        folded = fold(city)
        return folded in self._cities or any(fuzz.ratio(folded, known) >= 85 for known in self._cities)

    def _house_match(self, streets, house_keys, postcode: str, city: str) -> AddressMatch | None:
        best_score = streets[0][1]
        candidates = []  # (score, fits postcode/city, row)
        for key, score in streets:
            if score < best_score - 8:
                break
            for row, on_line in self._houses(key, house_keys):
                fits = (bool(postcode) and row.postcode == postcode) + (bool(city) and fold(city) == fold(row.city))
                candidates.append((score, fits, row, on_line))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (-c[0], -c[1], c[3]))
        score, fits, row, on_line = candidates[0]
        rivals = [other for other_score, other_fits, other, _line in candidates[1:]
                  if other_score >= score - _CLOSE_CALL and other_fits >= fits
                  and haversine_km(row.lat, row.lon, other.lat, other.lon) > _SAME_HOUSE_KM]
        if rivals:  # two streets (or two towns) fit as well: the house is a guess, and says so
            return AddressMatch(GeoPoint(row.lat, row.lon, GeoPrecision.STREET, round(0.4 * score / 100, 2)),
                                row.street, row.housenumber, row.postcode, row.city)
        confidence = score / 100 * (0.9 if postcode and row.postcode and row.postcode != postcode else 1.0)
        if on_line:  # a mapper's interpolation line, not a house of the data
            return AddressMatch(GeoPoint(row.lat, row.lon, GeoPrecision.INTERPOLATED, round(0.7 * confidence, 2)),
                                row.street, row.housenumber, row.postcode, row.city)
        return AddressMatch(GeoPoint(row.lat, row.lon, GeoPrecision.ROOFTOP, round(confidence, 2)),
                            row.street, row.housenumber, row.postcode, row.city)

    def _interpolate(self, street: tuple[str, float], number: int | None) -> AddressMatch | None:
        """Between the nearest known numbers below and above on the same side of the street (even or odd)."""
        if number is None:
            return None
        key, score = street
        known = self._numbers(key)
        for side in ([n for n in known if n[0] % 2 == number % 2], known):
            below = max((n for n in side if n[0] < number), default=None, key=lambda n: n[0])
            above = min((n for n in side if n[0] > number), default=None, key=lambda n: n[0])
            if below and above and haversine_km(below[1], below[2], above[1], above[2]) <= TOWN_KM:
                share = (number - below[0]) / (above[0] - below[0])
                lat = below[1] + share * (above[1] - below[1])
                lon = below[2] + share * (above[2] - below[2])
                name = self._streets[key][0][0]
                return AddressMatch(GeoPoint(lat, lon, GeoPrecision.INTERPOLATED, round(0.6 * score / 100, 2)),
                                    name, str(number))
        return None

    def _street_match(self, street: tuple[str, float], postcode: str) -> AddressMatch:
        key, score = street
        stretches = self._streets[key]
        name, lat, lon, _weight = stretches[0]
        if postcode in self._postcodes and len(stretches) > 1:  # the stretch nearest the postcode's centre
            plat, plon = self._postcodes[postcode]
            name, lat, lon, _weight = min(stretches, key=lambda s: haversine_km(s[1], s[2], plat, plon))
        return AddressMatch(GeoPoint(lat, lon, GeoPrecision.STREET, round(0.45 * score / 100, 2)), name)

    def _town_match(self, city: str) -> AddressMatch | None:
        centre = self._cities.get(fold(city)) if city else None
        if centre is None:
            return None
        return AddressMatch(GeoPoint(*centre, GeoPrecision.CITY, 0.2), "", city=city)

    def _postcode_match(self, postcode: str) -> AddressMatch | None:
        if postcode not in self._postcodes:
            return None
        lat, lon = self._postcodes[postcode]
        return AddressMatch(GeoPoint(lat, lon, GeoPrecision.POSTCODE, 0.4), "", postcode=postcode)


@lru_cache(maxsize=4)
def _opened(path: Path, _changed: int) -> AddressIndex:
    return AddressIndex(path)
