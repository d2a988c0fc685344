"""Opening an OpenStreetMap extract (.osm.pbf): refuse a broken or foreign file in plain words, read its box and counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..kernel.errors import UserFacingError

Progress = Callable[[str, int, int], None]  # (stage, done, total); total 0 when not known

# Where extracts of a whole area come from, under terms that allow it (said in every refusal's advice).
WHERE_TO_GET_ONE = "download your area's .osm.pbf from Geofabrik (download.geofabrik.de) or BBBike (extract.bbbike.org)"
# Roughly how many OSM objects a byte of PBF holds: an estimate for a progress bar, never a count.
_OBJECTS_PER_BYTE = 0.045
_REPORT_EVERY = 50_000


class AreaFileError(UserFacingError):
    """The chosen file is not a usable OpenStreetMap extract: what is wrong with it and what to do."""


@dataclass(frozen=True)
class ExtractSummary:
    """What an extract holds: its box (min_lon, min_lat, max_lon, max_lat), its counts and how fresh it is."""

    path: Path
    size_bytes: int
    bbox: tuple[float, float, float, float]
    nodes: int
    ways: int
    relations: int
    replication_timestamp: datetime | None  # the extract service's cut-off, when its header says it
    newest_edit: datetime | None  # the newest object's own timestamp, when the file keeps them

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the box's middle."""
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2


def _foreign_kind(head: bytes) -> str | None:
    """What a file that is not PBF looks like it is, from its first bytes; None when it may be PBF."""
    if len(head) >= 15 and head[4:6] == b"\x0a\x09" and head[6:15] == b"OSMHeader":
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    if head.startswith(b"BZh"):
        return "a bzip2-compressed file"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<osm"):
        return "OpenStreetMap XML (.osm), not the compact .osm.pbf form"
    if stripped.startswith(b"{") or stripped.startswith(b"["):
        return "a JSON file"
    try:
        head.decode("utf-8")
        return "a text file (a table or a list?)"
    except UnicodeDecodeError:
        return "something else (its first bytes are not an OpenStreetMap PBF header)"


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def precheck(path: str | Path) -> Path:
    """The quick checks, done before any build starts: the file is there, not empty, and begins like a PBF extract."""
    path = Path(path)
    if not path.is_file():
        raise AreaFileError(f"The area file {path} was not found.", "Choose the .osm.pbf file again.")
    size = path.stat().st_size
    if size == 0:
        raise AreaFileError(f"The area file {path.name} is empty (0 bytes).",
                            f"The download may have failed: {WHERE_TO_GET_ONE} and choose it again.")
    with path.open("rb") as handle:
        head = handle.read(64)
    kind = _foreign_kind(head)
    if kind is not None:
        advice = (f"Convert it with 'osmium cat {path.name} -o area.osm.pbf', or {WHERE_TO_GET_ONE}." if "XML" in kind
                  else f"{_first_up(WHERE_TO_GET_ONE)}; if you downloaded a .zip, unzip it first." if "ZIP" in kind
                  else f"{_first_up(WHERE_TO_GET_ONE)} and choose that file.")
        raise AreaFileError(f"The file {path.name} is not an OpenStreetMap extract: it is {kind}.", advice)
    return path


def estimated_objects(path: Path) -> int:
    """About how many objects the file holds, from its size: a progress bar's total, never a count."""
    return max(1, int(Path(path).stat().st_size * _OBJECTS_PER_BYTE))


def read_extract(path: str | Path, progress: Progress | None = None) -> ExtractSummary:
    """Check the whole file and summarise it; AreaFileError for a broken, truncated or foreign file."""
    import osmium

    path = precheck(path)
    size = path.stat().st_size
    estimate = estimated_objects(path)
    counts = {"n": 0, "w": 0, "r": 0}
    min_lon = min_lat = 1e9
    max_lon = max_lat = -1e9
    newest = None
    try:
        reader = osmium.io.Reader(osmium.io.File(str(path), "pbf"), osmium.osm.osm_entity_bits.NOTHING)
        header = reader.header()
        reader.close()
        seen = 0
        for obj in osmium.FileProcessor(osmium.io.File(str(path), "pbf")):
            kind = obj.type_str()
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "n" and obj.location.valid():
                lon, lat = obj.location.lon, obj.location.lat
                min_lon, max_lon = min(min_lon, lon), max(max_lon, lon)
                min_lat, max_lat = min(min_lat, lat), max(max_lat, lat)
            stamp = obj.timestamp
            if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
                newest = stamp
            seen += 1
            if progress is not None and seen % _REPORT_EVERY == 0:
                progress("checking the file", seen, max(seen, estimate))
    except RuntimeError as exc:  # libosmium's PBF, zlib and parse errors
        raise AreaFileError(f"The area file {path.name} is damaged or incomplete ({exc}).",
                            f"The download may have stopped early: {WHERE_TO_GET_ONE} again.") from exc
    if counts["n"] == 0 or counts["w"] == 0:
        raise AreaFileError(f"The file {path.name} holds no streets or places ({counts['n']} points, "
                            f"{counts['w']} ways): it is not an extract of an area.",
                            f"{_first_up(WHERE_TO_GET_ONE)} and choose that file.")
    if progress is not None:
        progress("checking the file", seen, seen)
    return ExtractSummary(path, size, _box(header, (min_lon, min_lat, max_lon, max_lat)), counts["n"], counts["w"],
                          counts["r"], _replication_time(header), newest)


def _box(header, from_nodes: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The header's box when it has a valid one (the extract's cut), else the box of its points."""
    box = header.box()
    if box.valid():
        return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    return from_nodes


def _replication_time(header) -> datetime | None:
    text = header.get("osmosis_replication_timestamp") or header.get("timestamp") or ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
