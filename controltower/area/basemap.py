"""The street-level basemap of an area package: raster tiles drawn here, from an OpenStreetMap extract, into MBTiles.

Nothing is fetched: the extract (.osm.pbf) is read with pyosmium, and every tile from `min_zoom` to `max_zoom` over
the extract's extent is drawn with Pillow (at twice the size, then shrunk, for smooth edges): land use, parks, water,
railways, roads by class with widths that grow with the zoom, buildings at city zooms, then street and place names.
Names are placed once per zoom over the whole area (so a name crossing a tile edge is whole on both tiles) and drawn
as pixels: a name holding markup stays text in an image. The tiles go into the app's MBTiles format
(controltower.maps.tiles.TileCache), with the ODbL attribution in its metadata. Run it in a child process.

    stats = build_basemap(Path("Helsinki.osm.pbf"), Path("basemap.mbtiles"), progress=print)
"""
from __future__ import annotations

import io
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..maps.tiles import TileCache
from .package import ATTRIBUTION
TILE = 256
SCALE = 2  # drawn at 512 px, shrunk to 256: Pillow's lines have no antialiasing of their own

Progress = Callable[[str, int, int], None]  # (stage, done, total)

# -- the look ----------------------------------------------------------------------------------------------------
LAND = (242, 239, 233)
WATER = (170, 211, 223)
BUILDING, BUILDING_EDGE = (217, 208, 201), (196, 182, 171)
LABEL_INK, LABEL_HALO = (51, 51, 51), (255, 255, 255)
AREA_COLOURS = {  # key=value of a closed way or multipolygon -> fill; drawn in this order (later on top)
    "landuse=residential": (224, 223, 223), "landuse=commercial": (242, 218, 217), "landuse=retail": (255, 214, 209),
    "landuse=industrial": (235, 219, 232), "landuse=railway": (235, 219, 232), "landuse=construction": (199, 199, 180),
    "amenity=school": (255, 255, 229), "amenity=university": (255, 255, 229), "amenity=hospital": (255, 255, 229),
    "amenity=parking": (238, 238, 238), "landuse=cemetery": (170, 203, 175), "landuse=grass": (205, 235, 176),
    "landuse=meadow": (205, 235, 176), "landuse=village_green": (205, 235, 176), "landuse=recreation_ground": (223, 252, 226),
    "leisure=park": (200, 250, 204), "leisure=garden": (205, 235, 176), "leisure=playground": (223, 252, 226),
    "leisure=pitch": (170, 224, 203), "leisure=sports_centre": (223, 252, 226), "natural=grassland": (205, 235, 176),
    "landuse=forest": (173, 209, 158), "natural=wood": (173, 209, 158), "natural=scrub": (200, 215, 171),
    "natural=beach": (255, 241, 186), "natural=sand": (245, 233, 198), "highway=pedestrian": (221, 221, 232),
    "place=square": (221, 221, 232), "man_made=pier": (242, 239, 233),
}
WATER_AREAS = {"natural=water", "waterway=riverbank", "landuse=reservoir", "landuse=basin", "natural=bay"}
GREEN_FOR_NAMES = {"leisure=park", "leisure=garden", "landuse=cemetery", "landuse=forest", "natural=wood"}


@dataclass(frozen=True)
class RoadStyle:
    rank: int  # drawing order and label priority: higher on top
    fill: tuple[int, int, int]
    casing: tuple[int, int, int]
    width_17: float  # pixels at zoom 17 (about the real width there)
    from_zoom: int  # not drawn below this zoom
    label_from: int  # names from this zoom


ROAD_STYLES = {
    "motorway": RoadStyle(9, (232, 146, 162), (220, 42, 103), 16, 5, 13),
    "trunk": RoadStyle(8, (249, 178, 156), (197, 72, 53), 15, 5, 13),
    "primary": RoadStyle(7, (252, 214, 164), (161, 107, 0), 14, 8, 14),
    "secondary": RoadStyle(6, (247, 250, 191), (112, 125, 5), 13, 9, 15),
    "tertiary": RoadStyle(5, (255, 255, 255), (143, 143, 143), 12, 10, 15),
    "residential": RoadStyle(4, (255, 255, 255), (180, 180, 180), 10, 12, 16),
    "unclassified": RoadStyle(4, (255, 255, 255), (180, 180, 180), 10, 12, 16),
    "living_street": RoadStyle(4, (237, 237, 237), (180, 180, 180), 9, 13, 16),
    "pedestrian": RoadStyle(3, (221, 221, 232), (153, 153, 170), 8, 13, 16),
    "service": RoadStyle(2, (255, 255, 255), (190, 190, 190), 5, 14, 17),
    "track": RoadStyle(1, (153, 102, 51), (153, 102, 51), 1.5, 15, 99),
    "footway": RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.6, 15, 99),
    "cycleway": RoadStyle(1, (60, 60, 240), (255, 255, 255), 1.6, 15, 99),
    "path": RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.4, 15, 99),
    "steps": RoadStyle(1, (250, 128, 114), (255, 255, 255), 2.5, 16, 99),
}
for _link in ("motorway", "trunk", "primary", "secondary", "tertiary"):
    _style = ROAD_STYLES[_link]
    ROAD_STYLES[f"{_link}_link"] = RoadStyle(_style.rank, _style.fill, _style.casing, _style.width_17 * 0.7,
                                             max(_style.from_zoom, 12), 99)
ROAD_STYLES["sidewalk"] = RoadStyle(1, (250, 128, 114), (255, 255, 255), 1.2, 17, 99)  # beside a street: only up close
ROAD_STYLES["road"] = ROAD_STYLES["unclassified"]
ROAD_STYLES["bridleway"] = ROAD_STYLES["path"]
ROAD_STYLES["corridor"] = ROAD_STYLES["footway"]
THIN = {"footway", "sidewalk", "cycleway", "path", "steps", "track", "bridleway", "corridor"}  # dashed, no casing
PLACE_SIZES = {"city": (11, 14, 18), "town": (11, 15, 16), "suburb": (12, 16, 15), "quarter": (13, 16, 14),
               "neighbourhood": (14, 17, 13)}  # place -> (from zoom, to zoom, text px)


def road_width(style: RoadStyle, zoom: int) -> float:
    """Pixels (at 1x) for a road at a zoom: its real width at 17 and above, shrinking slower than the map below."""
    if zoom >= 17:
        return style.width_17 * 2 ** (zoom - 17)
    return max(0.6, style.width_17 * 0.62 ** (17 - zoom))


# -- what the extract holds, in web-mercator units (0..1 over the world) ---------------------------------------
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


# -- tiles -------------------------------------------------------------------------------------------------------
def tile_range(bounds: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (inclusive) of the tiles covering bounds (west, south, east, north) at a zoom."""
    n = 1 << zoom
    west, north = mercator(bounds[0], bounds[3])
    east, south = mercator(bounds[2], bounds[1])
    clamp = lambda v: min(max(int(v * n), 0), n - 1)  # noqa: E731
    return clamp(west), clamp(north), clamp(east), clamp(south)


def _bbox(points: np.ndarray) -> tuple[float, float, float, float]:
    low, high = points.min(axis=0), points.max(axis=0)
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])


class _Index:
    """Which features touch which tile at one zoom (a grid of tile buckets, padded for wide lines and labels)."""

    def __init__(self, zoom: int, pad_px: float = 24) -> None:
        self.n = 1 << zoom
        self.pad = pad_px / TILE / self.n
        self.buckets: dict[tuple[int, int], list] = {}

    def add(self, bbox: tuple[float, float, float, float], item) -> None:
        n, pad = self.n, self.pad
        x0, y0 = max(0, int((bbox[0] - pad) * n)), max(0, int((bbox[1] - pad) * n))
        x1, y1 = min(n - 1, int((bbox[2] + pad) * n)), min(n - 1, int((bbox[3] + pad) * n))
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                self.buckets.setdefault((x, y), []).append(item)

    def get(self, x: int, y: int) -> list:
        return self.buckets.get((x, y), [])


_FONTS: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}


def fonts_folder() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) / "resources" if frozen else Path(__file__).resolve().parents[2] / "resources"
    return root / "fonts" / "dejavu"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    key = (bold, size)
    if key not in _FONTS:
        name = "DejaVuSansCondensed-Bold.ttf" if bold else "DejaVuSansCondensed.ttf"
        _FONTS[key] = ImageFont.truetype(str(fonts_folder() / name), size)
    return _FONTS[key]


@dataclass
class Label:
    image: Image.Image  # RGBA, already turned to its angle
    left: float  # world pixels at this zoom (1x) of the image's top-left corner
    top: float


def _label_image(text: str, size: int, angle_deg: float, *, bold: bool = False, ink=LABEL_INK, halo=LABEL_HALO) -> Image.Image:
    face = font(size, bold)
    left, top, right, bottom = face.getbbox(text, stroke_width=2)
    image = Image.new("RGBA", (right - left + 4, bottom - top + 4), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=face, fill=ink + (255,), stroke_width=2,
                               stroke_fill=halo + (235,))
    if abs(angle_deg) > 0.5:
        image = image.rotate(angle_deg, resample=Image.Resampling.BICUBIC, expand=True)
    return image


class _Placed:
    """Labels already placed at one zoom, as circles along their centre lines, to keep new ones off them."""

    def __init__(self) -> None:
        self.circles: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
        self.cell = 64.0

    def _cells(self, x: float, y: float, r: float):
        c = self.cell
        for cx in range(int((x - r) // c), int((x + r) // c) + 1):
            for cy in range(int((y - r) // c), int((y + r) // c) + 1):
                yield cx, cy

    def free(self, circles: list[tuple[float, float, float]]) -> bool:
        for x, y, r in circles:
            for cell in self._cells(x, y, r):
                for ox, oy, orad in self.circles.get(cell, ()):
                    if (x - ox) ** 2 + (y - oy) ** 2 < (r + orad) ** 2:
                        return False
        return True

    def take(self, circles: list[tuple[float, float, float]]) -> None:
        for x, y, r in circles:
            for cell in self._cells(x, y, r):
                self.circles.setdefault(cell, []).append((x, y, r))


def _along(cx: float, cy: float, angle: float, length: float, radius: float) -> list[tuple[float, float, float]]:
    steps = max(1, int(length / (radius * 1.5)))
    dx, dy = math.cos(angle), math.sin(angle)
    return [(cx + dx * (i / steps - 0.5) * length, cy + dy * (i / steps - 0.5) * length, radius) for i in range(steps + 1)]


def _straight_stretches(points: np.ndarray, needed: float):
    """(centre x, centre y, angle, distance from the line's middle) of each nearly straight stretch at least
    `needed` long, where a name fits without bending."""
    seg = np.diff(points, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    total = float(lengths.sum())
    if total < needed:
        return
    angles = np.arctan2(seg[:, 1], seg[:, 0])
    starts = np.concatenate([[0.0], np.cumsum(lengths)])
    count = len(seg)
    for first in range(count):
        run, last = 0.0, first
        while last < count and run < needed:
            run += lengths[last]
            last += 1
        if run < needed:
            break
        chord = points[last] - points[first]
        chord_angle = math.atan2(chord[1], chord[0])
        bends = np.abs((angles[first:last] - chord_angle + math.pi) % (2 * math.pi) - math.pi)
        if float(bends[lengths[first:last] > 2].max(initial=0)) > math.radians(22):
            continue
        # the label sits centred on the stretch, on the chord
        middle = (starts[first] + starts[last]) / 2
        centre = (points[first] + points[last]) / 2
        yield float(centre[0]), float(centre[1]), chord_angle, abs(middle - total / 2)


def joined_streets(lines: list[Line]) -> list[Line]:
    """Named ways joined end to end by name and class: a street is split into a way per block, and a name needs
    more room than one block gives."""
    groups: dict[tuple[str, str], list[np.ndarray]] = {}
    for line in lines:
        groups.setdefault((line.name, line.kind), []).append(line.points)
    joined = []
    for (name, kind), pieces in groups.items():
        at_end: dict[tuple[float, float], list[int]] = {}
        for number, piece in enumerate(pieces):
            at_end.setdefault(tuple(piece[0]), []).append(number)
            at_end.setdefault(tuple(piece[-1]), []).append(number)
        used = [False] * len(pieces)
        for number, piece in enumerate(pieces):
            if used[number]:
                continue
            used[number] = True
            chain = piece
            for _ in range(2):  # forwards from its end, then (turned round) from its start
                while True:
                    following = next((other for other in at_end.get(tuple(chain[-1]), ()) if not used[other]), None)
                    if following is None:
                        break
                    used[following] = True
                    other = pieces[following]
                    other = other if tuple(other[0]) == tuple(chain[-1]) else other[::-1]
                    chain = np.concatenate([chain, other[1:]])
                chain = chain[::-1]
            joined.append(Line(kind, chain, name))
    return joined


def place_labels(data: MapData, zoom: int) -> list[Label]:
    """Every name shown at a zoom, placed over the whole area at once: places, then streets by rank, then parks."""
    world = TILE * (1 << zoom)
    placed, labels = _Placed(), []
    for place in data.places:
        low, high, size = PLACE_SIZES[place.kind]
        if not low <= zoom <= high:
            continue
        image = _label_image(place.name, size, 0, bold=True, ink=(80, 80, 90))
        cx, cy = place.point[0] * world, place.point[1] * world
        circles = _along(cx, cy, 0, image.width, image.height / 2)
        if placed.free(circles):
            placed.take(circles)
            labels.append(Label(image, cx - image.width / 2, cy - image.height / 2))
    size = 10 if zoom <= 15 else 11 if zoom == 16 else 12
    named = joined_streets([line for line in data.lines if line.name and line.kind in ROAD_STYLES
                            and ROAD_STYLES[line.kind].label_from <= zoom and not line.tunnel])
    named.sort(key=lambda line: -ROAD_STYLES[line.kind].rank)
    last_at: dict[str, list[tuple[float, float]]] = {}
    spacing = 260.0  # pixels between two names of the same street
    for line in named:
        text = line.name
        width, height = font(size).getbbox(text, stroke_width=2)[2:]
        pixels = line.points * world
        for cx, cy, angle, _ in sorted(_straight_stretches(pixels, width + 16), key=lambda found: found[3]):
            if any((cx - x) ** 2 + (cy - y) ** 2 < spacing ** 2 for x, y in last_at.get(text, ())):
                break  # this street is already named near here
            if math.cos(angle) < 0:  # never upside down
                angle += math.pi
            circles = _along(cx, cy, angle, width, height / 2 + 1)
            if not placed.free(circles):
                continue
            placed.take(circles)
            image = _label_image(text, size, -math.degrees(angle))
            labels.append(Label(image, cx - image.width / 2, cy - image.height / 2))
            last_at.setdefault(text, []).append((cx, cy))
            break
    if zoom >= 16:
        for polygon in data.polygons:
            if not polygon.name or polygon.kind not in GREEN_FOR_NAMES | {"water"}:
                continue
            outer = polygon.rings[0] * world
            x0, y0, x1, y1 = _bbox(outer)
            image = _label_image(polygon.name, 11, 0, ink=(40, 90, 40) if polygon.kind != "water" else (40, 80, 140))
            if image.width > (x1 - x0) * 0.8 or image.height > (y1 - y0) * 0.8:
                continue
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            circles = _along(cx, cy, 0, image.width, image.height / 2)
            if placed.free(circles):
                placed.take(circles)
                labels.append(Label(image, cx - image.width / 2, cy - image.height / 2))
    return labels


def _dashes(points: list[tuple[float, float]], on: float, off: float):
    """A polyline cut into dashes (pixel coordinates)."""
    dash, drawing, left = [points[0]], True, on
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        at = 0.0
        while length - at > left:
            at += left
            t = at / length
            point = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                dash.append(point)
                yield dash
            dash = [point]
            drawing, left = not drawing, (on if not drawing else off)
        left -= length - at
        if drawing:
            dash.append((x1, y1))
    if drawing and len(dash) >= 2:
        yield dash


class TileDrawer:
    """Draws one tile at a time from the features of one zoom."""

    def __init__(self, data: MapData, zoom: int) -> None:
        self.zoom = zoom
        self.scale = TILE * SCALE * (1 << zoom)  # world units -> pixels of the big image
        self.index = _Index(zoom)
        for number, polygon in enumerate(data.polygons):
            if polygon.kind == "building" and zoom < 14:
                continue
            self.index.add(_bbox(polygon.rings[0]), (0, number, polygon))
        for number, line in enumerate(data.lines):
            style = ROAD_STYLES.get(line.kind)
            if style is not None and zoom < style.from_zoom:
                continue
            if line.kind in ("stream",) and zoom < 14 or line.kind == "tram" and zoom < 13:
                continue
            self.index.add(_bbox(line.points), (1, number, line))
        self.labels = _Index(zoom, pad_px=0)
        world = TILE * (1 << zoom)
        for label in place_labels(data, zoom):
            self.labels.add(((label.left) / world, label.top / world, (label.left + label.image.width) / world,
                             (label.top + label.image.height) / world), label)

    def _px(self, points: np.ndarray, x: int, y: int) -> list[tuple[float, float]]:
        offset = np.array([x * TILE * SCALE, y * TILE * SCALE])
        return [tuple(p) for p in (points * self.scale - offset).tolist()]

    def draw(self, x: int, y: int) -> bytes | None:
        """The tile's PNG, or None when nothing of the extract is on it."""
        features = self.index.get(x, y)
        labels = self.labels.get(x, y)
        if not features and not labels:
            return None
        size = TILE * SCALE
        image = Image.new("RGB", (size, size), LAND)
        draw = ImageDraw.Draw(image)
        polygons = [item[2] for item in sorted(features, key=lambda item: item[1]) if item[0] == 0]
        lines = [item[2] for item in features if item[0] == 1]
        self._areas(draw, x, y, polygons, lines)
        self._lines(draw, x, y, lines)
        image = image.resize((TILE, TILE), Image.Resampling.LANCZOS)
        for label in labels:
            image.paste(label.image, (round(label.left - x * TILE), round(label.top - y * TILE)), label.image)
        out = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, "PNG", optimize=False)
        return out.getvalue()

    def _fill(self, draw: ImageDraw.ImageDraw, x: int, y: int, polygon: Polygon, colour, outline=None, width=0) -> None:
        outer, holes = polygon.rings[0], polygon.rings[1:]
        draw.polygon(self._px(outer, x, y), fill=colour, outline=outline, width=width)
        for hole in holes:
            draw.polygon(self._px(hole, x, y), fill=LAND)

    def _areas(self, draw, x, y, polygons: list[Polygon], lines: list[Line]) -> None:
        for polygon in polygons:
            if polygon.kind == "sea":
                self._fill(draw, x, y, polygon, WATER)
        order = {kind: rank for rank, kind in enumerate(AREA_COLOURS)}
        for polygon in sorted((p for p in polygons if p.kind in AREA_COLOURS), key=lambda p: order[p.kind]):
            self._fill(draw, x, y, polygon, AREA_COLOURS[polygon.kind])
        for polygon in polygons:
            if polygon.kind == "water":
                self._fill(draw, x, y, polygon, WATER)
        unit = SCALE * max(1.0, 2 ** (self.zoom - 15))
        for line in lines:
            if line.kind in ("river", "canal", "stream"):
                width = {"river": 6, "canal": 5, "stream": 1.5}[line.kind] * unit
                draw.line(self._px(line.points, x, y), fill=WATER, width=max(1, round(width)), joint="curve")
        if self.zoom >= 14:
            edge = SCALE if self.zoom >= 16 else 0
            for polygon in polygons:
                if polygon.kind == "building":
                    self._fill(draw, x, y, polygon, BUILDING, BUILDING_EDGE if edge else None, edge)

    @staticmethod
    def _line(draw, points, colour, width: float) -> None:
        width = max(1, round(width))
        draw.line(points, fill=colour, width=width, joint="curve")
        if width >= 4:  # round ends, so a road split into ways shows no notches
            r = width / 2
            for px, py in (points[0], points[-1]):
                draw.ellipse((px - r, py - r, px + r, py + r), fill=colour)

    def _lines(self, draw, x, y, lines: list[Line]) -> None:
        zoom = self.zoom
        roads = [line for line in lines if line.kind in ROAD_STYLES]
        for line in [line for line in roads if line.tunnel]:  # tunnels faint, beneath everything
            style = ROAD_STYLES[line.kind]
            self._line(draw, self._px(line.points, x, y), (225, 222, 215), road_width(style, zoom) * SCALE)
        by_layer: dict[int, list[Line]] = {}
        for line in lines:
            if not line.tunnel and line.kind not in ("river", "canal", "stream"):
                by_layer.setdefault(line.layer + (1 if line.bridge else 0), []).append(line)
        for layer in sorted(by_layer):
            group = by_layer[layer]
            thin = [line for line in group if line.kind in THIN]
            for line in thin:
                style = ROAD_STYLES[line.kind]
                points = self._px(line.points, x, y)
                width = max(1.0, road_width(style, zoom) * SCALE)
                if zoom >= 16:
                    self._line(draw, points, (255, 255, 255), width + 2 * SCALE)  # a light edge on top of land
                for dash in _dashes(points, 4 * SCALE, 3 * SCALE):
                    draw.line(dash, fill=style.fill, width=round(width))
            self._rails(draw, x, y, [line for line in group if line.kind in ("rail", "subway")])
            wide = sorted((line for line in group if line.kind in ROAD_STYLES and line.kind not in THIN),
                          key=lambda line: ROAD_STYLES[line.kind].rank)
            casing = 1.0 if zoom >= 13 else 0.0
            for line in wide:
                style = ROAD_STYLES[line.kind]
                if casing:
                    self._line(draw, self._px(line.points, x, y), style.casing,
                               (road_width(style, zoom) + 2 * casing) * SCALE)
            for line in wide:
                style = ROAD_STYLES[line.kind]
                self._line(draw, self._px(line.points, x, y), style.fill if casing else style.casing,
                           road_width(style, zoom) * SCALE)
            for line in group:
                if line.kind == "tram":
                    draw.line(self._px(line.points, x, y), fill=(90, 90, 90), width=max(1, round(SCALE * (1.2 if zoom >= 16 else 0.8))))

    def _rails(self, draw, x, y, lines: list[Line]) -> None:
        zoom = self.zoom
        width = (3 if zoom >= 15 else 2) * SCALE
        for line in lines:
            points = self._px(line.points, x, y)
            draw.line(points, fill=(112, 112, 112), width=width, joint="curve")
            if zoom >= 14:
                for dash in _dashes(points, 6 * SCALE, 6 * SCALE):
                    draw.line(dash, fill=(250, 250, 250), width=max(1, width - 2 * SCALE))


def build_basemap(pbf_path: Path, out_path: Path, progress: Progress | None = None,
                  min_zoom: int = 11, max_zoom: int = 17) -> dict:
    """Draw the extract's tiles into a new MBTiles file at out_path; returns what was made (tiles, bytes, seconds…)."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    report("reading the extract for the map", 0, 1)
    data = read_extract(Path(pbf_path))
    report("reading the extract for the map", 1, 1)
    if data.bounds is None:
        raise ValueError(f"{pbf_path} holds no map data")
    ranges = {zoom: tile_range(data.bounds, zoom) for zoom in range(min_zoom, max_zoom + 1)}
    total = sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in ranges.values())
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    cache = TileCache(partial)
    done = count = size = 0
    try:
        for zoom, (x0, y0, x1, y1) in ranges.items():
            drawer = TileDrawer(data, zoom)
            for x in range(x0, x1 + 1):
                tiles = []
                for y in range(y0, y1 + 1):
                    png = drawer.draw(x, y)
                    if png is not None:
                        tiles.append((zoom, x, y, png))
                        size += len(png)
                    done += 1
                cache.put_permanent(tiles)
                count += len(tiles)
                report("drawing the map", done, total)
        west, south, east, north = data.bounds
        metadata = {
            "name": f"Streets of {Path(pbf_path).name}", "format": "png", "type": "baselayer", "version": "1",
            "description": "Street map drawn by Control Tower from an OpenStreetMap extract",
            "attribution": ATTRIBUTION, "bounds": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
            "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{min(max_zoom, 15)}",
            "minzoom": str(min_zoom), "maxzoom": str(max_zoom),
        }
        cache.set_metadata(metadata)
        cache.seal()
    finally:
        cache.close()
    out_path.unlink(missing_ok=True)
    partial.replace(out_path)
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    return {"tiles": count, "tiles_looked_at": total, "bytes": size, "seconds": round(time.perf_counter() - started, 2),
            "min_zoom": min_zoom, "max_zoom": max_zoom, "bounds": [west, south, east, north],
            "attribution": ATTRIBUTION}
