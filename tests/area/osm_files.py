"""Tiny OpenStreetMap extracts written for a test: nodes placed in metres from a corner in Helsinki, ways, relations."""
from __future__ import annotations

import math
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Relation, Way

ORIGIN = (60.1700, 24.9400)  # inside the shipped extract's box, so the same points make sense on both
METRES_PER_DEG_LAT = 6_371_008.8 * math.pi / 180


def at(x_m: float, y_m: float) -> tuple[float, float]:
    """(lat, lon) of a point x metres east and y metres north of ORIGIN."""
    lat = ORIGIN[0] + y_m / METRES_PER_DEG_LAT
    lon = ORIGIN[1] + x_m / (METRES_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0])))
    return lat, lon


def write_extract(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]],
                  relations: list[tuple[int, list[tuple[str, int, str]], dict]] = (),
                  node_tags: dict[int, dict] | None = None) -> Path:
    """A .osm.pbf with `nodes` {id: (x_m, y_m)} (tags from `node_tags`), `ways` [(id, node ids, tags)] and
    `relations` [(id, members, tags)]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, (x, y) in sorted(nodes.items()):
            lat, lon = at(x, y)
            writer.add_node(Node(id=node_id, location=(lon, lat), tags=(node_tags or {}).get(node_id, {})))
        for way_id, refs, tags in ways:
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
        for relation_id, members, tags in relations:
            writer.add_relation(Relation(id=relation_id, members=members, tags=tags))
    finally:
        writer.close()
    return path
