"""Writes resources/areas/helsinki/demo_addresses.tsv: the houses of the shipped Helsinki extract the demo delivers to.

Run again only when the extract changes: `.venv/bin/python tools/demo_addresses.py`. One row per house (street and
number), at the address point or the building's centre; a house with no postcode takes its nearest neighbour's.
Derived from OpenStreetMap data: © OpenStreetMap contributors, ODbL 1.0 (see the folder's README).
"""
from __future__ import annotations

import math
from pathlib import Path

from controltower.area.address_build import read_addresses

FOLDER = Path(__file__).resolve().parents[1] / "resources" / "areas" / "helsinki"


def main() -> None:
    found, _streets = read_addresses(FOLDER / "Helsinki.osm.pbf")
    houses: dict[tuple[str, str], object] = {}
    for address in sorted(found, key=lambda a: (a.building, a.street, a.housenumber)):  # address points first
        houses.setdefault((address.street, address.housenumber.upper()), address)
    with_code = [a for a in houses.values() if a.postcode]
    rows = []
    for (street, number), address in sorted(houses.items()):
        postcode = address.postcode or min(
            with_code, key=lambda b: math.hypot(b.lat - address.lat, (b.lon - address.lon) * 0.5)).postcode
        rows.append(f"{street}\t{address.housenumber}\t{postcode}\t{address.lat:.6f}\t{address.lon:.6f}")
    out = FOLDER / "demo_addresses.tsv"
    out.write_text("street\thousenumber\tpostcode\tlat\tlon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} houses -> {out}")


if __name__ == "__main__":
    main()
