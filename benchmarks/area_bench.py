"""Area benchmark (issue 20) on the shipped Helsinki extract: the area build, offline geocoding of messy addresses,
and a 400 x 400 road travel-time matrix between real address points.

    python benchmarks/area_bench.py [--pbf resources/areas/helsinki/Helsinki.osm.pbf] [--seed 20] [--rounds 5]

  build_s                  build_area: file check + address index + road graph + basemap, in this process
  build_<part>_s           each part alone, as area.json records it (check_s: reading and checking the file)
  geocode_per_s            AddressIndex.locate over every messy query, --rounds times (a warm index: it is opened once)
  geocode_within_30m_pct   share of the extract's addresses found within 30 m of their position, each typed in a
                           messy form (random case, short street form half the time, number before or after the
                           street, one typo in the street, accents dropped half the time, postcode and country left
                           out half the time, town three times in ten)
  misses_labelled_house    misses (beyond 30 m, or not found) that still claim precision "rooftop": must be 0
  objects_within_30m_pct   the same messy queries judged against every OSM object that carries an address (a shop's
                           point in a big building is judged at its own spot, not at the building's centre)
  objects_misses_labelled_house   misses of that count claiming "rooftop" (far corners of big buildings)
  matrix_400_s             RoadGraph.matrix for 400 address points leaving at 08:00, first call on a fresh load
                           (null when the road graph part is not in this version)
Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from controltower.area.address_build import read_addresses  # noqa: E402
from controltower.area.address_text import house_key, street_key  # noqa: E402
from controltower.area.addresses import AddressIndex  # noqa: E402
from controltower.area.build import build_area  # noqa: E402
from controltower.area.messy import messy_address  # noqa: E402
from controltower.area.source import read_extract  # noqa: E402
from controltower.domain import GeoPrecision  # noqa: E402
from controltower.domain.geo import haversine_km  # noqa: E402

SHIPPED = ROOT / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"


def geocoding_figures(index: AddressIndex, args_pbf: Path, seed: int, rounds: int) -> dict:
    rng = random.Random(seed)
    points = index.points()
    queries = [messy_address(point, rng, country=index.country) for point in points]
    started = time.perf_counter()
    for _ in range(rounds):
        found = [index.locate(query) for query in queries]
    seconds = time.perf_counter() - started
    within, misses = 0, Counter()
    for point, answer in zip(points, found):
        if answer is not None and haversine_km(point.lat, point.lon, answer.lat, answer.lon) * 1000 <= 30:
            within += 1
        else:
            misses[answer.precision.value if answer is not None else "not found"] += 1
    answers = {(street_key(p.street), house_key(p.housenumber)): a for p, a in zip(points, found)}
    objects, near, claimed = read_addresses(args_pbf)[0], 0, 0
    for item in objects:
        answer = answers.get((street_key(item.street), house_key(item.housenumber)))
        if answer is not None and haversine_km(item.lat, item.lon, answer.lat, answer.lon) * 1000 <= 30:
            near += 1
        elif answer is not None and answer.precision == GeoPrecision.ROOFTOP:
            claimed += 1
    return {"geocode_per_s": round(len(queries) * rounds / seconds),
            "answers_by_precision": dict(Counter(a.precision.value if a else "not found" for a in found)),
            "objects_within_30m_pct": round(100 * near / len(objects), 2),
            "objects_misses_labelled_house": claimed, "objects": len(objects),
            "geocode_within_30m_pct": round(100 * within / len(points), 2),
            "misses_labelled_house": misses[GeoPrecision.ROOFTOP.value],
            "misses_by_precision": dict(misses), "addresses": len(points),
            "example_queries": [q.one_line() for q in queries[:3]]}


def matrix_figure(package, index: AddressIndex, seed: int) -> float | None:
    roads = package.part_path("roads")
    if roads is None:
        return None
    from controltower.area.graph import RoadGraph

    graph = RoadGraph.load(roads)
    stops = random.Random(seed).sample([(p.lat, p.lon) for p in index.points()], 400)
    started = time.perf_counter()
    graph.matrix(stops, datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo("Europe/Helsinki")))  # a Monday morning rush
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=SHIPPED)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        read_extract(args.pbf)
        check_s = time.perf_counter() - started
        started = time.perf_counter()
        package = build_area(args.pbf, Path(folder) / "areas" / "helsinki")
        build_s = time.perf_counter() - started
        parts = {f"build_{part}_s": info.get("seconds") for part, info in package.parts.items()}
        skipped = [part for part, info in package.parts.items() if "skipped" in info]
        index = AddressIndex(package.part_path("addresses"))
        figures = {"build_s": round(build_s, 3), "build_check_s": round(check_s, 3), **parts,
                   **geocoding_figures(index, args.pbf, args.seed, args.rounds),
                   "matrix_400_s": matrix_figure(package, index, args.seed), "parts_skipped": skipped}
        index.close()
    for key, value in figures.items():
        print(f"{key:26} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
