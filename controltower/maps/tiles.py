"""Map tiles: an MBTiles cache on disk and a polite fetcher that fills it from a tile server the user chooses.

OpenStreetMap's tile usage policy shapes this module (see /work/shared/reference/shops-and-services.md §6):
a real, stable User-Agent; tiles kept at least 7 days or as long as the server's caching headers say, then
revalidated with If-None-Match / If-Modified-Since; at most two connections at a time; and no area download
("keep my delivery area for offline use") from a server whose terms forbid it, OSM's own included.
"""
from __future__ import annotations

import email.utils
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator


from ..domain.timeutil import UTC, from_iso, to_iso, utcnow
from ..kernel.errors import UserFacingError

try:
    from importlib.metadata import version as _package_version

    _VERSION = _package_version("controltower")
except Exception:  # running from a source tree without install metadata
    _VERSION = "0.1"

USER_AGENT = f"ControlTower/{_VERSION} (desktop delivery control tower; python-httpx)"
MIN_KEEP = timedelta(days=7)
MAX_CONNECTIONS = 2
MAX_AREA_TILES = 20_000  # a delivery area at street zooms is a few thousand tiles; more is a bulk download
TYPICAL_TILE_BYTES = 20_000  # for the size estimate before anything is cached


@dataclass(frozen=True)
class TileSource:
    """Where tiles come from. `allows_offline_download` is only True when the server's terms allow prefetching."""

    name: str
    url_template: str  # with {z}, {x} and {y}
    attribution: str
    allows_offline_download: bool = False
    max_zoom: int = 19

    def url(self, z: int, x: int, y: int) -> str:
        return self.url_template.format(z=z, x=x, y=y)


OPENSTREETMAP = TileSource(
    "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors",
    allows_offline_download=False, max_zoom=19,
)
OSM_NO_DOWNLOAD = (
    "OpenStreetMap's tile servers do not allow saving areas for offline use; "
    "tiles you view are still kept. Choose a tile source that permits offline caching to keep a whole area."
)


class TileUnavailable(UserFacingError):
    """No tile: not cached and the server could not be reached or has none."""


class TileServerUnreachable(TileUnavailable):
    """The network or the tile server is down; the map falls back to the offline background."""


class OfflineDownloadNotAllowed(UserFacingError):
    """The chosen tile source's terms forbid downloading an area in advance."""


class AreaTooLarge(UserFacingError):
    """The requested area would be a bulk download."""


@dataclass(frozen=True)
class CachedTile:
    data: bytes
    expires_at: datetime | None = None  # None: a user-supplied MBTiles file, always fresh
    etag: str = ""
    last_modified: str = ""

    def is_fresh(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


_SCHEMA = """
CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);
-- Not part of MBTiles: how long each fetched tile may be served before revalidating.
CREATE TABLE IF NOT EXISTS tile_freshness (
    zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,
    fetched_at TEXT NOT NULL, expires_at TEXT NOT NULL, etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (zoom_level, tile_column, tile_row)
);
"""


class TileCache:
    """An MBTiles file (SQLite, TMS row order). Safe to share between the UI thread and fetch workers."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(_SCHEMA)
            self._conn.execute("INSERT OR IGNORE INTO metadata(name, value) VALUES ('name', 'Control Tower tile cache'), "
                               "('format', 'png'), ('type', 'baselayer'), ('version', '1')")
        self._has_freshness = bool(self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tile_freshness'").fetchone())
        self._lock = threading.Lock()

    @staticmethod
    def _tms_row(z: int, y: int) -> int:
        return (1 << z) - 1 - y  # MBTiles counts rows from the south; web maps from the north

    def get(self, z: int, x: int, y: int) -> CachedTile | None:
        row = self._tms_row(z, y)
        with self._lock:
            found = self._conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", (z, x, row)
            ).fetchone()
            if found is None:
                return None
            fresh = None
            if self._has_freshness:
                fresh = self._conn.execute(
                    "SELECT expires_at, etag, last_modified FROM tile_freshness "
                    "WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", (z, x, row)
                ).fetchone()
        if fresh is None:
            return CachedTile(bytes(found[0]))
        return CachedTile(bytes(found[0]), from_iso(fresh[0]), fresh[1], fresh[2])

    def put(self, z: int, x: int, y: int, data: bytes, expires_at: datetime, etag: str = "", last_modified: str = "") -> None:
        row = self._tms_row(z, y)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (z, x, row, data))
                self._conn.execute(
                    "INSERT OR REPLACE INTO tile_freshness VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (z, x, row, to_iso(utcnow()), to_iso(expires_at), etag, last_modified),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def put_permanent(self, tiles: list[tuple[int, int, int, bytes]]) -> None:
        """Tiles that never go stale (an area package's own drawing), as (z, x, y, png), in one transaction."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)",
                                       [(z, x, self._tms_row(z, y), data) for z, x, y, data in tiles])
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def set_metadata(self, values: dict[str, str]) -> None:
        """MBTiles metadata rows (name, attribution, bounds, minzoom…)."""
        with self._lock:
            self._conn.executemany("INSERT OR REPLACE INTO metadata(name, value) VALUES (?, ?)", list(values.items()))

    def metadata(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT name, value FROM metadata").fetchall())

    def seal(self) -> None:
        """Fold the write-ahead log into the file and leave WAL mode: the file alone is the whole tile set, and it
        opens read-only even where no -shm file can be made beside it."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("PRAGMA journal_mode = DELETE")

    def extend(self, z: int, x: int, y: int, expires_at: datetime) -> None:
        """The server said the cached copy is still good (HTTP 304)."""
        with self._lock:
            self._conn.execute(
                "UPDATE tile_freshness SET expires_at = ?, fetched_at = ? WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (to_iso(expires_at), to_iso(utcnow()), z, x, self._tms_row(z, y)),
            )

    def has(self, z: int, x: int, y: int) -> bool:
        with self._lock:
            return self._conn.execute(
                "SELECT 1 FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", (z, x, self._tms_row(z, y))
            ).fetchone() is not None

    def stats(self) -> tuple[int, int]:
        """(number of tiles, bytes of tile data)."""
        with self._lock:
            count, size = self._conn.execute("SELECT count(*), coalesce(sum(length(tile_data)), 0) FROM tiles").fetchone()
        return int(count), int(size)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def expiry_from_headers(headers: httpx.Headers, now: datetime) -> datetime:
    """When a fetched tile should be revalidated: the server's max-age or Expires, else the policy's 7 days."""
    match = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    if match:
        return now + timedelta(seconds=int(match.group(1)))
    expires = headers.get("expires")
    if expires:
        try:
            parsed = email.utils.parsedate_to_datetime(expires)
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return now + MIN_KEEP


class TileFetcher:
    """Tiles for the map: from the cache when fresh, else from the source (two connections at most)."""

    def __init__(self, cache: TileCache, source: TileSource | None, *, client: httpx.Client | None = None,
                 user_agent: str = USER_AGENT, timeout: float = 10.0) -> None:
        self.cache = cache
        self.source = source  # None: offline only, serve what the cache has
        import httpx  # loaded with the first fetcher, not at start-up

        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._client.headers["User-Agent"] = user_agent
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def cached(self, z: int, x: int, y: int) -> CachedTile | None:
        """The cached tile, fresh or not; never touches the network (safe on the UI thread)."""
        return self.cache.get(z, x, y)

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The tile's bytes, fetching or revalidating when needed. A stale copy beats no tile when offline."""
        cached = self.cache.get(z, x, y)
        now = utcnow()
        if cached is not None and (cached.is_fresh(now) or self.source is None):
            return cached.data
        if self.source is None:
            raise TileUnavailable("This part of the map has not been saved for offline use.",
                                  "Connect to the internet or choose a tile source in Settings.")
        try:
            return self._fetch(z, x, y, cached, now)
        except TileServerUnreachable:
            if cached is not None:
                return cached.data
            raise

    def _fetch(self, z: int, x: int, y: int, cached: CachedTile | None, now: datetime) -> bytes:
        import httpx

        headers = {}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        try:
            with self._slots:
                response = self._client.get(self.source.url(z, x, y), headers=headers)
        except httpx.HTTPError as error:
            raise TileServerUnreachable(f"The tile server {self.source.name} cannot be reached ({type(error).__name__}).",
                                        "The map shows the offline background until the connection is back.") from error
        if response.status_code == 304 and cached is not None:
            self.cache.extend(z, x, y, expiry_from_headers(response.headers, now))
            return cached.data
        if response.status_code >= 500 or response.status_code == 429:
            raise TileServerUnreachable(f"The tile server {self.source.name} is not answering (HTTP {response.status_code}).",
                                        "Try again later.")
        if response.status_code != 200:
            raise TileUnavailable(f"The tile server has no tile {z}/{x}/{y} (HTTP {response.status_code}).")
        self.cache.put(z, x, y, response.content, expiry_from_headers(response.headers, now),
                       response.headers.get("etag", ""), response.headers.get("last-modified", ""))
        return response.content

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class Area:
    """A bounding box in degrees, e.g. the delivery area around a depot."""

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        if not (-85.06 <= self.south < self.north <= 85.06 and -180 <= self.west < self.east <= 180):
            raise ValueError(f"not a usable map area: {self}")


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The web-mercator tile holding a point at zoom z."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_in_area(area: Area, min_zoom: int, max_zoom: int) -> Iterator[tuple[int, int, int]]:
    for z in range(min_zoom, max_zoom + 1):
        x0, y0 = tile_xy(area.north, area.west, z)
        x1, y1 = tile_xy(area.south, area.east, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


@dataclass(frozen=True)
class AreaEstimate:
    tiles: int
    to_download: int
    approx_bytes: int

    @property
    def approx_megabytes(self) -> float:
        return round(self.approx_bytes / 1_000_000, 1)


def count_tiles(area: Area, min_zoom: int, max_zoom: int) -> int:
    """How many tiles tiles_in_area would list, worked out without listing them."""
    total = 0
    for z in range(min_zoom, max_zoom + 1):
        x0, y0 = tile_xy(area.north, area.west, z)
        x1, y1 = tile_xy(area.south, area.east, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def estimate_area(cache: TileCache, area: Area, min_zoom: int, max_zoom: int) -> AreaEstimate:
    """How many tiles an area needs and roughly how much disk, before the user agrees to download it."""
    count, size = cache.stats()
    per_tile = size // count if count >= 20 else TYPICAL_TILE_BYTES
    total = count_tiles(area, min_zoom, max_zoom)
    if total > MAX_AREA_TILES:  # too many to download anyway: not listed (the whole world at street zooms is billions)
        return AreaEstimate(total, total, total * per_tile)
    missing = sum(1 for z, x, y in tiles_in_area(area, min_zoom, max_zoom) if not cache.has(z, x, y))
    return AreaEstimate(total, missing, missing * per_tile)


@dataclass(frozen=True)
class AreaDownload:
    tiles: int
    fetched: int
    already_cached: int
    failed: int
    bytes_fetched: int
    cancelled: bool = False


Progress = Callable[[int, int, int], None]  # (tiles done, tiles in total, bytes fetched so far)


def download_area(fetcher: TileFetcher, area: Area, min_zoom: int, max_zoom: int, *,
                  progress: Progress | None = None, cancelled: threading.Event | None = None) -> AreaDownload:
    """Keep an area for offline use: fetch its missing tiles one by one. Run it off the UI thread."""
    source = fetcher.source
    if source is None:
        raise OfflineDownloadNotAllowed("No tile source is set.", "Choose a tile source in Settings first.")
    if not source.allows_offline_download:
        raise OfflineDownloadNotAllowed(f"{source.name} does not allow saving areas for offline use.", OSM_NO_DOWNLOAD)
    max_zoom = min(max_zoom, source.max_zoom)
    needed = count_tiles(area, min_zoom, max_zoom)
    if needed > MAX_AREA_TILES:
        raise AreaTooLarge(f"That area needs {needed:,} tiles, more than {MAX_AREA_TILES:,}.",
                           "Choose a smaller area or fewer zoom levels.")
    tiles = list(tiles_in_area(area, min_zoom, max_zoom))
    fetched = cached = failed = size = 0
    for done, (z, x, y) in enumerate(tiles, start=1):
        if cancelled is not None and cancelled.is_set():
            return AreaDownload(len(tiles), fetched, cached, failed, size, cancelled=True)
        if fetcher.cache.has(z, x, y):
            cached += 1
        else:
            try:
                size += len(fetcher.tile(z, x, y))
                fetched += 1
            except TileServerUnreachable:
                raise
            except TileUnavailable:
                failed += 1
        if progress is not None:
            progress(done, len(tiles), size)
    return AreaDownload(len(tiles), fetched, cached, failed, size)


# -- the user's choice, kept in the store's settings (never secrets: a keyed URL belongs in the keychain) --------
_SETTING_KEYS = ("map.tile_name", "map.tile_url", "map.tile_attribution", "map.tile_offline_ok", "map.tile_max_zoom")


def load_tile_source(settings) -> TileSource | None:
    """The tile source chosen in Settings (OpenStreetMap until the user picks another); None when turned off.

    `settings` is anything with get_setting(key, default), such as the store's Database.
    """
    url = settings.get_setting("map.tile_url", OPENSTREETMAP.url_template)
    if not url:
        return None
    if url == OPENSTREETMAP.url_template:
        return OPENSTREETMAP  # its terms are fixed: no area downloads, whatever a setting says
    return TileSource(
        name=settings.get_setting("map.tile_name", "Custom tile server") or "Custom tile server",
        url_template=url,
        attribution=settings.get_setting("map.tile_attribution", "") or "",
        allows_offline_download=settings.get_setting("map.tile_offline_ok", "0") == "1",
        max_zoom=int(settings.get_setting("map.tile_max_zoom", "19") or 19),
    )


def save_tile_source(settings, source: TileSource | None) -> None:
    """Remember the user's tile source; None turns tile fetching off (the map then uses only what is saved)."""
    if source is None:
        settings.set_setting("map.tile_url", "")
        return
    if not all(part in source.url_template for part in ("{z}", "{x}", "{y}")):
        raise ValueError("a tile URL needs {z}, {x} and {y}, e.g. https://tiles.example.com/{z}/{x}/{y}.png")
    values = (source.name, source.url_template, source.attribution, "1" if source.allows_offline_download else "0",
              str(source.max_zoom))
    for key, value in zip(_SETTING_KEYS, values):
        settings.set_setting(key, value)


@dataclass(frozen=True)
class PackagedBasemap:
    """An area package's own street map (drawn from its extract): shown offline over the online tiles, in its box."""

    name: str
    tiles: TileCache  # read-only
    attribution: str
    bounds: Area
    min_zoom: int
    max_zoom: int
    version: str  # another build, another version: the page never shows an earlier build's tiles from its cache

    def to_page(self) -> dict:
        """What the map page needs to show it."""
        box = self.bounds
        return {"name": self.name, "attribution": self.attribution, "bounds": [box.south, box.west, box.north, box.east],
                "min_zoom": self.min_zoom, "max_zoom": self.max_zoom, "version": self.version}


def open_packaged_basemap(path: str | Path, *, name: str, attribution: str, version: str) -> PackagedBasemap:
    """A basemap.mbtiles written by controltower.area.basemap, opened read-only; ValueError when it is not one."""
    try:
        tiles = TileCache(path, readonly=True)
    except sqlite3.Error as exc:
        raise ValueError(f"{path} can't be opened ({exc})") from exc
    try:
        metadata = tiles.metadata()
        west, south, east, north = (float(part) for part in metadata["bounds"].split(","))
        return PackagedBasemap(name, tiles, attribution, Area(south, west, north, east),
                               int(metadata["minzoom"]), int(metadata["maxzoom"]), version)
    except (KeyError, ValueError, sqlite3.Error) as exc:
        tiles.close()
        raise ValueError(f"{path} is not a basemap of an area package ({exc})") from exc


def default_cache_path() -> Path:
    """Where viewed and saved tiles are kept: the platform's cache folder, so clearing caches is safe."""
    from platformdirs import user_cache_path

    return user_cache_path("ControlTower", "ControlTower") / "tiles.mbtiles"


def open_tiles(settings, cache_path: str | Path | None = None) -> TileFetcher:
    """The fetcher the map view takes: the user's source over the tile cache."""
    return TileFetcher(TileCache(cache_path or default_cache_path()), load_tile_source(settings))
