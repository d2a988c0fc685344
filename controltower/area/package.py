"""An area package: the folder `<data dir>/areas/<slug>/` built from one OpenStreetMap extract, and its area.json.

    package = shop_package(db)            # the shop's area (setting "area.package"), or None
    package.part_path("addresses")        # addresses.db, or None when that part was not built
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .source import AreaFileError

log = logging.getLogger(__name__)

MANIFEST = "area.json"
FORMAT = 1  # the manifest's own layout; a package of a later format is refused, not misread
SETTING = "area.package"  # the shop's chosen package: its folder name under <data dir>/areas
PART_FILES = {"addresses": "addresses.db", "roads": "roads.npz", "basemap": "basemap.mbtiles"}
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


@dataclass(frozen=True)
class AreaPackage:
    """One built area: where it came from, its box (min_lon, min_lat, max_lon, max_lat) and its parts."""

    folder: Path
    name: str
    source_name: str
    source_size: int
    bbox: tuple[float, float, float, float]
    built_at: datetime
    attribution: str = ATTRIBUTION
    # part -> what its builder reported (version, counts, seconds) or {"skipped": why}
    parts: dict[str, dict] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The extract's short name ('helsinki' for Helsinki.osm.pbf), the same for every build of it."""
        return slug_for(self.source_name)

    @property
    def folder_name(self) -> str:
        """This build's folder under <data dir>/areas ('helsinki-2'): what the shop's setting remembers."""
        return self.folder.name

    def part_path(self, part: str) -> Path | None:
        """The file of a built part ("addresses", "roads", "basemap"); None when it was skipped or is missing."""
        info = self.parts.get(part)
        path = self.folder / PART_FILES[part]
        return path if info is not None and "skipped" not in info and path.is_file() else None

    @classmethod
    def load(cls, folder: str | Path) -> "AreaPackage":
        folder = Path(folder)
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if data.get("format", 0) > FORMAT:
                raise AreaFileError(f"The area in {folder.name} was built by a newer Control Tower.",
                                    "Update the app, or build the area again from its .osm.pbf file.")
            return cls(folder, data["name"], data["source"]["file"], int(data["source"]["size_bytes"]),
                       tuple(data["bbox"]), datetime.fromisoformat(data["built_at"]),
                       data.get("attribution", ATTRIBUTION), dict(data.get("parts", {})))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AreaFileError(f"The area in {folder} can't be read ({exc}).",
                                "Build it again from its .osm.pbf file.") from exc

    def to_json(self) -> dict:
        return {"format": FORMAT, "name": self.name,
                "source": {"file": self.source_name, "size_bytes": self.source_size},
                "bbox": list(self.bbox), "built_at": self.built_at.isoformat(), "attribution": self.attribution,
                "parts": self.parts}

    def write(self) -> None:
        (self.folder / MANIFEST).write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")


def areas_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "areas"


def slug_for(pbf_path: str | Path) -> str:
    """The package folder's name for an extract: 'Helsinki.osm.pbf' -> 'helsinki', 'new-york-latest' -> 'new-york-latest'."""
    name = Path(pbf_path).name
    for suffix in (".osm.pbf", ".pbf"):
        if name.lower().endswith(suffix):
            name = name[:-len(suffix)]
            break
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "area"


def next_folder(data_dir: Path, pbf_path: str | Path) -> Path:
    """A new folder for a build of this extract: 'helsinki-1', then 'helsinki-2'... A rebuild never replaces the
    folder in use (Windows can't rename or delete files the app holds open); the old one is pruned later."""
    slug = slug_for(pbf_path)
    taken = [int(folder.name.rsplit("-", 1)[1]) for folder in areas_folder(data_dir).glob(f"{slug}-*")
             if folder.name.rsplit("-", 1)[1].isdigit() and folder.name.rsplit("-", 1)[0] == slug]
    return areas_folder(data_dir) / f"{slug}-{max(taken, default=0) + 1}"


def prune(data_dir: Path, keep: str) -> list[str]:
    """Remove the other builds of the package `keep`'s extract (and left-over half-built folders), as far as the
    system allows now: a folder still open elsewhere stays until the next time. Returns the folders removed."""
    import shutil

    base = keep.rsplit("-", 1)[0]
    removed = []
    for folder in areas_folder(data_dir).glob(f"{base}-*"):
        name = folder.name.split(".")[0]
        if folder.name == keep or name.rsplit("-", 1)[0] != base or not name.rsplit("-", 1)[-1].isdigit():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.name)
    return removed


def installed(data_dir: Path) -> list[AreaPackage]:
    """Every readable package in the data folder, by name."""
    found = []
    for folder in sorted(areas_folder(data_dir).glob(f"*/{MANIFEST}")):
        try:
            found.append(AreaPackage.load(folder.parent))
        except AreaFileError as exc:
            log.warning("skipping area %s: %s", folder.parent, exc)
    return found


def shop_package(db, data_dir: Path | None = None) -> AreaPackage | None:
    """The shop's chosen area (the store's folder is the data folder unless given), or None when there is none
    or it can't be read (logged: the app then works as before, on postcodes and straight lines)."""
    slug = db.get_setting(SETTING)
    if not slug:
        return None
    folder = areas_folder(data_dir if data_dir is not None else Path(db.path).parent) / slug
    try:
        return AreaPackage.load(folder)
    except AreaFileError as exc:
        log.warning("the shop's area can't be used: %s", exc)
        return None
