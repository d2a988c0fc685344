"""What an OpenStreetMap extract holds for the street map: roads, railways, water, areas and place names, projected."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .map_style import AREA_COLOURS, PLACE_SIZES, ROAD_STYLES, WATER_AREAS


@dataclass
class Line:
    kind: str  # a ROAD_STYLES key, or "rail", "tram", "subway", "river", "stream", "canal"
    points: np.ndarray  # (n, 2)
    name: str = ""
    layer: int = 0
    tunnel: bool = False
    bridge: bool = False


@dataclass
class Polygon:
    kind: str  # an AREA_COLOURS key, "water" or "building"
    rings: list[np.ndarray]  # the outer ring first; holes after
    name: str = ""


@dataclass
class Place:
    kind: str
    point: tuple[float, float]
    name: str


@dataclass
class MapData:
    lines: list[Line] = field(default_factory=list)
    polygons: list[Polygon] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north in degrees


def mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-85.0511, min(85.0511, lat))
    return (lon + 180.0) / 360.0, (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0


def _area_kind(tags) -> str | None:
    if tags.get("building") and tags.get("building") != "no":
        return "building"
    for key in ("natural", "waterway", "landuse", "leisure", "amenity", "highway", "place", "man_made"):
        value = tags.get(key)
        if value is None:
            continue
        kind = f"{key}={value}"
        if kind in WATER_AREAS:
            return "water"
        if kind in AREA_COLOURS and (key != "highway" or tags.get("area") == "yes"):
            return kind
    return None


def read_extract(pbf_path: Path) -> MapData:
    """Roads, railways, waterways, areas and place names of an extract, projected, with the extract's bounds."""
    import osmium

    data = MapData()
    seen = [math.inf, math.inf, -math.inf, -math.inf]

    def points_of(nodes) -> list[np.ndarray]:
        """The way's points; a run of nodes the extract cut off splits it (a clipped extract has such ways)."""
        runs, run = [], []
        for node in nodes:
            try:
                lon, lat = node.location.lon, node.location.lat
            except osmium.InvalidLocationError:
                lon = lat = None
            if lon is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                if len(run) >= 2:
                    runs.append(np.array(run))
                run = []
                continue
            seen[0], seen[1] = min(seen[0], lon), min(seen[1], lat)
            seen[2], seen[3] = max(seen[2], lon), max(seen[3], lat)
            run.append(mercator(lon, lat))
        if len(run) >= 2:
            runs.append(np.array(run))
        return runs

    def layer_of(tags) -> int:
        try:
            return max(-5, min(5, int(tags.get("layer", "0"))))
        except ValueError:
            return 0

    coast: list[np.ndarray] = []
    for obj in osmium.FileProcessor(str(pbf_path)).with_locations().with_areas():
        tags = obj.tags
        if obj.is_way() and tags.get("natural") == "coastline":
            coast.extend(points_of(obj.nodes))
            continue
        if obj.is_node():
            if obj.location.valid():
                lon, lat = obj.location.lon, obj.location.lat
                seen[0], seen[1], seen[2], seen[3] = min(seen[0], lon), min(seen[1], lat), max(seen[2], lon), max(seen[3], lat)
            place = tags.get("place")
            if place in PLACE_SIZES and tags.get("name") and obj.location.valid():
                data.places.append(Place(place, mercator(obj.location.lon, obj.location.lat), tags.get("name")))
        elif obj.is_way():
            highway, railway, waterway = tags.get("highway"), tags.get("railway"), tags.get("waterway")
            if highway in ROAD_STYLES and tags.get("area") != "yes":
                kind = highway
                if highway in ("footway", "path") and tags.get("bicycle") == "designated":
                    kind = "cycleway"
                elif highway == "footway" and tags.get("footway") in ("sidewalk", "crossing"):
                    kind = "sidewalk"
            elif railway in ("rail", "light_rail", "narrow_gauge", "tram", "subway", "funicular", "monorail"):
                kind = {"light_rail": "rail", "narrow_gauge": "rail", "funicular": "rail", "monorail": "rail"}.get(railway, railway)
            elif waterway in ("river", "stream", "canal", "ditch", "drain"):
                kind = {"ditch": "stream", "drain": "stream"}.get(waterway, waterway)
            else:
                continue
            for points in points_of(obj.nodes):
                data.lines.append(Line(kind, points, tags.get("name", ""), layer_of(tags),
                                       tags.get("tunnel", "no") not in ("no", ""), tags.get("bridge", "no") not in ("no", "")))
        elif obj.is_area():
            kind = _area_kind(tags)
            if kind is None:
                continue
            for outer in obj.outer_rings():
                rings = points_of(outer)
                if not rings or len(rings[0]) < 3:
                    continue
                for inner in obj.inner_rings(outer):
                    rings.extend(ring for ring in points_of(inner) if len(ring) >= 3)
                data.polygons.append(Polygon(kind, rings, tags.get("name", "")))
    try:
        box = osmium.io.Reader(str(pbf_path), osmium.osm.osm_entity_bits.NOTHING).header().box()
        if box.valid():
            data.bounds = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    except Exception:  # no bounding box in the header: the data's own extent below
        pass
    if data.bounds is None and seen[0] <= seen[2]:
        data.bounds = tuple(seen)
    if coast and data.bounds is not None:
        data.polygons[:0] = [Polygon("sea", [ring]) for ring in sea_polygons(coast, data.bounds)]
    return data


def sea_polygons(coast: list[np.ndarray], bounds: tuple[float, float, float, float]) -> list[np.ndarray]:
    """The sea inside the extract's box, from its coastline pieces (land on their left, so water on their right):
    each piece ends where the extract cut it, and the sea goes on from there clockwise along the box's edge to
    the start of the next piece. Closed coastlines (islands) are not sea."""
    x0, y1 = mercator(bounds[0], bounds[1])
    x1, y0 = mercator(bounds[2], bounds[3])  # y grows southwards here: y0 is the north edge
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0:
        return []

    def edge_position(point) -> float:
        """0..4 clockwise round the box from its north-west corner, for the edge point nearest `point`."""
        x, y = min(max(point[0], x0), x1), min(max(point[1], y0), y1)
        distances = (y - y0, x1 - x, y1 - y, x - x0)  # north, east, south, west
        side = distances.index(min(distances))
        return (((x - x0) / width), 1 + (y - y0) / height, 2 + (x1 - x) / width, 3 + (y1 - y) / height)[side] % 4

    corners = {1: (x1, y0), 2: (x1, y1), 3: (x0, y1), 4: (x0, y0)}
    pieces = [piece for piece in coast if np.hypot(*(piece[0] - piece[-1])) > 1e-12]
    unused, rings = set(range(len(pieces))), []
    while unused:
        first = unused.pop()
        ring = [pieces[first]]
        for _ in range(len(pieces) + 1):
            end = edge_position(ring[-1][-1])
            ahead = lambda j: (edge_position(pieces[j][0]) - end) % 4 or 4  # noqa: E731
            following = min(unused | {first}, key=ahead)
            gap = ahead(following)
            passed = sorted((c for c in corners if 0 < (c - end) % 4 < gap), key=lambda c: (c - end) % 4)
            if passed:
                ring.append(np.array([corners[c] for c in passed]))
            if following == first:
                break
            unused.discard(following)
            ring.append(pieces[following])
        points = np.concatenate(ring)
        if len(points) >= 3:
            rings.append(points)
    return rings


def bbox_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """min x, min y, max x, max y of a line's or ring's points."""
    low, high = points.min(axis=0), points.max(axis=0)
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])
