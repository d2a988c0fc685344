"""Builds the road graph a van drives on from an OpenStreetMap extract (.osm.pbf) into one .npz file.

What a van may drive: the highway classes of `speeds.ROAD_CLASSES`, unless access tags close them to it. Ways are
split at every junction into segments; each segment becomes one arc per direction it may be driven (one-ways,
roundabouts and motorways one arc). Turns between arcs are stored as an edge-expanded graph, so a turn restriction
(`no_*` and `only_*`, via a node) removes exactly the turns it forbids.
"""
from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .speeds import CLASS_CODE

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
GRAPH_VERSION = 2  # 2: traffic lights per arc
EARTH_RADIUS_M = 6_371_008.8
UTURN_PENALTY_S = 20  # turning a van round (as OSRM's car profile); at a dead end there is no other way on

# The most specific tag present decides (a van is a goods vehicle, then a motorcar, ...).
ACCESS_KEYS = ("goods", "motorcar", "motor_vehicle", "vehicle", "access")
ACCESS_OPEN = {"yes", "permissive", "designated", "destination", "delivery", "customers", "official"}
ACCESS_CLOSED = {"no", "private", "agricultural", "forestry", "emergency", "psv", "bus", "military", "discouraged"}
SERVICE_CLOSED = {"emergency_access"}
# Country speed-limit codes (e.g. "FI:urban") and words, in km/h.
ZONE_KMH = {"urban": 50, "rural": 80, "living_street": 20, "motorway": 120, "trunk": 100, "walk": 7,
            "school": 30, "zone30": 30, "zone20": 20}


@dataclass
class _Way:
    refs: list[int]
    coords: list[tuple[float, float]]  # (lat, lon)
    road_class: int
    maxspeed: int
    direction: int  # 1 forward only, -1 backward only, 0 both


@dataclass
class _Restriction:
    kind: str  # "no" or "only"
    turn: str
    from_way: int
    via_node: int
    to_way: int


@dataclass
class _Reader:
    ways: dict[int, _Way] = field(default_factory=dict)
    restrictions: list[_Restriction] = field(default_factory=list)
    skipped_restrictions: Counter = field(default_factory=Counter)


def van_may_drive(tags) -> int | None:
    """The road class code a van may drive on with these way tags, or None."""
    highway = tags.get("highway")
    if highway not in CLASS_CODE or tags.get("area") == "yes" or tags.get("service") in SERVICE_CLOSED:
        return None
    if tags.get("oneway") == "reversible":
        return None
    for key in ACCESS_KEYS:
        value = tags.get(key)
        if value is None:
            continue
        value = value.split(";")[0].strip()
        if value in ACCESS_OPEN:
            return CLASS_CODE[highway]
        if value in ACCESS_CLOSED:
            return None
    # A pedestrian street is open to vans only when a tag above says so.
    return None if highway == "pedestrian" else CLASS_CODE[highway]


def travel_direction(tags) -> int:
    """1 when drivable only along the way, -1 only against it, 0 both ways."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway in ("-1", "reverse"):
        return -1
    if oneway == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in ("motorway", "motorway_link"):
        return 1
    return 0


def parse_maxspeed(value: str | None) -> int:
    """km/h from a maxspeed tag ("50", "30 mph", "FI:urban", "walk"); 0 when absent or not understood."""
    if not value:
        return 0
    text = value.strip().lower()
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?", text):
        number = float(match.group(1))
        return int(round(number * 1.609344)) if match.group(2) == "mph" else int(round(number))
    zone = text.split(":", 1)[-1]
    return ZONE_KMH.get(zone, 0)


def _read(pbf_path: Path, progress: Progress) -> _Reader:
    import osmium

    found = _Reader()

    class Handler(osmium.SimpleHandler):
        def way(self, w) -> None:
            road_class = van_may_drive(w.tags)
            if road_class is None:
                return
            refs, coords = [], []
            for node in w.nodes:
                if not node.location.valid():  # cut off by the extract's edge: keep the part inside
                    refs.append(-1)
                    coords.append((math.nan, math.nan))
                    continue
                refs.append(node.ref)
                coords.append((node.location.lat, node.location.lon))
            found.ways[w.id] = _Way(refs, coords, road_class, parse_maxspeed(w.tags.get("maxspeed")),
                                    travel_direction(w.tags))
            if len(found.ways) % 5000 == 0:
                progress("reading", len(found.ways), 0)

        def relation(self, r) -> None:
            if r.tags.get("type") != "restriction":
                return
            value = r.tags.get("restriction:motorcar") or r.tags.get("restriction") or ""
            excepted = {e.strip() for e in (r.tags.get("except") or "").split(";")}
            kind = value.split("_", 1)[0]
            if kind not in ("no", "only") or excepted & {"motorcar", "motor_vehicle", "goods", "delivery"}:
                found.skipped_restrictions["not for vans"] += 1
                return
            roles = defaultdict(list)
            for m in r.members:
                roles[m.role].append((m.type, m.ref))
            if len(roles["from"]) != 1 or len(roles["to"]) != 1 or len(roles["via"]) != 1:
                found.skipped_restrictions["unusual members"] += 1
                return
            (ftype, fref), (ttype, tref), (vtype, vref) = roles["from"][0], roles["to"][0], roles["via"][0]
            if vtype != "n" or ftype != "w" or ttype != "w":
                found.skipped_restrictions["via a way"] += 1
                return
            found.restrictions.append(_Restriction(kind, value, fref, vref, tref))

    try:
        Handler().apply_file(str(pbf_path), locations=True)
    except RuntimeError as exc:
        raise ValueError(f"{pbf_path.name} could not be read as an OpenStreetMap extract: {exc}") from exc
    return found


def _traffic_lights(pbf_path: Path) -> set[int]:
    """Ids of the nodes tagged as traffic lights (read by libosmium's own tag filter: a quick second pass)."""
    import osmium

    lights = osmium.filter.TagFilter(("highway", "traffic_signals"))
    return {node.id for node in osmium.FileProcessor(str(pbf_path), osmium.osm.NODE).with_filter(lights)}


def _segment_length_m(coords: np.ndarray) -> float:
    lat, lon = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    a = (np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    return float((2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))).sum())


def build_road_graph(pbf_path: Path, out_path: Path, progress: Progress | None = None) -> dict:
    """Reads the extract, writes the graph to `out_path` (.npz) and returns its figures (counts, bbox, seconds)."""
    progress = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    progress("reading", 0, 0)
    found = _read(Path(pbf_path), progress)
    if not found.ways:
        raise ValueError(f"{Path(pbf_path).name} has no roads a van can drive on.")

    # A node is a junction where ways meet, where a way ends or is cut, or where one way visits it twice (and traffic
    # lights are made segment ends below).
    uses = Counter(ref for way in found.ways.values() for ref in way.refs if ref != -1)
    node_index: dict[int, int] = {}
    node_lat: list[float] = []
    node_lon: list[float] = []

    def junction(ref: int, lat: float, lon: float) -> int:
        if ref not in node_index:
            node_index[ref] = len(node_lat)
            node_lat.append(lat)
            node_lon.append(lon)
        return node_index[ref]

    seg_u, seg_v, seg_class, seg_speed, seg_dir, seg_len, seg_way = [], [], [], [], [], [], []
    seg_lights_fwd, seg_lights_bwd = [], []
    lights = _traffic_lights(Path(pbf_path))
    shape_offsets, shape_lat, shape_lon = [0], [], []
    total_ways = len(found.ways)
    for done, (way_id, way) in enumerate(found.ways.items(), start=1):
        if done % 2000 == 0:
            progress("splitting", done, total_ways)
        start = None
        for i, ref in enumerate(way.refs):
            if ref == -1:
                start = None
                continue
            ends_here = i == len(way.refs) - 1 or way.refs[i + 1] == -1
            if start is None:
                start = i
                continue
            if uses[ref] > 1 or ends_here or ref in lights:  # a light ends a segment: its wait is at an end
                coords = np.array(way.coords[start:i + 1])
                seg_u.append(junction(way.refs[start], *way.coords[start]))
                seg_v.append(junction(ref, *way.coords[i]))
                seg_class.append(way.road_class)
                seg_speed.append(min(way.maxspeed, 255))
                seg_dir.append(way.direction)
                seg_len.append(max(_segment_length_m(coords), 0.1))
                seg_way.append(way_id)
                # The light at the end each way (a segment has lights only at its ends).
                seg_lights_fwd.append(sum(r in lights for r in way.refs[start + 1:i + 1]))
                seg_lights_bwd.append(sum(r in lights for r in way.refs[start:i]))
                shape_lat.extend(coords[:, 0])
                shape_lon.extend(coords[:, 1])
                shape_offsets.append(len(shape_lat))
                start = i
    progress("splitting", total_ways, total_ways)

    segments = len(seg_u)
    seg_u_a, seg_v_a, seg_dir_a = np.array(seg_u, np.int32), np.array(seg_v, np.int32), np.array(seg_dir, np.int8)
    # Arcs: one per drivable direction of each segment; `arc_forward` says whether it runs along the segment's shape.
    fwd = np.flatnonzero(seg_dir_a >= 0)
    bwd = np.flatnonzero(seg_dir_a <= 0)
    arc_segment = np.concatenate([fwd, bwd]).astype(np.int32)
    arc_forward = np.concatenate([np.ones(len(fwd), bool), np.zeros(len(bwd), bool)])
    arc_tail = np.where(arc_forward, seg_u_a[arc_segment], seg_v_a[arc_segment]).astype(np.int32)
    arc_head = np.where(arc_forward, seg_v_a[arc_segment], seg_u_a[arc_segment]).astype(np.int32)

    progress("turns", 0, len(arc_segment))
    turn_from, turn_to, turn_penalty, restricted = _turns(arc_tail, arc_head, arc_segment, np.array(seg_way, np.int64),
                                                          found.restrictions, node_index)
    progress("turns", len(arc_segment), len(arc_segment))

    lat_a, lon_a = np.array(node_lat), np.array(node_lon)
    meta = {
        "version": GRAPH_VERSION, "source": Path(pbf_path).name,
        "bbox": [float(lat_a.min()), float(lon_a.min()), float(lat_a.max()), float(lon_a.max())],
        "nodes": len(node_lat), "segments": segments, "arcs": int(len(arc_segment)), "turns": int(len(turn_from)),
        "one_way_segments": int((seg_dir_a != 0).sum()), "traffic_lights": len(lights),
        "turn_restrictions": restricted, "turn_restrictions_skipped": sum(found.skipped_restrictions.values()) +
        (len(found.restrictions) - restricted),
    }
    progress("writing", 0, 1)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".part")
    with open(partial, "wb") as fh:
        np.savez(fh, node_lat=lat_a, node_lon=lon_a, seg_u=seg_u_a, seg_v=seg_v_a,
                 seg_class=np.array(seg_class, np.uint8), seg_maxspeed=np.array(seg_speed, np.uint8),
                 seg_length_m=np.array(seg_len, np.float64), seg_dir=seg_dir_a,
                 seg_lights_fwd=np.array(seg_lights_fwd, np.uint8), seg_lights_bwd=np.array(seg_lights_bwd, np.uint8),
                 shape_offsets=np.array(shape_offsets, np.int64), shape_lat=np.array(shape_lat),
                 shape_lon=np.array(shape_lon), arc_segment=arc_segment, arc_forward=arc_forward, arc_tail=arc_tail,
                 arc_head=arc_head, turn_from=turn_from, turn_to=turn_to, turn_penalty_s=turn_penalty,
                 meta=np.array(json.dumps(meta)))
    partial.replace(out_path)
    progress("writing", 1, 1)
    meta["seconds"] = round(time.perf_counter() - started, 3)
    log.info("road graph %s: %d nodes, %d arcs, %d turn restrictions in %.1f s", out_path.name, meta["nodes"],
             meta["arcs"], restricted, meta["seconds"])
    return meta


def _turns(arc_tail, arc_head, arc_segment, seg_way, restrictions, node_index):
    """Every turn from an arc onto an arc leaving its head, less those a restriction forbids; U-turns cost time."""
    order = np.argsort(arc_tail, kind="stable")
    starts = np.searchsorted(arc_tail[order], np.arange(arc_head.max(initial=0) + 2))
    counts = starts[arc_head + 1] - starts[arc_head]
    turn_from = np.repeat(np.arange(len(arc_head), dtype=np.int64), counts)
    first = np.repeat(starts[arc_head], counts)
    within = np.arange(len(turn_from)) - np.repeat(np.cumsum(counts) - counts, counts)
    turn_to = order[first + within]
    uturn = arc_segment[turn_from] == arc_segment[turn_to]
    # At a dead end turning round is the only way on, and it costs what any U-turn costs.
    penalty = np.where(uturn, UTURN_PENALTY_S, 0).astype(np.float32)

    forbidden = set()
    applied = 0
    arc_way = seg_way[arc_segment]
    arcs_into = defaultdict(list)
    arcs_out_of = defaultdict(list)
    via_nodes = {node_index[r.via_node] for r in restrictions if r.via_node in node_index}
    for arc in np.flatnonzero(np.isin(arc_head, list(via_nodes))):
        arcs_into[(int(arc_way[arc]), int(arc_head[arc]))].append(int(arc))
    for arc in np.flatnonzero(np.isin(arc_tail, list(via_nodes))):
        arcs_out_of[(int(arc_way[arc]), int(arc_tail[arc]))].append(int(arc))
    restricted_from = {a for arcs in arcs_into.values() for a in arcs}
    turns_of = defaultdict(set)  # only for arcs some restriction starts from
    for f, t in zip(turn_from.tolist(), turn_to.tolist()):
        if f in restricted_from:
            turns_of[f].add(t)
    for r in restrictions:
        via = node_index.get(r.via_node)
        froms = arcs_into.get((r.from_way, via), [])
        tos = arcs_out_of.get((r.to_way, via), [])
        if not froms or not tos:
            continue
        if r.turn == "no_u_turn" and r.from_way == r.to_way:
            tos = [t for t in tos if any(arc_segment[t] == arc_segment[f] for f in froms)]
        if r.kind == "no":
            banned = {(f, t) for f in froms for t in tos if t in turns_of[f]}
        else:
            banned = {(f, t) for f in froms for t in turns_of[f] if t not in tos}
        if banned:
            applied += 1
            forbidden |= banned
    if forbidden:
        keep = np.array([(f, t) not in forbidden for f, t in zip(turn_from.tolist(), turn_to.tolist())], bool)
        turn_from, turn_to, penalty = turn_from[keep], turn_to[keep], penalty[keep]
    return turn_from.astype(np.int32), turn_to.astype(np.int32), penalty, applied
