"""Names on the street map, placed once per zoom over the whole area: a name crossing a tile edge is whole on both
tiles, two names never overlap, and a name is drawn as pixels (markup in it stays text in an image)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .map_data import Line, MapData, bbox_of
from .map_style import GREEN_FOR_NAMES, LABEL_HALO, LABEL_INK, PLACE_SIZES, ROAD_STYLES, TILE, font


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
            x0, y0, x1, y1 = bbox_of(outer)
            image = _label_image(polygon.name, 11, 0, ink=(40, 90, 40) if polygon.kind != "water" else (40, 80, 140))
            if image.width > (x1 - x0) * 0.8 or image.height > (y1 - y0) * 0.8:
                continue
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            circles = _along(cx, cy, 0, image.width, image.height / 2)
            if placed.free(circles):
                placed.take(circles)
                labels.append(Label(image, cx - image.width / 2, cy - image.height / 2))
    return labels
