"""The road graph loaded for routing: snaps points to the nearest road and gives distance and travel-time matrices.

The build wrote every allowed turn (an edge-expanded graph). The search runs on the junctions instead (a quarter of
the vertices: 4x faster), except where a turn is forbidden: there the junction is split into one vertex per road
coming in, with only its allowed turns (and a U-turn's time) leaving it, so one-ways and turn restrictions hold
exactly. Junctions next to a restricted one are split too, so a U-turn there to dodge the restriction is charged;
elsewhere a U-turn is free, at most a few tens of seconds off the turn graph on the shipped extract. Each point becomes a source vertex (to both directions of its road,
part-way along) and a target vertex (reached from the junction before it, part-way along); scipy's Dijkstra (C, one
call per block of sources) does the search. Durations and distances ride in one float64 weight, seconds*1000 in the high bits and
decimetres in the low ones, so the distance reported is that of the fastest route, exactly (integer sums below 2**53).
"""
from __future__ import annotations

import json
import logging
import math
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from .roads import EARTH_RADIUS_M, GRAPH_VERSION
from .speeds import TRAFFIC_LIGHT_S, SpeedProfile

log = logging.getLogger(__name__)

LOW_BITS = 2.0**24  # decimetres below, milliseconds above: 1,677 km of road and 149 hours of driving fit
SAMPLE_SPACING_M = 20.0  # points along the roads in the snapping index
MAX_SNAP_M = 500.0  # a point farther than this from any drivable road is "off the graph"
BBOX_MARGIN_M = 2000.0  # stops this far past the area's edge are still planned (straight-line to the nearest roads)
CIRCUITY = 1.35  # the straight-line fallback: great-circle distance times this, as routing.matrix does
RECENT_MATRICES = 4  # answers kept per graph
REGION_MARGIN_M = 2000.0  # roads searched reach this far beyond the stops' box (or half its size, if larger)
# Vertices searched per Dijkstra call (sources x graph size): scipy holds the GIL for a call, so a call is kept to
# some tens of milliseconds (the window stays live while a day loads in a worker thread); it also bounds memory.
VERTICES_PER_CALL = 500_000


class OutsideArea(ValueError):
    """Points outside the area the road graph covers."""

    def __init__(self, indexes: Sequence[int], source: str) -> None:
        self.indexes = tuple(indexes)
        shown = ", ".join(str(i + 1) for i in self.indexes[:8]) + (" ..." if len(self.indexes) > 8 else "")
        super().__init__(f"{len(self.indexes)} of the points (number {shown}) are outside the area of the street map "
                         f"({source}); use an area extract that covers them.")


@dataclass(frozen=True)
class Snap:
    """Where a point meets the road graph: a segment, how far along it (0..1), and how far the point is from it."""

    segment: int
    along: float
    offset_m: float


@dataclass(frozen=True)
class RoadMatrix:
    """Metres and seconds between all points by road; `straight_line[i, j]` marks pairs estimated as the crow flies
    (a point off the roads, or no way by road, e.g. one-way dead ends), with the reason in `notes`."""

    distance_m: np.ndarray
    duration_s: np.ndarray
    straight_line: np.ndarray
    notes: tuple[str, ...] = ()


def _hours_of(depart: datetime | int | tuple[int, int]) -> int | tuple[int, int]:
    return depart.hour if isinstance(depart, datetime) else depart


class RoadGraph:
    """A built road graph in memory. `RoadGraph.load(path)`, then `snap(...)` and `matrix(...)`."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        for name, value in arrays.items():
            setattr(self, name, value)
        self.lat0 = math.radians((meta["bbox"][0] + meta["bbox"][2]) / 2)
        self._recent: OrderedDict[tuple, RoadMatrix] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._keep_main_component()
        self.arc_light_s = TRAFFIC_LIGHT_S * np.where(self.arc_forward, self.seg_lights_fwd[self.arc_segment],
                                                      self.seg_lights_bwd[self.arc_segment]).astype(float)
        self._index_samples()
        self._link_junctions()
        # Links grouped by the arc they drive: a target part-way along an arc is reached from these.
        order = np.argsort(self.link_arc, kind="stable")
        self._into_order = order
        self._into_start = np.searchsorted(self.link_arc[order], np.arange(len(self.arc_segment) + 1))
        # A segment's arc in each direction (-1 where it may not be driven that way).
        n_seg = len(self.seg_u)
        self.seg_arc_fwd = np.full(n_seg, -1, np.int64)
        self.seg_arc_bwd = np.full(n_seg, -1, np.int64)
        arcs = np.arange(len(self.arc_segment))
        main_fwd, main_bwd = self.arc_forward & self._main_arc, ~self.arc_forward & self._main_arc
        self.seg_arc_fwd[self.arc_segment[main_fwd]] = arcs[main_fwd]
        self.seg_arc_bwd[self.arc_segment[main_bwd]] = arcs[main_bwd]

    def _link_junctions(self) -> None:
        """The searched graph: a vertex per junction, and per road coming into a junction that has a forbidden
        turn (or is next to one); a link per arc from each vertex it may be started from (with that turn's time)."""
        n_nodes = len(self.node_lat)
        at = self.arc_head[self.turn_from]
        turns_at = np.bincount(at, minlength=n_nodes)
        ways_in = np.bincount(self.arc_head, minlength=n_nodes)
        ways_out = np.bincount(self.arc_tail, minlength=n_nodes)
        restricted = turns_at < ways_in * ways_out
        # A U-turn at the next junction would dodge a restriction for free: those junctions are split as well.
        near_restricted = np.zeros(n_nodes, bool)
        near_restricted[self.arc_tail[restricted[self.arc_head]]] = True
        near_restricted[self.arc_head[restricted[self.arc_tail]]] = True
        split = restricted | near_restricted
        into_split = np.flatnonzero(split[self.arc_head])
        self._entry = self.arc_head.astype(np.int64)  # the vertex an arc arrives at
        self._entry[into_split] = n_nodes + np.arange(len(into_split))
        self._vertex_node = np.concatenate([np.arange(n_nodes), self.arc_head[into_split]])
        plain = np.flatnonzero(~split[self.arc_tail])
        chosen = np.flatnonzero(split[self.arc_tail[self.turn_to]])  # turns onto arcs leaving a split junction
        self.link_from = np.concatenate([self.arc_tail[plain], self._entry[self.turn_from[chosen]]])
        self.link_to = np.concatenate([self._entry[plain], self._entry[self.turn_to[chosen]]])
        self.link_arc = np.concatenate([plain, self.turn_to[chosen]])
        self.link_penalty_s = np.concatenate([np.zeros(len(plain)), self.turn_penalty_s[chosen]])

    def _keep_main_component(self) -> None:
        """Points snap only to arcs of the largest strongly connected part of the graph: from anywhere on it a van
        can reach anywhere else on it and come back. Bits cut off by the extract's edge or reached only against a
        one-way would leave a stop unreachable."""
        n_arcs = len(self.arc_segment)
        turns = csr_matrix((np.ones(len(self.turn_from)), (self.turn_from, self.turn_to)), shape=(n_arcs, n_arcs))
        _count, labels = connected_components(turns, directed=True, connection="strong")
        self._main_arc = labels == np.bincount(labels).argmax()
        self.main_segments = np.zeros(len(self.seg_u), bool)
        self.main_segments[self.arc_segment[self._main_arc]] = True

    @classmethod
    def load(cls, path: Path) -> "RoadGraph":
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files if name != "meta"}
                meta = json.loads(str(data["meta"]))
        except (ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"The road graph {Path(path).name} can't be read ({exc}): build the area again.") from exc
        if meta.get("version") != GRAPH_VERSION:
            raise ValueError(f"{Path(path).name} was built by another version of Control Tower: rebuild the area.")
        return cls(arrays, meta)

    # ----- geometry -----
    def _xy(self, lat, lon) -> np.ndarray:
        """Metres on a local flat projection (equirectangular at the area's middle latitude)."""
        lat, lon = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
        return np.column_stack([lon * math.cos(self.lat0) * EARTH_RADIUS_M, lat * EARTH_RADIUS_M])

    def _index_samples(self) -> None:
        """A KD-tree over points every SAMPLE_SPACING_M along every piece of road shape."""
        xy = self._xy(self.shape_lat, self.shape_lon)
        self._shape_xy = xy
        piece_start = np.arange(len(xy) - 1)
        is_piece = np.ones(len(xy) - 1, bool)
        is_piece[self.shape_offsets[1:-1] - 1] = False  # no piece between one segment's end and the next's start
        point_segment = np.repeat(np.arange(len(self.seg_u)), np.diff(self.shape_offsets))
        is_piece &= self.main_segments[point_segment[:-1]]
        piece_start = piece_start[is_piece]
        a, b = xy[piece_start], xy[piece_start + 1]
        lengths = np.hypot(*(b - a).T)
        samples = np.maximum(1, np.ceil(lengths / SAMPLE_SPACING_M)).astype(np.int64) + 1
        owner = np.repeat(np.arange(len(piece_start)), samples)
        step = np.arange(len(owner)) - np.repeat(np.cumsum(samples) - samples, samples)
        frac = step / (samples[owner] - 1)
        points = a[owner] + (b - a)[owner] * frac[:, None]
        self._piece_start = piece_start
        self._sample_piece = owner
        self._tree = cKDTree(points)
        # The segment each shape point belongs to, and how far along that segment it lies (metres, flat).
        seg_of_point = np.repeat(np.arange(len(self.seg_u)), np.diff(self.shape_offsets))
        step_len = np.zeros(len(xy))
        step_len[1:] = np.hypot(*(xy[1:] - xy[:-1]).T)
        step_len[self.shape_offsets[:-1]] = 0.0
        cumulative = np.cumsum(step_len)
        seg_base = cumulative[self.shape_offsets[:-1]]
        self._point_along = cumulative - seg_base[seg_of_point]
        self._seg_flat_len = np.maximum(self._point_along[self.shape_offsets[1:] - 1], 1e-6)
        self._point_segment = seg_of_point

    def snap(self, lat: Sequence[float], lon: Sequence[float], candidates: int = 8) -> list[Snap]:
        """The nearest point on a drivable road for each (lat, lon)."""
        xy = self._xy(lat, lon)
        _dist, idx = self._tree.query(xy, k=min(candidates, self._tree.n))
        idx = np.atleast_2d(idx).reshape(len(xy), -1)
        pieces = self._piece_start[self._sample_piece[idx]]  # (n, k) shape-point index of each piece's start
        a, b = self._shape_xy[pieces], self._shape_xy[pieces + 1]
        ab = b - a
        t = np.clip(((xy[:, None, :] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
        nearest = a + ab * t[..., None]
        gap = np.hypot(*(xy[:, None, :] - nearest).transpose(2, 0, 1))
        best = gap.argmin(axis=1)
        rows = np.arange(len(xy))
        piece = pieces[rows, best]
        segment = self._point_segment[piece]
        along_m = self._point_along[piece] + t[rows, best] * np.hypot(*ab[rows, best].T)
        along = np.clip(along_m / self._seg_flat_len[segment], 0.0, 1.0)
        return [Snap(int(s), float(f), float(g)) for s, f, g in zip(segment, along, gap[rows, best])]

    def outside(self, lat: Sequence[float], lon: Sequence[float], margin_m: float = BBOX_MARGIN_M) -> list[int]:
        """Indexes of the points beyond the graph's bounding box (plus a margin)."""
        south, west, north, east = self.meta["bbox"]
        dlat = math.degrees(margin_m / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(self.lat0), 0.01)
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        out = (lat < south - dlat) | (lat > north + dlat) | (lon < west - dlon) | (lon > east + dlon)
        return np.flatnonzero(out | ~np.isfinite(lat) | ~np.isfinite(lon)).tolist()

    # ----- travel -----
    def arc_seconds(self, hours: int | tuple[int, int], profile: SpeedProfile) -> np.ndarray:
        """Seconds to drive each arc at those hours (the slowest of a span): class speed, capped by a tagged limit.
        The wait at a traffic light at an arc's end is `arc_light_s`."""
        free = np.array(profile.class_kmh())[self.seg_class]
        now = np.array(profile.class_kmh(hours))[self.seg_class]
        limit = self.seg_maxspeed.astype(float)
        kmh = np.where(limit > 0, np.minimum(free, limit), free) * (now / free)
        return (self.seg_length_m / (kmh / 3.6))[self.arc_segment]

    def matrix(self, points: Sequence[tuple[float, float]], depart: datetime | int | tuple[int, int],
               profile: SpeedProfile | None = None) -> RoadMatrix:
        """Metres and seconds between all (lat, lon) points for a van leaving at `depart`: a time (its hour read
        in its own zone: pass the shop's local time, not UTC), an hour of the day, or a span of hours [first, last)
        planned at its slowest hour. Raises OutsideArea for points beyond the area; pairs the roads cannot join
        are estimated in a straight line and marked."""
        profile = profile or SpeedProfile()
        hours = _hours_of(depart)
        key = (tuple(map(tuple, points)), hours, profile.to_json())
        with self._recent_lock:
            if key in self._recent:  # a day is loaded again after each change: same stops, same answer
                self._recent.move_to_end(key)
                return self._recent[key]
        result = self._matrix(points, hours, profile)
        with self._recent_lock:
            self._recent[key] = result
            while len(self._recent) > RECENT_MATRICES:
                self._recent.popitem(last=False)
        return result

    def _matrix(self, points: Sequence[tuple[float, float]], hours: int | tuple[int, int],
                profile: SpeedProfile) -> RoadMatrix:
        lat = np.array([p[0] for p in points], float)
        lon = np.array([p[1] for p in points], float)
        n = len(points)
        if n == 0:
            empty = np.zeros((0, 0), np.int64)
            return RoadMatrix(empty, empty, np.zeros((0, 0), bool))
        if outside := self.outside(lat, lon):
            raise OutsideArea(outside, self.meta.get("source", "the area"))
        snaps = self.snap(lat, lon)
        seconds = self.arc_seconds(hours, profile)
        keep = self._near(lat, lon, snaps)
        found = self._route(snaps, seconds, keep)
        if keep is not None and not np.isfinite(found).all():  # the way round leaves the district: search it all
            found = self._route(snaps, seconds)
        # From a point to its road (a drive, yard or walk): at the speed of yards and lanes at that hour.
        access_m = np.array([s.offset_m for s in snaps])
        access_speed = profile.kmh("service", hours) / 3.6
        with np.errstate(invalid="ignore"):  # inf - inf where no road joins a pair: replaced below
            time_ms = np.floor(found / LOW_BITS)
            metres = (found - time_ms * LOW_BITS) / 10 + access_m[:, None] + access_m[None, :]
            secs = time_ms / 1000 + (access_m[:, None] + access_m[None, :]) / access_speed
        off_graph = access_m > MAX_SNAP_M
        straight = ~np.isfinite(found) | off_graph[:, None] | off_graph[None, :]
        np.fill_diagonal(straight, False)
        notes = []
        if off_graph.any():
            notes.append(f"{int(off_graph.sum())} point(s) are more than {MAX_SNAP_M:.0f} m from a road a van may "
                         "drive on: their travel is a straight-line estimate.")
        unreachable = int((~np.isfinite(found)).sum())
        if unreachable:
            notes.append(f"{unreachable} pair(s) have no way between them by road (one-way dead ends, roads cut by "
                         "the area's edge): their travel is a straight-line estimate.")
        crow = _haversine_m(lat, lon)
        if straight.any():
            slowest = profile.kmh("residential", hours) / 3.6
            metres = np.where(straight, crow * CIRCUITY, np.nan_to_num(metres))
            secs = np.where(straight, crow * CIRCUITY / slowest, np.nan_to_num(secs))
            for note in notes:
                log.info("road matrix: %s", note)
        same_door = crow < 1.0  # two stops at one address: the van does not move
        metres, secs = np.where(same_door, 0.0, metres), np.where(same_door, 0.0, secs)
        distance = np.rint(metres).astype(np.int64)
        duration = np.ceil(secs - 1e-9).astype(np.int64)
        np.fill_diagonal(distance, 0)
        np.fill_diagonal(duration, 0)
        for shared in (distance, duration, straight):  # answers are kept and handed out again: nobody may edit one
            shared.setflags(write=False)
        return RoadMatrix(distance, duration, straight, tuple(notes))

    def _near(self, lat: np.ndarray, lon: np.ndarray, snaps: list[Snap]) -> np.ndarray | None:
        """Vertices within reach of the points (their box plus a margin), or None when that is most of the graph: a
        shop's district is searched, not the whole country its extract may cover."""
        margin = max(REGION_MARGIN_M, 0.5 * max(np.ptp(lat), np.ptp(lon) * math.cos(self.lat0)) * math.pi / 180
                     * EARTH_RADIUS_M)
        dlat = math.degrees(margin / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(self.lat0), 0.01)
        inside = ((self.node_lat >= lat.min() - dlat) & (self.node_lat <= lat.max() + dlat)
                  & (self.node_lon >= lon.min() - dlon) & (self.node_lon <= lon.max() + dlon))
        own = np.isin(self.arc_segment, [s.segment for s in snaps])  # the points' own roads always
        inside[self.arc_tail[own]] = True
        inside[self.arc_head[own]] = True
        keep = inside[self._vertex_node]
        return None if keep.mean() > 0.8 else keep

    def _route(self, snaps: list[Snap], arc_seconds: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Packed (ms, dm) weights of the fastest way between every pair of snapped points; inf where none. With
        `keep`, only those vertices are searched (the ends of the points' own roads must be among them)."""
        n = len(snaps)
        keep = np.ones(len(self._vertex_node), bool) if keep is None else keep
        n_vertices = int(keep.sum())
        local = np.full(len(keep), -1, np.int64)  # vertex -> its number in the searched graph
        local[keep] = np.arange(n_vertices)
        link_kept = keep[self.link_from] & keep[self.link_to]
        arc_ms = np.rint(arc_seconds * 1000)
        light_ms = np.rint(self.arc_light_s * 1000)
        arc_dm = np.rint(self.seg_length_m[self.arc_segment] * 10)

        def packed(arcs: np.ndarray, share: np.ndarray, penalty_s: np.ndarray | float = 0.0,
                   to_end: bool = True) -> np.ndarray:
            """An arc's share from some point to its end (with the wait at a light there), or from its start."""
            ms = np.rint(arc_ms[arcs] * share + np.asarray(penalty_s) * 1000 + (light_ms[arcs] if to_end else 0))
            return np.maximum(ms * LOW_BITS + np.rint(arc_dm[arcs] * share), 1.0)  # an explicit zero is no edge

        seg = np.array([s.segment for s in snaps])
        along = np.array([s.along for s in snaps])
        sources = n_vertices + np.arange(n)
        targets = n_vertices + n + np.arange(n)
        link_arc = self.link_arc[link_kept]
        rows, cols = [local[self.link_from[link_kept]]], [local[self.link_to[link_kept]]]
        weights = [packed(link_arc, np.ones(len(link_arc)), self.link_penalty_s[link_kept])]
        for arcs, remaining in ((self.seg_arc_fwd[seg], 1 - along), (self.seg_arc_bwd[seg], along)):
            has = arcs >= 0
            # Leaving a point: the rest of its road to the arc's end.
            rows.append(sources[has])
            cols.append(local[self._entry[arcs[has]]])
            weights.append(packed(arcs[has], remaining[has]))
            # Arriving at a point: from the junction before it, then the part of its road before the point.
            for point in np.flatnonzero(has):
                arc = arcs[point]
                turns = self._into_order[self._into_start[arc]:self._into_start[arc + 1]]
                turns = turns[link_kept[turns]]
                rows.append(local[self.link_from[turns]])
                cols.append(np.full(len(turns), targets[point]))
                weights.append(packed(np.full(len(turns), arc), np.full(len(turns), 1 - remaining[point]),
                                      self.link_penalty_s[turns], to_end=False))
        # Two points on one road: straight along it, when that is the way it may be driven.
        same = seg[:, None] == seg[None, :]
        for arcs, ahead in ((self.seg_arc_fwd[seg], along[None, :] >= along[:, None]),
                            (self.seg_arc_bwd[seg], along[None, :] <= along[:, None])):
            i, j = np.nonzero(same & ahead & (arcs[:, None] >= 0))
            rows.append(sources[i])
            cols.append(targets[j])
            weights.append(packed(arcs[i], np.abs(along[j] - along[i]), to_end=False))
        size = n_vertices + 2 * n
        rows_a, cols_a, data = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
        # Keep the cheapest of parallel edges (csr would add them up).
        order = np.lexsort((data, cols_a, rows_a))
        rows_a, cols_a, data = rows_a[order], cols_a[order], data[order]
        first = np.ones(len(rows_a), bool)
        first[1:] = (rows_a[1:] != rows_a[:-1]) | (cols_a[1:] != cols_a[:-1])
        graph = csr_matrix((data[first], (rows_a[first], cols_a[first])), shape=(size, size))
        result = np.empty((n, n))
        per_call = max(1, VERTICES_PER_CALL // size)
        for start in range(0, n, per_call):
            block = sources[start:start + per_call]
            result[start:start + len(block)] = dijkstra(graph, directed=True, indices=block)[:, targets]
        np.fill_diagonal(result, 0.0)
        return result


def _haversine_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    a = (np.sin((la[:, None] - la[None, :]) / 2) ** 2
         + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@lru_cache(maxsize=2)
def _cached(path: str, mtime_ns: int, size: int) -> RoadGraph:
    return RoadGraph.load(Path(path))


def load_cached(path: Path) -> RoadGraph:
    """The graph at `path`, loaded once per version of the file (planning asks for it on every day it loads)."""
    stat = Path(path).stat()
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)
