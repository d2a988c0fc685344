"""The app's own URL scheme, ct://: serves the map page, its bundled scripts, the offline background and tiles.

ct://app/<path>            files under resources/web and resources/basemap, plus the generated page
ct://tiles/<z>/<x>/<y>.png tiles from the MBTiles cache, fetched (off the UI thread) when missing or stale
ct://area/<z>/<x>/<y>.png  the shop's area package's own street map (drawn from its extract): never the network
"""
from __future__ import annotations

import mimetypes
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor, QWebEngineUrlRequestJob, QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from ...domain.timeutil import utcnow
from ...maps.tiles import MAX_CONNECTIONS, PackagedBasemap, TileFetcher, TileServerUnreachable, TileUnavailable

SCHEME = b"ct"
PAGE_URL = "ct://app/map.html"
_TILE_PATH = re.compile(r"^/(\d{1,2})/(\d{1,7})/(\d{1,7})\.png$")
_ALLOWED_SCHEMES = {"ct", "data", "blob"}


def register_schemes() -> None:
    """Declare ct:// to Qt WebEngine. Must run before the QApplication exists (app.py calls it first)."""
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    scheme.setFlags(flags.SecureScheme | flags.LocalScheme | flags.LocalAccessAllowed | flags.CorsEnabled
                    | flags.FetchApiAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)


def resources_root() -> Path:
    """The bundled resources folder: next to the package in a checkout, inside the bundle when frozen."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def _qwebchannel_js() -> bytes:
    source = QFile(":/qtwebchannel/qwebchannel.js")
    if not source.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("Qt's qwebchannel.js is missing from this PySide6 install")
    try:
        return bytes(source.readAll().data())
    finally:
        source.close()


class _TileReplies(QObject):
    """Carries fetched tiles from worker threads back to the UI thread, where jobs are answered."""

    done = Signal(int, bytes, str)  # job key, tile bytes (empty on failure), failure kind


class _PageReplies(QObject):
    """Carries the built page from its worker thread to the UI thread."""

    done = Signal(int, bytes)  # job key, the page's HTML


class LocalRequestsOnly(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not ct://, data: or blob:, so the page can never reach the network itself."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        if info.requestUrl().scheme() not in _ALLOWED_SCHEMES:
            self.blocked.append(info.requestUrl().toString())
            info.block(True)


class AppSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ct:// requests. `tiles` may be None: then every tile is 'offline' and the background shows."""

    tilesOnline = Signal(bool, str)  # reachable?, a sentence for the badge

    def __init__(self, page_html: Callable[[], bytes], tiles: TileFetcher | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page_html = page_html
        self.tiles = tiles
        self.root = resources_root()
        self._roots = {"vendor": self.root / "web" / "vendor", "basemap": self.root / "basemap" / "world-atlas"}
        self._files = {"map.js": self.root / "web" / "map.js", "map.css": self.root / "web" / "map.css"}
        self._pool = ThreadPoolExecutor(max_workers=MAX_CONNECTIONS, thread_name_prefix="map-tiles")
        self._jobs: dict[int, QWebEngineUrlRequestJob] = {}
        self._next_key = 0
        self._online: bool | None = None
        self._replies = _TileReplies(self)
        self._replies.done.connect(self._tile_done)
        self._page_replies = _PageReplies(self)
        self._page_replies.done.connect(self._page_done)
        self._page_future = None  # built (folium, ~1 s) in a worker at the first request: the UI thread never waits
        self.tiles_served = 0
        self.area: PackagedBasemap | None = None
        self.area_tiles_served = 0

    def set_tiles(self, tiles: TileFetcher | None) -> None:
        self.tiles = tiles

    def set_area(self, area: PackagedBasemap | None) -> None:
        """The shop's area package's street map (None: no package): served at ct://area/, offline."""
        self.area = area
        self._online = None  # the badge's words depend on it: said again at the next tile

    def _offline(self, reason: str) -> None:
        if self.area is not None:
            self._set_online(False, f"Offline ({reason}): streets from your area file, {self.area.name}")
        else:
            self._set_online(False, f"Offline ({reason}): no street map saved for this area, only the built-in "
                                    "background. Map > Streets for offline use… adds one")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- dispatch ----------------------------------------------------------------------------------
    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        host, path = url.host(), url.path()
        if host == "tiles":
            self._serve_tile(job, path)
        elif host == "area":
            self._serve_area_tile(job, path)
        elif host == "app":
            self._serve_app(job, path)
        else:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    def _serve_app(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        if path == "/map.html":
            return self._serve_page(job)
        if path == "/qwebchannel.js":
            return self._reply(job, _qwebchannel_js(), "application/javascript")
        file = self._resolve(path)
        if file is None:
            return job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._reply(job, file.read_bytes(), "application/javascript" if file.suffix == ".js" else mime)

    def _serve_page(self, job: QWebEngineUrlRequestJob) -> None:
        if self._page_future is None:
            self._page_future = self._pool.submit(self._page_html)
        if self._page_future.done():
            return self._reply(job, self._page_future.result(), "text/html")
        key = self._next_key
        self._next_key += 1
        self._jobs[key] = job
        job.destroyed.connect(lambda *_: self._jobs.pop(key, None))
        replies = self._page_replies

        def built(future) -> None:
            try:
                replies.done.emit(key, b"" if future.exception() else future.result())
            except RuntimeError:  # the window closed while the page was being built: nobody to answer
                pass

        self._page_future.add_done_callback(built)

    def _page_done(self, key: int, html: bytes) -> None:
        job = self._jobs.pop(key, None)
        if job is None:
            return
        if not html:  # building the page failed: the view's load error says so
            return job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
        self._reply(job, html, "text/html")

    def _resolve(self, path: str) -> Path | None:
        """A bundled file for a URL path, never anything outside the bundled folders."""
        parts = path.strip("/").split("/", 1)
        if len(parts) == 1:
            file = self._files.get(parts[0])
            return file if file is not None and file.is_file() else None
        base = self._roots.get(parts[0])
        if base is None:
            return None
        file = (base / parts[1]).resolve()
        if not file.is_relative_to(base.resolve()) or not file.is_file():
            return None
        return file

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, data: bytes, mime: str) -> None:
        buffer = QBuffer(job)  # the job owns the buffer, so it lives exactly as long as the reply
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buffer)

    # -- tiles -------------------------------------------------------------------------------------
    def _serve_area_tile(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        match = _TILE_PATH.match(path)
        area = self.area
        found = area.tiles.get(*(int(part) for part in match.groups())) if match and area is not None else None
        if found is None:  # outside the area or its zooms: the layer beneath shows through
            return job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        self.area_tiles_served += 1
        self._reply(job, found.data, "image/png")

    def _serve_tile(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        match = _TILE_PATH.match(path)
        if match is None:
            return job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        z, x, y = (int(part) for part in match.groups())
        if self.tiles is None:
            self._offline("no network")
            return job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        cached = self.tiles.cached(z, x, y)
        if cached is not None and (cached.is_fresh(utcnow()) or self.tiles.source is None):
            self.tiles_served += 1
            return self._reply(job, cached.data, "image/png")
        if self.tiles.source is None:
            self._offline("no tile server set")
            return job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        key = self._next_key
        self._next_key += 1
        self._jobs[key] = job
        job.destroyed.connect(lambda *_: self._jobs.pop(key, None))  # the page gave up on this tile
        self._pool.submit(self._fetch, key, self.tiles, z, x, y)

    def _fetch(self, key: int, tiles: TileFetcher, z: int, x: int, y: int) -> None:
        try:
            self._replies.done.emit(key, tiles.tile(z, x, y), "")
        except TileServerUnreachable:
            self._replies.done.emit(key, b"", "unreachable")
        except TileUnavailable:
            self._replies.done.emit(key, b"", "missing")
        except Exception:  # a broken tile must not take the map down; the worker logs nothing the user can act on
            self._replies.done.emit(key, b"", "missing")

    def _tile_done(self, key: int, data: bytes, failure: str) -> None:
        if failure == "unreachable":
            self._offline("the tile server cannot be reached")
        elif not failure:
            self._set_online(True, "")
        job = self._jobs.pop(key, None)
        if job is None:
            return
        if failure:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        else:
            self.tiles_served += 1
            self._reply(job, data, "image/png")

    def _set_online(self, online: bool, message: str) -> None:
        if online != self._online:
            self._online = online
            self.tilesOnline.emit(online, message)
