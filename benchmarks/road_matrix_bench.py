"""Road graph benchmark: build, load and a 400 x 400 travel-time matrix on the shipped Helsinki extract, and the
same matrix on a city-sized synthetic street grid (the shipped extract is a 1.7 x 1 km cut of the centre).

    python benchmarks/road_matrix_bench.py [--pbf resources/areas/helsinki/Helsinki.osm.pbf] [--grid 200] [--repeat 3]

  build_s        build_road_graph on the extract (median of --repeat)
  load_s         RoadGraph.load of the built graph: arrays, snapping index, main component (median)
  matrix_400_s   RoadGraph.matrix for 400 seeded random points in the area at 08:00 (median; first call included in
                 matrix_400_first_s)
  grid_*         the same on a --grid x --grid street grid (100 m blocks, every fifth street one-way); the grid's
                 points spread over all of it, grid_district_* in a 4 x 4 km square of it (checked equal to the
                 whole-graph search on 40 of them)
Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from controltower.area.graph import RoadGraph  # noqa: E402
from controltower.area.roads import build_road_graph  # noqa: E402
from controltower.area.speeds import SpeedProfile  # noqa: E402

SHIPPED = ROOT / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def district(graph: RoadGraph, points: int, side_m: float) -> tuple[float, bool]:
    """Seconds for a matrix of points in a side_m square in the middle of the area (a shop's district in a big
    extract), and whether it equals the whole-graph search."""
    south, west, north, east = graph.meta["bbox"]
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    half_lat = side_m / 2 / 111_195
    half_lon = half_lat / math.cos(math.radians(mid_lat))
    rng = np.random.default_rng(4)
    spots = list(zip(rng.uniform(mid_lat - half_lat, mid_lat + half_lat, points),
                     rng.uniform(mid_lon - half_lon, mid_lon + half_lon, points)))
    started = time.perf_counter()
    found = graph.matrix(spots, 8)
    seconds = time.perf_counter() - started
    sample = spots[:40]
    snaps = graph.snap([p[0] for p in sample], [p[1] for p in sample])
    whole = graph._route(snaps, graph.arc_seconds(8, SpeedProfile()))
    near = graph._route(snaps, graph.arc_seconds(8, SpeedProfile()), graph._near(*np.array(sample).T, snaps))
    return seconds, bool(np.array_equal(whole, near))


def measure(pbf: Path, work: Path, repeat: int, points: int, prefix: str) -> dict:
    out = work / f"{prefix}roads.npz"
    build_s, built = median_time(lambda: build_road_graph(pbf, out), repeat)
    load_s, graph = median_time(lambda: RoadGraph.load(out), repeat)
    south, west, north, east = graph.meta["bbox"]
    rng = np.random.default_rng(400)
    spots = list(zip(rng.uniform(south, north, points), rng.uniform(west, east, points)))
    started = time.perf_counter()
    first = graph.matrix(spots, 8)
    first_s = time.perf_counter() - started

    def afresh():
        graph._recent.clear()  # the graph keeps its last answers; time the work, not the look-up
        return graph.matrix(spots, 8)

    matrix_s, _ = median_time(afresh, repeat)
    return {f"{prefix}build_s": round(build_s, 3), f"{prefix}load_s": round(load_s, 3),
            f"{prefix}matrix_{points}_s": round(matrix_s, 3), f"{prefix}matrix_{points}_first_s": round(first_s, 3),
            f"{prefix}nodes": built["nodes"], f"{prefix}arcs": built["arcs"],
            f"{prefix}turn_restrictions": built["turn_restrictions"],
            f"{prefix}straight_line_pairs": int(first.straight_line.sum())}


def write_grid(path: Path, size: int) -> Path:
    """A size x size grid of streets 100 m apart near Helsinki; every fifth street one-way, alternating direction."""
    import osmium
    from osmium.osm.mutable import Node, Way

    lat0, lon0, metres = 60.10, 24.70, 6_371_008.8 * math.pi / 180
    writer = osmium.SimpleWriter(str(path))
    try:
        for row in range(size):
            for col in range(size):
                location = (lon0 + col * 100 / (metres * math.cos(math.radians(lat0))), lat0 + row * 100 / metres)
                writer.add_node(Node(id=1 + row * size + col, location=location, tags={}))
        way_id = 1
        for line in range(size):
            for refs in ([1 + line * size + c for c in range(size)], [1 + r * size + line for r in range(size)]):
                tags = {"highway": "secondary" if line % 10 == 0 else "residential"}
                if line % 5 == 2:
                    tags["oneway"] = "yes" if line % 10 == 2 else "-1"
                writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
                way_id += 1
    finally:
        writer.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=SHIPPED)
    parser.add_argument("--grid", type=int, default=200, help="grid streets per side (0: skip the grid)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--points", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        figures = measure(args.pbf, work, args.repeat, args.points, "")
        print(json.dumps({"extract": args.pbf.name, **figures}), flush=True)
        if args.grid:
            grid = measure(write_grid(work / "grid.osm.pbf", args.grid), work, 1, args.points, "grid_")
            seconds, same = district(RoadGraph.load(work / "grid_roads.npz"), args.points, 4000)
            grid.update({f"grid_district_matrix_{args.points}_s": round(seconds, 3), "grid_district_exact": same})
            figures.update(grid)
            print(json.dumps({"grid": f"{args.grid} x {args.grid}", **grid}), flush=True)
    # Headline names as the issue gives them, for the shipped extract.
    print(json.dumps({"matrix_400_s": figures[f"matrix_{args.points}_s"], "load_s": figures["load_s"],
                      "build_s": figures["build_s"], **figures}))


if __name__ == "__main__":
    main()
