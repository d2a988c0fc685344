"""MapView: the live map widget. Loads the page once, then pushes features to it as JSON and relays clicks back."""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ...maps.features import MapDay, to_data
from ...maps.diff import DayChanges, MapState
from ...maps.tiles import USER_AGENT, Area, PackagedBasemap, TileFetcher
from .page import page_html
from .scheme import PAGE_URL, SCHEME, AppSchemeHandler, LocalRequestsOnly

log = logging.getLogger(__name__)


class MapPage(QWebEnginePage):
    """The map's page; JavaScript errors go to the log (and `errors`) instead of vanishing."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.errors: list[str] = []

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802 (Qt's name)
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.errors.append(f"{source}:{line}: {message}")
            log.warning("map page: %s (%s:%s)", message, source, line)


class MapBridge(QObject):
    """The object the page sees as `bridge`: its slots are the only things JavaScript can call."""

    clicked = Signal(int)
    moved = Signal(int, float, float)
    loaded = Signal()

    @Slot()
    def pageReady(self) -> None:
        self.loaded.emit()

    @Slot(int)
    def stopClicked(self, order_id: int) -> None:
        self.clicked.emit(int(order_id))

    @Slot(int, float, float)
    def stopMoved(self, order_id: int, lat: float, lon: float) -> None:
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            self.moved.emit(int(order_id), float(lat), float(lon))




def open_local_page(web: QWebEngineView, page_html: Callable[[], bytes], tiles: TileFetcher | None,
                    bridge: QObject) -> tuple[QWebEngineProfile, AppSchemeHandler, LocalRequestsOnly]:
    """Give `web` a page served by ct:// alone (`page_html` at PAGE_URL), which can reach no network itself and
    sees `bridge` as its QWebChannel object `bridge`. Off the record: nothing of the page persists on disk. A profile
    must outlive its pages, and pages are torn down late, so the profile is parked on the application and deleted
    once the page is gone."""
    profile = QWebEngineProfile(QCoreApplication.instance())
    profile.setHttpUserAgent(USER_AGENT)
    handler = AppSchemeHandler(page_html, tiles, profile)
    profile.installUrlSchemeHandler(SCHEME, handler)
    guard = LocalRequestsOnly(profile)
    profile.setUrlRequestInterceptor(guard)
    page = MapPage(profile, web)
    settings = page.settings()
    settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
    settings.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
    channel = QWebChannel(page)
    channel.registerObject("bridge", bridge)
    page.setWebChannel(channel)
    web.setPage(page)
    page.destroyed.connect(profile.deleteLater)
    return profile, handler, guard


def run_script(page: QWebEnginePage, script: str, callback: Callable[[Any], None] | None,
               awaiting: set[Callable[[Any], None]]) -> None:
    """Run JavaScript on a loaded page; `callback` gets its value. `awaiting` holds the callable until then: PySide
    keeps no reference to it, and without one it may be collected."""
    if callback is None:
        page.runJavaScript(script)
        return

    def answered(value: Any) -> None:
        awaiting.discard(answered)
        callback(value)

    awaiting.add(answered)
    page.runJavaScript(script, 0, answered)


def _columns(features: Iterable[Any]) -> dict[str, list]:
    """Features as one list per field, empty fields as null: at 10,000 stops this is 40% less JSON than a
    list of objects and reaches the page 2-4x faster (measured), since V8 parses flat arrays quickest."""
    rows = to_data(features)
    names = sorted({name for row in rows for name in row})
    return {name: [None if (value := row.get(name)) == "" or value is False else value for row in rows] for name in names}


class MapView(QWidget):
    """The live map. Feed it features from controltower.maps.features; listen to its signals.

    ready                        the page has loaded and the bridge is up (calls made earlier are queued, not lost)
    stopClicked(order_id)        the user clicked a stop's marker
    stopMoved(order_id, lat, lon) the user dragged a stop and confirmed the new position (persist and audit it)
    """

    ready = Signal()
    stopClicked = Signal(int)
    stopMoved = Signal(int, float, float)

    def __init__(self, tiles: TileFetcher | None = None, parent: QWidget | None = None, *,
                 area: PackagedBasemap | None = None) -> None:
        super().__init__(parent)
        self.is_ready = False
        self.state = MapState()  # what the page shows; workers plan refreshes against it (MapState.plan)
        self._pending: list[str] = []
        self._pending_callbacks: list[tuple[int, Callable[[Any], None]]] = []
        self._awaiting: set[Callable[[Any], None]] = set()
        self.web = QWebEngineView(self)
        self.bridge = MapBridge(self)
        self.profile, self.scheme_handler, self.request_guard = open_local_page(self.web, page_html, tiles, self.bridge)
        self.bridge.loaded.connect(self._on_ready)
        self.bridge.clicked.connect(self.stopClicked)
        self.bridge.moved.connect(self.stopMoved)
        self.scheme_handler.tilesOnline.connect(self._on_tiles_online)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.web)
        # Loaded on the next turn of the event loop, after the window's first paint has been queued.
        QTimer.singleShot(0, self.web, lambda: self.web.load(QUrl(PAGE_URL)))  # not after the view is gone
        self._announce_tiles(tiles)
        self.area: PackagedBasemap | None = None
        self.set_area(area)

    @property
    def page(self) -> "MapPage":
        return self.web.page()

    # -- talking to the page ---------------------------------------------------------------------
    def run(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run JavaScript once the page is ready (queued before that, in order); nothing once the view is gone."""
        if not shiboken6.isValid(self.web):  # the window closed while a worker's result or a timer was on its way
            return
        if not self.is_ready:
            self._pending.append(script)
            if callback is not None:  # a caller waiting on a result before load gets it after the queue drains
                self._pending_callbacks.append((len(self._pending), callback))
            return
        run_script(self.page, script, callback, self._awaiting)

    def _call(self, function: str, payload: Any, callback: Callable[[Any], None] | None = None) -> None:
        # JSON is a JavaScript literal: the data is never parsed as code or markup. (Measured: wrapping it in
        # JSON.parse('...') is slower here, as the doubled escaping costs more than V8 saves.)
        self.run(f"CT.{function}({json.dumps(payload, ensure_ascii=False, separators=(',', ':'))})", callback)

    def _on_ready(self) -> None:
        self.is_ready = True
        pending, self._pending = self._pending, []
        callbacks, self._pending_callbacks = self._pending_callbacks, []
        waiting = dict(callbacks)
        for position, script in enumerate(pending, start=1):
            self.run(script, waiting.get(position))
        self.ready.emit()

    def _on_tiles_online(self, online: bool, message: str) -> None:
        self.run(f"CT.setOnline({json.dumps(online)}, {json.dumps(message)})")

    def _announce_tiles(self, tiles: TileFetcher | None) -> None:
        source = tiles.source if tiles is not None else None
        self._call("setTiles", {"attribution": source.attribution if source else "",
                                "max_zoom": source.max_zoom if source else 19})

    # -- public API ------------------------------------------------------------------------------
    def set_stops(self, stops: Iterable[Any], callback: Callable[[Any], None] | None = None) -> None:
        """Replace every stop marker (StopFeature or dicts of the same shape); an open popup closes."""
        stops = list(stops)
        self.state.stops_replaced(stops)
        self._call("setStops", _columns(stops), callback)

    def update_stops(self, stops: Iterable[Any], callback: Callable[[Any], None] | None = None) -> None:
        """Move, restyle or add just these stops in place; the rest stay as they are, and so do an open popup
        (its text redrawn), the selection and the view.

        For a stop already shown a partial dict is enough, e.g. {"order_id": 7, "status": "delivered"}.
        """
        stops = list(stops)
        self.state.stops_updated(stops)
        self._call("updateStops", to_data(stops), callback)  # full: an emptied field must reach the page

    def remove_stops(self, order_ids: Iterable[int], callback: Callable[[Any], None] | None = None) -> None:
        order_ids = [int(order_id) for order_id in order_ids]
        self.state.stops_removed(order_ids)
        self._call("removeStops", order_ids, callback)

    def set_routes(self, routes: Iterable[Any]) -> None:
        """The day's route lines, kept by route id: lines already shown change in place."""
        self._call("setRoutes", to_data(routes))

    def set_vehicles(self, vehicles: Iterable[Any]) -> None:
        """Every van to show, kept by vehicle id: vans already shown move in place (an open tooltip stays)."""
        self._call("setVehicles", to_data(vehicles))

    def move_vehicles(self, vehicles: Iterable[Any]) -> None:
        """New positions/headings for vans already shown."""
        self._call("moveVehicles", to_data(vehicles))

    def set_depots(self, depots: Iterable[Any]) -> None:
        self._call("setDepots", to_data(depots))

    def show_day(self, day: MapDay | DayChanges, callback: Callable[[Any], None] | None = None,
                 vehicles: Iterable[Any] | None = None) -> None:
        """Everything from a mapfeatures.MapDay, or from `self.state.plan(day)` worked out in a worker.

        Another day replaces every marker and fits the view to it. The day already shown changes only the stops
        that changed, in place: a popup the user opened stays open with its text redrawn, and the selection, pan
        and zoom stay as the user left them. `callback` gets the number of stops once the page has them.
        `vehicles`, when given, are the vans shown instead of the day's own (e.g. with the demo's couriers)."""
        changes = day if isinstance(day, DayChanges) else self.state.plan(day)
        if not self.state.is_current(changes):  # the page changed after the worker planned: plan again, here
            changes = self.state.plan(changes.day)
        day = changes.day
        self.set_depots(day.depots)
        self.set_routes(day.routes)
        self.state.applied(changes)
        if changes.replaces_day:
            self._call("setStops", _columns(day.stops), callback)
            self.fit()
        elif changes.stops or callback is not None:
            self._call("changeStops", {"upserts": changes.stops.upserts, "removed": changes.stops.removed}, callback)
        self.set_vehicles(day.vehicles if vehicles is None else vehicles)

    def select_orders(self, order_ids: Iterable[int]) -> None:
        """Highlight these orders' stops and pan/zoom to them (the reverse of stopClicked)."""
        self._call("select", [int(order_id) for order_id in order_ids])

    def fit(self, order_ids: Iterable[int] | None = None) -> None:
        """Zoom to these stops, or to the selection, or to everything."""
        self._call("fit", None if order_ids is None else [int(order_id) for order_id in order_ids])

    def visible_area(self, callback: Callable[[Area], None]) -> None:
        """The area on screen now (e.g. for "keep this area for offline use"), delivered to `callback`."""
        def deliver(bounds: str) -> None:
            south, west, north, east = json.loads(bounds)
            callback(Area(max(south, -85.0), max(west, -180.0), min(north, 85.0), min(east, 180.0)))

        # As JSON text: PySide hands JavaScript arrays back as empty strings.
        self.run("(function () { var b = CT.map.getBounds(); "
                 "return JSON.stringify([b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]); })()", deliver)

    def set_tiles(self, tiles: TileFetcher | None) -> None:
        """Switch the tile source/cache (e.g. after the user changes it in Settings)."""
        self.scheme_handler.set_tiles(tiles)
        self._announce_tiles(tiles)

    def when_drawn(self, callback: Callable[[bool], None], timeout_ms: int = 5_000) -> None:
        """Call back once the page has drawn everything sent so far and the area's street tiles on screen have
        arrived (True), or after the timeout (False): a screenshot then shows streets, not a grey map."""
        waited = {"ms": 0}

        def answered(settled: Any) -> None:
            if not shiboken6.isValid(self):  # the window closed while the page answered
                return
            if settled or waited["ms"] >= timeout_ms:
                callback(bool(settled))
                return
            waited["ms"] += 150
            QTimer.singleShot(150, self, ask)  # with the view as context: never after it is gone

        def ask() -> None:
            self.run("CT.tilesSettled()", answered)

        ask()

    def set_area(self, area: PackagedBasemap | None) -> None:
        """Show the shop's area package's street map (offline, above the online tiles), or none."""
        previous, self.area = self.area, area
        self.scheme_handler.set_area(area)
        self._call("setArea", area.to_page() if area is not None else None)
        if previous is not None and previous is not area:
            previous.tiles.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.scheme_handler.shutdown()
        super().closeEvent(event)
