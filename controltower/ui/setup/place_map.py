"""The setup pages' small map: the shop's pin, dragged to correct the address, and the delivery zones as shapes.

Served like the main map, through the app's own ct:// scheme with the bundled Leaflet (offline); the shop's area
package's streets when it has one, the user's tile source when online, else a plain background.

    place = PlaceMap(core)
    place.pinMoved.connect(lambda lat, lon: ...)   # the user dragged the pin
    place.set_pin(45.51, -122.64)
    place.show_zones((45.51, -122.64), [{"name": "Near", "radius_km": 8, "places": []}])
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..map.page import content_security_policy
from ..map.scheme import PAGE_URL, resources_root
from ..map.view import MapPage, open_local_page, run_script

log = logging.getLogger(__name__)
_CSP_PLACEHOLDER = "ct-content-security-policy"


@lru_cache(maxsize=1)
def page_html() -> bytes:
    """resources/web/setup_map.html with its own inline script and style allowed by hash, nothing else inline."""
    html = (resources_root() / "web" / "setup_map.html").read_text(encoding="utf-8")
    return html.replace(_CSP_PLACEHOLDER, content_security_policy(html), 1).encode("utf-8")


class PinBridge(QObject):
    """The object the page sees as `bridge`: its slots are the only things its JavaScript can call."""

    loaded = Signal()
    moved = Signal(float, float)

    @Slot()
    def pageReady(self) -> None:  # noqa: N802 (called from JavaScript)
        self.loaded.emit()

    @Slot(float, float)
    def pinMoved(self, lat: float, lon: float) -> None:  # noqa: N802 (called from JavaScript)
        if -90 <= lat <= 90 and abs(lon) < 1000:  # a pin dragged across the date line comes back on this side
            self.moved.emit(float(lat), (float(lon) + 180.0) % 360.0 - 180.0)


class PlaceMap(QWidget):
    """A small map of the shop. Calls made before the page is up are queued, in order, not lost.

    ready               the page has loaded and the bridge is up
    pinMoved(lat, lon)  the user dragged the shop's pin there
    """

    ready = Signal()
    pinMoved = Signal(float, float)

    def __init__(self, core, parent: QWidget | None = None, *, draggable: bool = True) -> None:
        super().__init__(parent)
        self.is_ready, self.draggable = False, draggable
        self._pending: list[tuple[str, Callable[[Any], None] | None]] = []
        self._awaiting: set[Callable[[Any], None]] = set()
        self.web = QWebEngineView(self)
        tiles = None if core.offline else _open(lambda: core.map.tiles(), "tile cache")
        self.area = _open(lambda: core.map.area_basemap(core.area.current()), "area's street map")
        self.bridge = PinBridge(self)
        self.profile, self.scheme_handler, self.request_guard = open_local_page(self.web, page_html, tiles, self.bridge)
        self.scheme_handler.set_area(self.area)  # the area's streets at ct://area/, as on the main map
        self.bridge.loaded.connect(self._on_ready)
        self.bridge.moved.connect(self.pinMoved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.web)
        source = tiles.source if tiles is not None else None
        self._call("setTiles", {"online": source is not None, "attribution": source.attribution if source else "",
                                "max_zoom": source.max_zoom if source else 19,
                                "area": self.area.to_page() if self.area is not None else None})
        QTimer.singleShot(0, self.web, lambda: self.web.load(QUrl(PAGE_URL)))  # not after the view is gone

    @property
    def page(self) -> MapPage:
        return self.web.page()

    def run(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run JavaScript once the page is ready (queued before that); `callback` gets its value."""
        if not self.is_ready:
            self._pending.append((script, callback))
            return
        run_script(self.page, script, callback, self._awaiting)

    def _call(self, function: str, *args: Any, callback: Callable[[Any], None] | None = None) -> None:
        # JSON is a JavaScript literal: names arrive as data, never parsed as code or markup.
        self.run(f"SM.{function}({','.join(json.dumps(arg, ensure_ascii=False) for arg in args)})", callback)

    def _on_ready(self) -> None:
        self.is_ready = True
        pending, self._pending = self._pending, []
        for script, callback in pending:
            self.run(script, callback)
        self.ready.emit()

    def set_pin(self, lat: float | None, lon: float | None) -> None:
        """Put the shop's pin there (None, or 0/0: no pin yet); the user drags it only on a draggable map."""
        if lat is None or lon is None or (lat == 0 and lon == 0):
            self._call("clearPin")
        else:
            self._call("setPin", lat, lon, self.draggable)

    def show_zones(self, centre: tuple[float, float] | None, zones: list[dict],
                   callback: Callable[[Any], None] | None = None) -> None:
        """Each zone's radius as a circle around `centre`, its postcodes as labelled dots; `callback` gets the count."""
        self._call("setZones", {"centre": list(centre) if centre else None, "zones": zones}, callback=callback)

    def fit_zones(self) -> None:
        self._call("fitZones")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.scheme_handler.shutdown()
        super().closeEvent(event)


def _open(opener: Callable[[], Any], what: str):
    """A map part that may be broken: the small map shows without it rather than not at all."""
    try:
        return opener()
    except Exception:
        log.exception("the setup map's %s could not be opened; it shows without it", what)
        return None


def zone_shapes(zones, centres: dict[str, tuple[float, float]]) -> list[dict]:
    """The zones (services.setup.Zone) as the page draws them, each postcode at its centre where it is known."""
    return [{"name": zone.name, "radius_km": zone.radius_km,
             "places": [{"code": code, "lat": centres[code][0], "lon": centres[code][1]}
                        for code in zone.postcodes if code in centres]}
            for zone in zones]
