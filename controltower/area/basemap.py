"""The street-level basemap of an area package: raster tiles drawn here, from an OpenStreetMap extract, into MBTiles.

Nothing is fetched: the extract (.osm.pbf) is read with pyosmium (map_data), and every tile from `min_zoom` to
`max_zoom` over the extract's extent is drawn with Pillow (at twice the size, then shrunk, for smooth edges): land use,
parks, water, railways, roads by class with widths that grow with the zoom (map_style), buildings at city zooms, then
street and place names (map_labels). The tiles go into the app's MBTiles format (controltower.maps.tiles.TileCache),
with the ODbL attribution in its metadata. Run it in a child process.

    stats = build_basemap(Path("Helsinki.osm.pbf"), Path("basemap.mbtiles"), progress=print)
"""
from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from ..maps.tiles import TileCache
from .map_data import Line, MapData, Polygon, bbox_of, mercator, read_extract
from .map_labels import place_labels
from .map_style import AREA_COLOURS, BUILDING, BUILDING_EDGE, LAND, ROAD_STYLES, THIN, TILE, WATER, road_width
from .package import ATTRIBUTION

SCALE = 2  # drawn at 512 px, shrunk to 256: Pillow's lines have no antialiasing of their own

Progress = Callable[[str, int, int], None]  # (stage, done, total)


# -- tiles -------------------------------------------------------------------------------------------------------
def tile_range(bounds: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (inclusive) of the tiles covering bounds (west, south, east, north) at a zoom."""
    n = 1 << zoom
    west, north = mercator(bounds[0], bounds[3])
    east, south = mercator(bounds[2], bounds[1])
    clamp = lambda v: min(max(int(v * n), 0), n - 1)  # noqa: E731
    return clamp(west), clamp(north), clamp(east), clamp(south)


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
        west, south, east, north = data.bounds
        (left, top), (right, bottom) = mercator(west, north), mercator(east, south)
        self.box = (left * TILE * (1 << zoom), top * TILE * (1 << zoom), right * TILE * (1 << zoom),
                    bottom * TILE * (1 << zoom))  # the extract's box in world pixels: nothing is known outside it
        self.index = _Index(zoom)
        for number, polygon in enumerate(data.polygons):
            if polygon.kind == "building" and zoom < 14:
                continue
            self.index.add(bbox_of(polygon.rings[0]), (0, number, polygon))
        for number, line in enumerate(data.lines):
            style = ROAD_STYLES.get(line.kind)
            if style is not None and zoom < style.from_zoom:
                continue
            if line.kind in ("stream",) and zoom < 14 or line.kind == "tram" and zoom < 13:
                continue
            self.index.add(bbox_of(line.points), (1, number, line))
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
        image = self._clear_outside_box(image, x, y)
        out = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, "PNG", optimize=False)
        return out.getvalue()

    def _clear_outside_box(self, image: Image.Image, x: int, y: int) -> Image.Image:
        """Transparent beyond the extract's box, where it has no data: online tiles or the built-in background show
        there instead of empty land."""
        left, top, right, bottom = (round(edge - offset) for edge, offset in
                                    zip(self.box, (x * TILE, y * TILE, x * TILE, y * TILE)))
        if left <= 0 and top <= 0 and right >= TILE and bottom >= TILE:
            return image
        mask = Image.new("L", image.size, 0)
        ImageDraw.Draw(mask).rectangle((max(left, 0), max(top, 0), min(right, TILE) - 1, min(bottom, TILE) - 1), fill=255)
        image = image.convert("RGBA")
        image.putalpha(mask)
        return image

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


MAX_TILES = 60_000  # about ten minutes of drawing: a city and its suburbs to zoom 17, a region to a lower zoom


def zoom_ranges(bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int,
                max_tiles: int = MAX_TILES) -> dict[int, tuple[int, int, int, int]]:
    """The tiles to draw per zoom; the closest zooms are left out while there would be more than max_tiles (the
    map then magnifies the closest zoom drawn), but min_zoom is always drawn."""
    ranges = {zoom: tile_range(bounds, zoom) for zoom in range(min_zoom, max_zoom + 1)}
    count = lambda: sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in ranges.values())  # noqa: E731
    while len(ranges) > 1 and count() > max_tiles:
        del ranges[max(ranges)]
    return ranges


def build_basemap(pbf_path: Path, out_path: Path, progress: Progress | None = None,
                  min_zoom: int = 11, max_zoom: int = 17, max_tiles: int = MAX_TILES) -> dict:
    """Draw the extract's tiles into a new MBTiles file at out_path; returns what was made (tiles, bytes, seconds…)."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    report("reading the extract for the map", 0, 1)
    data = read_extract(Path(pbf_path))
    report("reading the extract for the map", 1, 1)
    if data.bounds is None:
        raise ValueError(f"{pbf_path} holds no map data")
    ranges = zoom_ranges(data.bounds, min_zoom, max_zoom, max_tiles)
    total = sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in ranges.values())
    asked_max_zoom, max_zoom = max_zoom, max(ranges)
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
            "min_zoom": min_zoom, "max_zoom": max_zoom, "max_zoom_asked": asked_max_zoom,
            "bounds": [west, south, east, north], "attribution": ATTRIBUTION}
