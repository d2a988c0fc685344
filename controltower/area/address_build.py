"""Building the area's address index (addresses.db) from an extract's address points, buildings and named streets."""
from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..domain.geo import haversine_km
from .address_text import house_key, house_number, range_members, street_key
from .source import Progress, estimated_objects

VERSION = 1  # the file's layout; bump it when the tables change
SCHEMA = """
CREATE TABLE address_points(id INTEGER PRIMARY KEY, street TEXT NOT NULL, street_key TEXT NOT NULL,
    housenumber TEXT NOT NULL, house_key TEXT NOT NULL, number INTEGER, postcode TEXT NOT NULL, city TEXT NOT NULL,
    lat REAL NOT NULL, lon REAL NOT NULL, objects INTEGER NOT NULL, in_range INTEGER NOT NULL DEFAULT 0);
-- in_range: 0 an address of the data, 1 a number inside a building's range ("14-20"), 2 a number placed along
-- a mapped interpolation line (addr:interpolation) between two addresses of the data
CREATE INDEX address_points_house ON address_points(street_key, house_key);
CREATE TABLE address_streets(street_key TEXT NOT NULL, street TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    weight INTEGER NOT NULL);
CREATE INDEX address_streets_key ON address_streets(street_key);
CREATE TABLE address_postcodes(postcode TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL, points INTEGER NOT NULL);
CREATE TABLE address_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
TOWN_KM = 1.0  # one street name and number farther apart than this are two places (two towns), not one house
_STREET_CELL = 0.05  # degrees: a street name's stretches are kept apart per cell of about 5 km


@dataclass
class FoundAddress:
    """One OSM object carrying an address: a point, or a building at its centre (or, interpolated, a number placed
    along a mapped interpolation line)."""

    street: str
    housenumber: str
    postcode: str
    city: str
    country: str
    lat: float
    lon: float
    building: bool
    interpolated: bool = False


_STEPS = {"even": 2, "odd": 2, "all": 1}


def _along(path: list[tuple[float, float]], share: float) -> tuple[float, float]:
    """The point `share` (0..1) of the way along a polyline of (lat, lon), by length."""
    legs = [haversine_km(*a, *b) for a, b in zip(path, path[1:])]
    goal, walked = share * sum(legs), 0.0
    for (a, b), leg in zip(zip(path, path[1:]), legs):
        if leg > 0 and walked + leg >= goal:
            part = (goal - walked) / leg
            return a[0] + part * (b[0] - a[0]), a[1] + part * (b[1] - a[1])
        walked += leg
    return path[-1]


def _interpolated(way_tags, nodes: list[tuple[int, float, float]], numbered: dict[int, tuple]) -> list[FoundAddress]:
    """The numbers between each two numbered nodes of an addr:interpolation way (odd, even or all), along it."""
    step = _STEPS.get(way_tags.get("addr:interpolation", ""))
    if step is None:
        return []
    ends = [i for i, (ref, _lat, _lon) in enumerate(nodes) if ref in numbered]
    made = []
    for start, end in zip(ends, ends[1:]):
        (low_number, low_street, postcode, city), (high_number, high_street, _p, _c) = (numbered[nodes[start][0]],
                                                                                       numbered[nodes[end][0]])
        street = _clean_street(way_tags.get("addr:street") or low_street or high_street)
        low, high = house_number(house_key(low_number)), house_number(house_key(high_number))
        if not street or low is None or high is None or low == high or abs(high - low) > 2000:
            continue
        path = [(lat, lon) for _ref, lat, lon in nodes[start:end + 1]]
        if high < low:
            low, high, path = high, low, path[::-1]
        for number in range(low + step, high, step):
            made.append(FoundAddress(street, str(number), postcode, city, "", *_along(path, (number - low) / (high - low)),
                                     building=False, interpolated=True))
    return made


def _ring_centroid(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(lat, lon) of a ring's area centroid (plane formula in local degrees; fine at house scale), else the mean."""
    if not points:
        return None
    if len(points) >= 4 and points[0] == points[-1]:
        lat0, lon0 = points[0]
        scale = math.cos(math.radians(lat0))
        area = cx = cy = 0.0
        for (lat1, lon1), (lat2, lon2) in zip(points, points[1:]):
            x1, y1, x2, y2 = (lon1 - lon0) * scale, lat1 - lat0, (lon2 - lon0) * scale, lat2 - lat0
            cross = x1 * y2 - x2 * y1
            area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        if abs(area) > 1e-14:
            return lat0 + cy / (3 * area), lon0 + cx / (3 * area * scale)
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _clean_street(name: str) -> str:
    """OSM street values as mappers type them: 'Asemahalli, Kaivokatu' -> 'Kaivokatu', 'Pohjoisesplanadi 33' -> ..."""
    parts = [part.strip() for part in name.split(",") if part.strip()]
    name = parts[-1] if parts else ""
    words = name.split()
    while len(words) > 1 and words[-1][:1].isdigit():
        words.pop()
    return " ".join(words)


def read_addresses(pbf_path: Path, progress: Progress | None = None) -> tuple[list[FoundAddress], dict[str, list[tuple[float, float]]]]:
    """Every object with a house number, and the middle node of each named street's ways, in one pass (plus
    osmium's own pass for multipolygons). Middle nodes only: a country's street nodes would not fit in memory."""
    import osmium

    found: list[FoundAddress] = []
    street_nodes: dict[str, list[tuple[float, float]]] = defaultdict(list)
    numbered: dict[int, tuple] = {}  # node id -> (housenumber, street, postcode, city): interpolation lines' ends
    seen, estimate = 0, estimated_objects(pbf_path)
    processor = osmium.FileProcessor(osmium.io.File(str(pbf_path), "pbf")).with_locations().with_areas()
    for obj in processor:
        seen += 1
        if progress is not None and seen % 50_000 == 0:
            progress("address index: reading", seen, max(seen, estimate))
        tags = obj.tags
        kind = obj.type_str()
        if kind == "w" and "highway" in tags and "name" in tags:
            nodes = [(n.lat, n.lon) for n in obj.nodes if n.location.valid()]
            if nodes:
                street_nodes[tags["name"]].append(nodes[len(nodes) // 2])
        if kind == "n" and "addr:housenumber" in tags:
            numbered[obj.id] = (tags["addr:housenumber"], tags.get("addr:street", ""), tags.get("addr:postcode", ""),
                                tags.get("addr:city", ""))
        if kind == "w" and "addr:interpolation" in tags:
            found += _interpolated(tags, [(n.ref, n.lat, n.lon) for n in obj.nodes if n.location.valid()], numbered)
        if "addr:housenumber" not in tags or "addr:street" not in tags:
            continue
        if kind == "n":
            position = (obj.location.lat, obj.location.lon) if obj.location.valid() else None
        elif kind == "w":
            position = _ring_centroid([(n.lat, n.lon) for n in obj.nodes if n.location.valid()])
        elif kind == "a" and not obj.from_way():  # a multipolygon relation's building; a way's comes as "w"
            rings = [[(n.lat, n.lon) for n in ring] for ring in obj.outer_rings()]
            position = _ring_centroid(max(rings, key=len)) if rings else None
        else:
            continue
        if position is None:
            continue
        street = _clean_street(tags["addr:street"])
        if street and house_key(tags["addr:housenumber"])[:1].isdigit():  # not 'Keskuskatu 5' (a second address)
            found.append(FoundAddress(street, tags["addr:housenumber"].split(",")[0].strip(), tags.get("addr:postcode", ""),
                                tags.get("addr:city", ""), tags.get("addr:country", ""), *position,
                                building=kind != "n"))
    return found, street_nodes


def _places(found: list[FoundAddress]) -> list[list[FoundAddress]]:
    """The objects of one address: same street and house number, within TOWN_KM of each other."""
    groups: dict[tuple[str, str], list[list[FoundAddress]]] = defaultdict(list)
    for item in found:
        clusters = groups[(street_key(item.street), house_key(item.housenumber))]
        home = next((c for c in clusters if haversine_km(c[0].lat, c[0].lon, item.lat, item.lon) <= TOWN_KM), None)
        if home is None:
            clusters.append([item])
        else:
            home.append(item)
    return [cluster for clusters in groups.values() for cluster in clusters]


def _most_common(values) -> str:
    counted = Counter(value for value in values if value)
    return counted.most_common(1)[0][0] if counted else ""


def _address_rows(found: list[FoundAddress]) -> list[tuple]:
    """One row per address: the building's centre when a building carries it, else the mean of its points."""
    rows = []
    for cluster in _places([item for item in found if not item.interpolated]):
        buildings = [item for item in cluster if item.building] or cluster
        lat = sum(item.lat for item in buildings) / len(buildings)
        lon = sum(item.lon for item in buildings) / len(buildings)
        first = cluster[0]
        key = house_key(first.housenumber)
        rows.append((first.street, street_key(first.street), first.housenumber, key, house_number(key),
                     _most_common(i.postcode for i in cluster), _most_common(i.city for i in cluster), lat, lon,
                     len(cluster), 0))
    known = {(row[1], row[3]) for row in rows}
    for row in list(rows):  # "14-20" also answers to 14, 16, 18 and 20 unless those are in the data themselves
        for member in range_members(row[3]):
            if (row[1], member) not in known:
                known.add((row[1], member))
                rows.append((*row[:3], member, int(member), *row[5:10], 1))
    for item in found:  # numbers along interpolation lines, where the data has no such address of its own
        key = (street_key(item.street), house_key(item.housenumber))
        if item.interpolated and key not in known:
            known.add(key)
            rows.append((item.street, *key[:1], item.housenumber, key[1], house_number(key[1]), item.postcode,
                         item.city, item.lat, item.lon, 0, 2))
    return rows


def _street_rows(street_nodes: dict[str, list[tuple[float, float]]], address_rows: list[tuple]) -> list[tuple]:
    """Per street name and 5 km cell: the way middle nearest the stretch's mean (or its addresses' mean)."""
    cells: dict[tuple[str, int, int], tuple[str, list[tuple[float, float]]]] = {}
    for name, nodes in street_nodes.items():
        for lat, lon in nodes:
            cell = (street_key(name), int(lat // _STREET_CELL), int(lon // _STREET_CELL))
            cells.setdefault(cell, (name, []))[1].append((lat, lon))
    for row in address_rows:
        cell = (row[1], int(row[7] // _STREET_CELL), int(row[8] // _STREET_CELL))
        if cell not in cells:
            cells.setdefault(("~" + row[1], *cell[1:]), (row[0], []))[1].append((row[7], row[8]))
    rows = []
    for (key, *_cell), (name, points) in cells.items():
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        nearest = min(points, key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)
        rows.append((key.lstrip("~"), name, *nearest, len(points)))
    return rows


def build_address_index(pbf_path: str | Path, out_path: str | Path, progress: Progress | None = None) -> dict:
    """Write addresses.db for the extract; returns what it holds (version, addresses, streets, postcodes)."""
    pbf_path, out_path = Path(pbf_path), Path(out_path)
    found, street_nodes = read_addresses(pbf_path, progress)
    address_rows = _address_rows(found)
    street_rows = _street_rows(street_nodes, address_rows)
    by_postcode: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in address_rows:
        if row[5] and not row[10]:
            by_postcode[row[5]].append((row[7], row[8]))
    postcode_rows = [(code, sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts), len(pts))
                     for code, pts in by_postcode.items()]
    country = _most_common(item.country for item in found)
    countries = ",".join(sorted({item.country.upper() for item in found if len(item.country) == 2}))
    out_path.unlink(missing_ok=True)
    conn = sqlite3.connect(out_path)
    try:
        with conn:
            conn.executescript(SCHEMA)
            conn.executemany("INSERT INTO address_points(street, street_key, housenumber, house_key, number, postcode, "
                             "city, lat, lon, objects, in_range) VALUES (?,?,?,?,?,?,?,?,?,?,?)", address_rows)
            conn.executemany("INSERT INTO address_streets(street_key, street, lat, lon, weight) VALUES (?,?,?,?,?)",
                             street_rows)
            conn.executemany("INSERT INTO address_postcodes(postcode, lat, lon, points) VALUES (?,?,?,?)", postcode_rows)
            conn.executemany("INSERT INTO address_meta(key, value) VALUES (?, ?)",
                             [("version", str(VERSION)), ("country", country), ("countries", countries),
                              ("source", pbf_path.name)])
    finally:
        conn.close()
    addresses = sum(1 for row in address_rows if not row[10])
    interpolated = sum(1 for row in address_rows if row[10] == 2)
    if progress is not None:
        progress("address index: written", addresses, addresses)
    return {"version": VERSION, "addresses": addresses, "interpolated": interpolated,
            "objects": sum(1 for item in found if not item.interpolated), "streets": len(street_rows),
            "postcodes": len(postcode_rows), "country": country}
