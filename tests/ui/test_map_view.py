"""The live map as a shop owner uses it: offline, thousands of stops, live restyles, clicks both ways, safe text."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QEvent, QIODevice
from PySide6.QtGui import QColor, QImage

from controltower.ui.map import MapView, register_schemes

register_schemes()  # at import, so before pytest-qt creates the QApplication

from controltower.domain.timeutil import utcnow  # noqa: E402
from controltower.maps.features import (  # noqa: E402
    DepotFeature, MapStatus, RouteFeature, StopFeature, VehicleFeature, route_color,
)
from controltower.maps.tiles import TileCache, TileFetcher, TileSource  # noqa: E402

XSS = '<img src=x onerror="window.__xss = 1">'
SCRIPT = "<script>window.__xss = 2</script>"


def js(view: MapView, qtbot, script: str):
    """Evaluate JavaScript in the page and return its value."""
    box = {}
    view.page.runJavaScript(script, 0, lambda value: box.setdefault("value", value))
    qtbot.waitUntil(lambda: "value" in box, timeout=10_000)
    return box["value"]


def grid(count: int, lat: float = 45.50, lon: float = -122.70, status: MapStatus = MapStatus.PLANNED) -> list[StopFeature]:
    side = int(count ** 0.5) + 1
    return [StopFeature(order_id=i + 1, lat=lat + (i % side) * 0.001, lon=lon + (i // side) * 0.001, status=status,
                        order_ref=f"#{i + 1:05d}", customer=f"Customer {i + 1}") for i in range(count)]


def png(color: str) -> bytes:
    image = QImage(256, 256, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


@pytest.fixture
def open_map(qtbot):
    views = []

    def open_(tiles: TileFetcher | None = None) -> MapView:
        view = MapView(tiles)
        view.resize(800, 600)
        view.show()
        with qtbot.waitSignal(view.ready, timeout=30_000):
            pass
        views.append(view)
        return view

    yield open_
    for view in views:
        assert view.page.errors == []  # no JavaScript error in any test
    for view in views:  # delete now, so every page goes before its profile
        view.close()
        view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def test_page_loads_with_no_network_and_shows_the_offline_background(qtbot, open_map):
    view = open_map()
    assert js(view, qtbot, "typeof L") == "object"
    assert js(view, qtbot, "typeof L.markerClusterGroup") == "function"
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.backgroundFeatures") or 0) > 100, timeout=10_000)
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelector('.ct-badge').classList.contains('ct-visible')"))
    assert "Offline" in js(view, qtbot, "document.querySelector('.ct-badge').textContent")
    assert js(view, qtbot, "document.querySelector('.leaflet-control-scale') !== null")
    assert js(view, qtbot, "document.querySelector('.ct-legend-body').textContent").startswith("StopsPlannedEn route")
    assert view.request_guard.blocked == []


def test_two_thousand_stops_become_two_thousand_markers(qtbot, open_map):
    view = open_map()
    counts = []
    view.set_stops(grid(2000), callback=counts.append)
    qtbot.waitUntil(lambda: bool(counts), timeout=20_000)
    assert counts == [2000]
    assert js(view, qtbot, "CT.markerCount()") == 2000
    js(view, qtbot, "CT.fit(null)")
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.ct-cluster').length") > 0)


def test_a_status_change_restyles_one_marker_without_reloading(qtbot, open_map):
    view = open_map()
    view.set_stops(grid(50))
    js(view, qtbot, "window.__samePage = 'yes'; CT.fit([7]); 0")
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.stops.get(7).getElement() !== undefined && CT.stops.get(7).getElement() !== null"))
    assert js(view, qtbot, "CT.stops.get(7).getElement().querySelector('.ct-s-planned') !== null")

    late = StopFeature(order_id=7, lat=45.5063, lon=-122.70, status=MapStatus.EXCEPTION, order_ref="#00007",
                       customer="Customer 7", exception="Will miss the window")
    view.update_stops([late, StopFeature(order_id=8, lat=45.507, lon=-122.70, status=MapStatus.DELIVERED)])
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.layers.problems.hasLayer(CT.stops.get(7))"))
    assert js(view, qtbot, "CT.stops.get(7).getElement().querySelector('.ct-problem').textContent") == "!"
    assert js(view, qtbot, "CT.stops.get(8).options.icon.options.html").count("ct-s-delivered") == 1
    assert js(view, qtbot, "CT.stops.get(9).options.icon.options.html").count("ct-s-planned") == 1
    assert js(view, qtbot, "window.__samePage") == "yes"  # no reload
    assert js(view, qtbot, "CT.markerCount()") == 50

    view.update_stops([{"order_id": 9, "status": "failed"}])  # a partial update keeps everything else
    qtbot.waitUntil(lambda: "ct-s-failed" in js(view, qtbot, "CT.stops.get(9).options.icon.options.html"))
    assert js(view, qtbot, "CT.stops.get(9).ct.customer") == "Customer 9"

    view.update_stops([StopFeature(order_id=7, lat=45.5063, lon=-122.70, status=MapStatus.DELIVERED)])
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.layers.stops.hasLayer(CT.stops.get(7))"))
    assert js(view, qtbot, "CT.layers.problems.getLayers().length") == 0
    assert js(view, qtbot, "CT.stops.get(7).ct.exception") == ""  # the resolved problem's text is gone too


def test_routes_vans_and_depots_are_drawn_with_their_legend(qtbot, open_map):
    view = open_map()
    stops = [StopFeature(order_id=i, lat=45.50 + i * 0.01, lon=-122.70, status=MapStatus.EN_ROUTE, route_id=1,
                         sequence=i, route_color=route_color(0)) for i in (1, 2, 3)]
    view.set_depots([DepotFeature(1, "Shop", 45.49, -122.70)])
    view.set_routes([RouteFeature(1, "Van 1 · Ford Transit", route_color(0), ((45.49, -122.70), (45.51, -122.70), (45.53, -122.70)))])
    view.set_stops(stops)
    seen = (utcnow() - timedelta(minutes=4)).isoformat()
    view.set_vehicles([VehicleFeature(1, "Van 1", 45.515, -122.70, heading=90.0, last_seen=seen, color=route_color(0))])
    view.fit()
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.ct-van-body').length") == 1)
    assert js(view, qtbot, "document.querySelector('.ct-van-arrow').getAttribute('transform')") == "rotate(90)"
    assert js(view, qtbot, "document.querySelectorAll('.ct-depot').length") == 1
    assert js(view, qtbot, "document.querySelectorAll('.ct-routed').length") == 3
    assert js(view, qtbot, "Array.from(document.querySelectorAll('.ct-routed')).map(e => e.textContent).sort().join()") == "1,2,3"
    assert js(view, qtbot, "document.querySelectorAll('path.leaflet-interactive').length") >= 1
    assert "Van 1 · Ford Transit" in js(view, qtbot, "document.querySelector('.ct-legend-body').textContent")
    js(view, qtbot, "CT.vans.get(1).openTooltip(); 0")
    assert "last seen" in js(view, qtbot, "document.querySelector('.leaflet-tooltip').textContent")
    assert "4 min ago" in js(view, qtbot, "document.querySelector('.leaflet-tooltip').textContent")
    # Layer toggles: hiding routes removes the line and leaves the stops.
    js(view, qtbot, "CT.map.removeLayer(CT.layers.routes); 0")
    assert js(view, qtbot, "document.querySelectorAll('path.leaflet-interactive').length") == 0
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-control-layers-overlays label').length") == 7


def test_clicking_a_marker_selects_the_order_and_selecting_orders_highlights_them(qtbot, open_map):
    view = open_map()
    view.set_stops(grid(30))
    js(view, qtbot, "CT.fit(null)")
    with qtbot.waitSignal(view.stopClicked, timeout=5000) as clicked:
        js(view, qtbot, "CT.stops.get(12).fire('click'); 0")
    assert clicked.args == [12]

    view.select_orders([3, 4])
    qtbot.waitUntil(lambda: js(view, qtbot, "Array.from(CT.selected).sort().join()") == "3,4")
    assert js(view, qtbot, "CT.stops.get(3).options.icon.options.html").count("ct-selected") == 1
    assert js(view, qtbot, "CT.stops.get(12).options.icon.options.html").count("ct-selected") == 0
    view.select_orders([25])
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.map.getBounds().contains(CT.stops.get(25).getLatLng())"))


def test_clicks_follow_through_to_the_orders_view_and_back(qtbot, open_map, tmp_path):
    from controltower.demo import generate
    from controltower.maps.features import map_day
    from controltower.services.orders import OrdersService
    from controltower.store import Database
    from controltower.ui.orders import OrdersView

    summary = generate(tmp_path / "demo.db", seed=3, now=datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc),
                       orders_today=60, history_days=1)
    db = Database(summary.path)
    day = map_day(db, db.scalar("SELECT max(plan_date) FROM routes"))
    orders = OrdersView(OrdersService(db))
    qtbot.addWidget(orders)
    view = open_map()
    view.stopClicked.connect(orders.select_order)  # as the main window wires them
    orders.ordersSelected.connect(view.select_orders)
    view.show_day(day)
    target = day.stops[5].order_id
    js(view, qtbot, f"CT.stops.get({target}).fire('click'); 0")
    qtbot.waitUntil(lambda: [orders.model.order_id(i.row()) for i in orders.table.selectionModel().selectedRows()] == [target])
    other = day.stops[9].order_id
    orders.select_order(other)
    qtbot.waitUntil(lambda: js(view, qtbot, "Array.from(CT.selected).join()") == str(other))
    db.close()


def test_dragging_a_stop_moves_it_only_after_the_user_confirms(qtbot, open_map):
    view = open_map()
    view.set_stops(grid(4))
    js(view, qtbot, "CT.fit(null)")
    drag = ("var m = CT.stops.get(2); m.fire('dragstart'); m.setLatLng([45.6, -122.6]); m.fire('dragend'); 0")
    moves = []
    view.stopMoved.connect(lambda *args: moves.append(args))
    js(view, qtbot, drag)
    assert "Move the delivery point for Customer 2 here?" in js(view, qtbot, "document.querySelector('.ct-confirm').textContent")
    js(view, qtbot, "document.querySelector('.ct-undo').click(); 0")
    assert js(view, qtbot, "CT.stops.get(2).getLatLng().lat") == pytest.approx(45.5, abs=0.01)
    assert moves == []

    js(view, qtbot, drag)
    with qtbot.waitSignal(view.stopMoved, timeout=5000) as moved:
        js(view, qtbot, "document.querySelector('.ct-save').click(); 0")
    assert moved.args == [2, pytest.approx(45.6), pytest.approx(-122.6)]


def test_tiles_are_served_from_the_mbtiles_cache_through_the_apps_scheme(qtbot, open_map, tmp_path):
    cache = TileCache(tmp_path / "area.mbtiles")
    magenta = png("#ff00ff")
    for x in range(8):  # the whole world at zoom 3, where the map opens
        for y in range(8):
            cache.put(3, x, y, magenta, utcnow() + timedelta(days=7))
    view = open_map(TileFetcher(cache, None))
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.tilesLoaded") or 0) >= 4, timeout=15_000)
    assert view.scheme_handler.tiles_served >= 4
    assert js(view, qtbot, "document.querySelector('img.leaflet-tile-loaded').src").startswith("ct://tiles/3/")
    assert js(view, qtbot, "document.querySelector('img.leaflet-tile-loaded').naturalWidth") == 256
    qtbot.waitUntil(lambda: view.web.grab().toImage().pixelColor(400, 300) == QColor("#ff00ff"), timeout=10_000)
    assert not js(view, qtbot, "document.querySelector('.ct-badge').classList.contains('ct-visible')")
    cache.close()


class TileServer:
    """A tile server on 127.0.0.1 serving one colour, counting requests."""

    def __init__(self, color: str) -> None:
        body, self.paths, self.agents = png(color), [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.paths.append(self.path)
                outer.agents.append(self.headers.get("User-Agent", ""))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_online_tiles_fill_the_cache_and_the_page_never_touches_the_network(qtbot, open_map, tmp_path):
    server = TileServer("#00ffff")
    cache = TileCache(tmp_path / "cache.mbtiles")
    source = TileSource("Local test tiles", server.base + "/{z}/{x}/{y}.png", "© Test <b>contributors</b>")
    view = open_map(TileFetcher(cache, source))
    qtbot.waitUntil(lambda: cache.stats()[0] >= 4, timeout=15_000)
    assert all(agent.startswith("ControlTower/") for agent in server.agents)
    assert "© Test <b>contributors</b>" in js(view, qtbot, "document.querySelector('.leaflet-control-attribution').textContent")
    # The page itself cannot reach any server, even a reachable one on this machine.
    result = js(view, qtbot, f"""
        window.__probe = 'pending';
        fetch('{server.base}/probe').then(() => window.__probe = 'reached', () => window.__probe = 'blocked');
        0""")
    assert result == 0
    qtbot.waitUntil(lambda: js(view, qtbot, "window.__probe") != "pending")
    assert js(view, qtbot, "window.__probe") == "blocked"
    assert any("Content Security Policy" in error for error in view.page.errors)
    view.page.errors.clear()
    assert not any("probe" in path for path in server.paths)
    server.httpd.shutdown()
    server.httpd.server_close()
    cache.close()


def test_customer_and_carrier_text_is_shown_as_text_and_never_runs(qtbot, open_map):
    view = open_map()
    evil = StopFeature(order_id=1, lat=45.5, lon=-122.7, status=MapStatus.PLANNED, order_ref=SCRIPT, customer=XSS,
                       address="1 <u>Main</u> St", window="09:00–11:00", exception="", route_id=None)
    problem = StopFeature(order_id=2, lat=45.51, lon=-122.69, status=MapStatus.EXCEPTION, order_ref="#2",
                          customer="Bo", exception=XSS)
    view.set_depots([DepotFeature(1, XSS, 45.49, -122.7)])
    view.set_routes([RouteFeature(1, SCRIPT, "red;background:url(x)", ((45.49, -122.7), (45.5, -122.7)))])
    view.set_stops([evil, problem])
    view.set_vehicles([VehicleFeature(1, XSS, 45.495, -122.7, heading=None, last_seen="", color="#fff\" onmouseover=\"x")])
    js(view, qtbot, "CT.fit(null)")
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.stops.get(1).getElement() !== null"))
    js(view, qtbot, "CT.openStop(1); 0")
    popup = js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    assert XSS in popup and SCRIPT in popup and "1 <u>Main</u> St" in popup
    assert js(view, qtbot, "document.querySelector('.leaflet-popup-content img, .leaflet-popup-content script, .leaflet-popup-content u') === null")
    assert js(view, qtbot, "CT.stops.get(1).getElement().title") == XSS
    js(view, qtbot, "CT.openStop(2); 0")
    assert XSS in js(view, qtbot, "document.querySelector('.ct-problem-text').textContent")
    js(view, qtbot, "CT.depots.get(1).openTooltip(); CT.vans.get(1).openTooltip(); CT.routes.get(1).openTooltip(); 0")
    tooltips = js(view, qtbot, "Array.from(document.querySelectorAll('.leaflet-tooltip')).map(t => t.textContent).join('|')")
    assert tooltips.count(XSS) == 2 and SCRIPT in tooltips
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-tooltip img, .leaflet-tooltip script').length") == 0
    assert SCRIPT in js(view, qtbot, "document.querySelector('.ct-legend-body').textContent")
    qtbot.wait(300)  # give any injected handler the chance to fire
    assert js(view, qtbot, "typeof window.__xss") == "undefined"
    assert view.request_guard.blocked == []


def test_the_demo_day_on_the_map_with_no_network(qtbot, open_map, tmp_path):
    """Routes in their colours, statuses, an exception and vans over the built-in background; saved as a PNG."""
    from controltower.demo import generate
    from controltower.maps.features import ROUTE_COLORS, STATUS_COLORS, heading_degrees, map_day
    from controltower.store import Database

    summary = generate(tmp_path / "demo.db", seed=3, now=datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc),
                       orders_today=150, history_days=1)
    db = Database(summary.path)
    day = map_day(db, db.scalar("SELECT max(plan_date) FROM routes"))
    db.close()
    assert any(stop.status is MapStatus.EXCEPTION for stop in day.stops)
    seen = (utcnow() - timedelta(minutes=3)).isoformat()
    vans = []
    for route in day.routes:  # each van part way along its route, heading for its next stop
        here, ahead = route.path[len(route.path) // 3], route.path[len(route.path) // 3 + 1]
        vans.append(VehicleFeature(route.route_id, route.name, *here, heading=heading_degrees(*here, *ahead),
                                   last_seen=seen, color=route.color))
    view = open_map()
    view.resize(1000, 720)
    view.show_day(day)
    view.set_vehicles(vans)
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.ct-van-body').length") == len(vans))
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.backgroundFeatures") or 0) > 100, timeout=10_000)
    qtbot.wait(500)  # let the last frame paint
    image = view.grab().toImage()
    image.save(str(tmp_path / "demo-day-map.png"))
    colors = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert ROUTE_COLORS[0] in colors and ROUTE_COLORS[1] in colors  # route lines
    assert STATUS_COLORS[MapStatus.EXCEPTION] in colors and STATUS_COLORS[MapStatus.DELIVERED] in colors
    assert "#f2efe6" in colors  # the offline background's land
    assert js(view, qtbot, "document.querySelector('.ct-badge').classList.contains('ct-visible')")


def test_keep_the_area_on_screen_for_offline_use(qtbot, open_map, tmp_path):
    from controltower.ui.map import OfflineAreaDialog

    server = TileServer("#00ff00")
    cache = TileCache(tmp_path / "cache.mbtiles")
    fetcher = TileFetcher(cache, TileSource("Shop tiles", server.base + "/{z}/{x}/{y}.png", "© Shop", allows_offline_download=True))
    view = open_map()
    js(view, qtbot, "CT.map.setView([45.52, -122.68], 13); 0")
    areas = []
    view.visible_area(areas.append)
    qtbot.waitUntil(lambda: bool(areas))
    dialog = OfflineAreaDialog(fetcher, areas[0])
    qtbot.addWidget(dialog)
    dialog.min_zoom.setValue(12)
    dialog.max_zoom.setValue(14)
    assert "already saved" in dialog.estimate.text() and "MB to download" in dialog.estimate.text()
    assert dialog.download.isEnabled()
    with qtbot.waitSignal(dialog.finished_download, timeout=30_000) as done:
        dialog.download.click()
    result = done.args[0]
    assert result.fetched > 10 and result.failed == 0 and not result.cancelled
    assert dialog.progress.value() == dialog.progress.maximum() == result.tiles
    assert cache.stats()[0] == result.fetched
    assert f"{result.fetched:,} new tiles" in dialog.notice.text()
    assert not dialog.download.isEnabled()  # nothing left to fetch
    server.httpd.shutdown()
    server.httpd.server_close()


def test_openstreetmap_tiles_cannot_be_kept_for_offline_use(qtbot, tmp_path):
    from controltower.maps.tiles import OPENSTREETMAP, Area
    from controltower.ui.map import OfflineAreaDialog

    dialog = OfflineAreaDialog(TileFetcher(TileCache(tmp_path / "c.mbtiles"), OPENSTREETMAP), Area(45.45, -122.75, 45.6, -122.5))
    qtbot.addWidget(dialog)
    assert not dialog.download.isEnabled()
    assert "do not allow saving areas" in dialog.notice.text()


def test_the_scheme_serves_only_bundled_files(qtbot, open_map):
    view = open_map()
    handler = view.scheme_handler
    assert handler._resolve("/vendor/leaflet/leaflet.js").name == "leaflet.js"
    assert handler._resolve("/basemap/countries-50m.json") is not None
    assert handler._resolve("/vendor/../../../pyproject.toml") is None
    assert handler._resolve("/vendor/../map.js") is None
    assert handler._resolve("/refresh.sh") is None
    status = js(view, qtbot, """window.__fetched = 'pending';
        fetch('ct://app/vendor/..%2F..%2F..%2Fpyproject.toml').then(r => window.__fetched = r.status, () => window.__fetched = 'refused');
        0""")
    assert status == 0
    qtbot.waitUntil(lambda: js(view, qtbot, "window.__fetched") != "pending")
    assert js(view, qtbot, "window.__fetched") in ("refused", 404)


def test_an_unreachable_tile_server_shows_the_offline_badge_over_the_background(qtbot, open_map, tmp_path):
    down = TileSource("Down", "http://127.0.0.1:9/{z}/{x}/{y}.png", "© Down")
    view = open_map(TileFetcher(TileCache(tmp_path / "c.mbtiles"), down))
    view.set_stops(grid(3))
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelector('.ct-badge').classList.contains('ct-visible')"),
                    timeout=15_000)
    assert "cannot be reached" in js(view, qtbot, "document.querySelector('.ct-badge').textContent")
    assert js(view, qtbot, "CT.markerCount()") == 3
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.backgroundFeatures") or 0) > 100, timeout=10_000)


def test_calls_made_before_the_page_is_ready_are_kept_in_order(qtbot):
    view = MapView()
    view.resize(600, 400)
    view.show()
    counts = []
    view.set_stops(grid(5))
    view.update_stops([StopFeature(order_id=6, lat=45.51, lon=-122.69, status=MapStatus.EN_ROUTE)], callback=counts.append)
    assert not view.is_ready
    qtbot.waitUntil(lambda: counts == [6], timeout=30_000)
    assert view.is_ready
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


# -- refreshes keep the user's place ------------------------------------------------------------------------------

def day_of(stops, day: str = "2026-11-25", vehicles=()):
    from controltower.maps.features import MapDay

    return MapDay(day, list(stops), [], [DepotFeature(1, "Shop", 45.499, -122.701)], list(vehicles))


def shown(view: MapView, qtbot, day) -> None:
    """Show a day (or a refresh of it) and wait until the page has applied it."""
    counts = []
    view.show_day(day, callback=counts.append)
    qtbot.waitUntil(lambda: bool(counts), timeout=20_000)


def place(view: MapView, qtbot) -> str:
    """Where the view is once it has stopped moving (centre and zoom): a click's own pan is over."""
    where = "JSON.stringify([CT.map.getCenter().lat, CT.map.getCenter().lng, CT.map.getZoom()])"
    seen = [js(view, qtbot, where)]

    def still() -> bool:
        qtbot.wait(150)
        seen.append(js(view, qtbot, where))
        return seen[-1] == seen[-2]

    qtbot.waitUntil(still, timeout=10_000)
    return seen[-1]


def restatus(stop: StopFeature, status: MapStatus, **changes) -> StopFeature:
    from dataclasses import replace

    return replace(stop, status=status, **changes)


def with_popup_open(open_map, qtbot, stops, order_id: int) -> tuple[MapView, str]:
    """A map of these stops, zoomed in, with the user having opened `order_id`'s popup; and where the view is."""
    view = open_map()
    shown(view, qtbot, day_of(stops))
    js(view, qtbot, f"CT.map.setView([45.503, -122.697], 16, {{animate: false}}); CT.openStop({order_id}); 0")
    qtbot.waitUntil(lambda: js(view, qtbot, f"CT.stops.get({order_id}).isPopupOpen()"))
    return view, place(view, qtbot)


def test_a_refresh_changes_stops_in_place_and_keeps_the_open_popup_selection_and_view(qtbot, open_map):
    stops = grid(50)
    van = VehicleFeature(1_000_001, "Courier", 45.502, -122.698, last_seen=utcnow().isoformat(), color="#6d4c41")
    view = open_map()
    shown(view, qtbot, day_of(stops, vehicles=[van]))
    js(view, qtbot, "CT.map.setView([45.503, -122.697], 16, {animate: false}); 0")
    # The user clicks stop 12 (selects it, opens its popup) and hovers the courier (its tooltip opens).
    with qtbot.waitSignal(view.stopClicked, timeout=5000):
        js(view, qtbot, "CT.stops.get(12).fire('click'); 0")
    js(view, qtbot, "CT.vans.get(1000001).openTooltip(); window.__marker12 = CT.stops.get(12); "
                    "window.__van = CT.vans.get(1000001); 0")
    assert "Planned" in js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    before = place(view, qtbot)

    # Tracking brings news: stop 12 is out for delivery, stop 20 was re-geocoded, the courier drove on.
    refreshed = list(stops)
    refreshed[11] = restatus(stops[11], MapStatus.EN_ROUTE)
    refreshed[19] = restatus(stops[19], MapStatus.PLANNED, lat=45.5041, lon=-122.6952)
    moved_van = VehicleFeature(van.vehicle_id, van.name, 45.5025, -122.6975, heading=45.0, last_seen=van.last_seen, color=van.color)
    changes = view.state.plan(day_of(refreshed, vehicles=[moved_van]))  # as the app does it, in a worker
    assert len(changes.stops.upserts) == 2 and changes.stops.removed == ()
    assert changes.stops.upserts[0] == {"order_id": 12, "status": MapStatus.EN_ROUTE}  # only what changed travels
    shown(view, qtbot, changes)

    assert js(view, qtbot, "CT.stops.get(12) === window.__marker12 && CT.stops.get(12).isPopupOpen()")
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-popup').length") == 1
    popup = js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    assert "En route" in popup and "Planned" not in popup and "Customer 12" in popup
    assert js(view, qtbot, "CT.stops.get(12).options.icon.options.html").count("ct-s-en_route ct-selected") == 1
    assert js(view, qtbot, "JSON.stringify(CT.stops.get(20).getLatLng())") == '{"lat":45.5041,"lng":-122.6952}'
    assert js(view, qtbot, "CT.layers.stops.hasLayer(CT.stops.get(20))")
    assert js(view, qtbot, "CT.vans.get(1000001) === window.__van && CT.vans.get(1000001).isTooltipOpen()")
    assert js(view, qtbot, "JSON.stringify(CT.vans.get(1000001).getLatLng())") == '{"lat":45.5025,"lng":-122.6975}'
    assert place(view, qtbot) == before  # no pan, no zoom
    assert js(view, qtbot, "CT.markerCount()") == 50

    # The demo's couriers report every few seconds: the popup stays through that too.
    view.set_vehicles([VehicleFeature(van.vehicle_id, van.name, 45.503, -122.697, last_seen=van.last_seen, color=van.color)])
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.vans.get(1000001).getLatLng().lat") == 45.503)
    assert js(view, qtbot, "CT.stops.get(12).isPopupOpen() && CT.vans.get(1000001) === window.__van")
    assert place(view, qtbot) == before


def test_the_open_popup_follows_its_stop_when_it_moves_and_turns_into_a_problem(qtbot, open_map):
    stops = grid(50)
    view, before = with_popup_open(open_map, qtbot, stops, 13)
    refreshed = list(stops)
    refreshed[12] = restatus(stops[12], MapStatus.EXCEPTION, lat=stops[12].lat + 0.0004, exception="Customer not home")
    shown(view, qtbot, day_of(refreshed))
    assert js(view, qtbot, "CT.layers.problems.hasLayer(CT.stops.get(13)) && CT.stops.get(13).isPopupOpen()")
    assert "Customer not home" in js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    assert js(view, qtbot, "CT.stops.get(13).getPopup().getLatLng().lat") == pytest.approx(stops[12].lat + 0.0004)
    assert place(view, qtbot) == before
    refreshed[12] = restatus(refreshed[12], MapStatus.EN_ROUTE, lat=stops[12].lat, exception="")  # and back
    shown(view, qtbot, day_of(refreshed))
    assert js(view, qtbot, "CT.layers.stops.hasLayer(CT.stops.get(13)) && CT.stops.get(13).isPopupOpen()")
    assert "Customer not home" not in js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    assert place(view, qtbot) == before


def test_a_stop_no_longer_due_leaves_the_map_and_takes_its_popup_with_it(qtbot, open_map):
    stops = grid(50)
    view, before = with_popup_open(open_map, qtbot, stops, 5)
    shown(view, qtbot, day_of(stops[:4] + stops[5:] + grid(52)[50:]))  # 5 cancelled, 51 and 52 new
    assert js(view, qtbot, "CT.stops.has(5)") is False
    assert js(view, qtbot, "CT.markerCount()") == 51
    assert js(view, qtbot, "CT.stops.get(52).ct.customer") == "Customer 52"
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.leaflet-popup').length") == 0)  # after its fade
    assert place(view, qtbot) == before


def test_hostile_text_arriving_in_an_open_popup_stays_text(qtbot, open_map):
    stops = grid(10)
    view, before = with_popup_open(open_map, qtbot, stops, 3)
    refreshed = list(stops)
    refreshed[2] = restatus(stops[2], MapStatus.EXCEPTION, customer=XSS, order_ref=SCRIPT, address="1 <u>Main</u> St",
                            exception=XSS, window="<b>09:00</b>")
    shown(view, qtbot, day_of(refreshed))
    popup = js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent")
    assert XSS in popup and SCRIPT in popup and "1 <u>Main</u> St" in popup and "<b>09:00</b>" in popup
    assert js(view, qtbot, "document.querySelector('.leaflet-popup-content img, .leaflet-popup-content script, "
                           ".leaflet-popup-content u, .leaflet-popup-content b') === null")
    assert js(view, qtbot, "CT.stops.get(3).getElement().title") == XSS
    assert place(view, qtbot) == before
    qtbot.wait(300)  # give any injected handler the chance to fire
    assert js(view, qtbot, "typeof window.__xss") == "undefined"


def test_another_day_replaces_every_marker_and_fits_the_view_to_it(qtbot, open_map):
    view, before = with_popup_open(open_map, qtbot, grid(30), 7)
    js(view, qtbot, "window.__marker7 = CT.stops.get(7); 0")
    tomorrow = grid(20, lat=45.60, lon=-122.50)
    assert view.state.plan(day_of(tomorrow, day="2026-11-26")).replaces_day
    shown(view, qtbot, day_of(tomorrow, day="2026-11-26"))
    assert js(view, qtbot, "CT.markerCount()") == 20
    assert js(view, qtbot, "CT.stops.get(7) !== window.__marker7")  # new markers, not the old ones changed
    assert js(view, qtbot, "CT.stops.get(7).getLatLng().lat") == pytest.approx(tomorrow[6].lat)
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.leaflet-popup').length") == 0)  # after its fade
    qtbot.waitUntil(lambda: js(view, qtbot, "CT.map.getBounds().contains(CT.stops.get(20).getLatLng())"))
    assert place(view, qtbot) != before  # fitted to the new day


def test_a_refresh_planned_before_a_newer_change_is_planned_again(qtbot, open_map):
    stops = grid(10)
    view = open_map()
    shown(view, qtbot, day_of(stops))
    stale = view.state.plan(day_of(stops))  # a worker read the day: nothing to change
    view.update_stops([{"order_id": 4, "status": "failed"}])  # meanwhile the UI changed stop 4
    assert not view.state.is_current(stale)
    shown(view, qtbot, stale)  # the store still says planned: the page must follow it
    assert "ct-s-planned" in js(view, qtbot, "CT.stops.get(4).options.icon.options.html")


def test_a_refresh_while_the_user_confirms_a_drag_leaves_the_dropped_pin_alone(qtbot, open_map):
    stops = grid(4)
    view = open_map()
    shown(view, qtbot, day_of(stops))
    js(view, qtbot, "var m = CT.stops.get(2); m.fire('dragstart'); m.setLatLng([45.6, -122.6]); m.fire('dragend'); 0")
    refreshed = list(stops)
    refreshed[1] = restatus(stops[1], MapStatus.EN_ROUTE)  # tracking news for the very stop being moved
    shown(view, qtbot, day_of(refreshed))
    assert js(view, qtbot, "CT.stops.get(2).getLatLng().lat") == pytest.approx(45.6)
    assert "Move the delivery point" in js(view, qtbot, "document.querySelector('.ct-confirm').textContent")
    assert "ct-s-en_route" in js(view, qtbot, "CT.stops.get(2).options.icon.options.html")
    js(view, qtbot, "document.querySelector('.ct-undo').click(); 0")
    assert js(view, qtbot, "CT.stops.get(2).getLatLng().lat") == pytest.approx(stops[1].lat)


def test_in_the_main_window_a_store_change_refreshes_the_map_under_an_open_popup(qtbot, tmp_path):
    """The wiring end to end: the hub's orders.changed, the worker's plan, the page's in-place change."""
    from controltower.demo import generate
    from controltower.store import Database
    from controltower.ui.context import AppContext
    from controltower.ui.main_window import MainWindow

    summary = generate(tmp_path / "demo.db", seed=3, orders_today=60, history_days=1)
    db = Database(summary.path)
    context = AppContext(db=db, offline=True)
    main = MainWindow(context)
    main.resize(1200, 800)
    main.show()
    view = main.areas.map
    qtbot.waitUntil(lambda: view.is_ready and len(view.state.shown.stops) > 0, timeout=30_000)
    on_map = view.state.shown.stops
    planned = next(i for i, stop in on_map.items() if stop.status is MapStatus.PLANNED)
    other = next(i for i in on_map if i != planned)
    qtbot.waitUntil(lambda: js(view, qtbot, f"CT.stops.has({planned}) && CT.stops.has({other})"))
    js(view, qtbot, f"CT.map.setView(CT.stops.get({planned}).getLatLng(), 17, {{animate: false}}); "
                    f"CT.stops.get({planned}).fire('click'); 0")  # as a click: selects the order and opens the popup
    qtbot.waitUntil(lambda: js(view, qtbot, f"CT.stops.get({planned}).isPopupOpen()"))
    before = place(view, qtbot)  # after the click's own pans
    js(view, qtbot, f"window.__marker = CT.stops.get({planned}); 0")

    with db.transaction() as conn:  # the van reports it delivered; another address is corrected
        conn.execute("UPDATE orders SET status = 'delivered' WHERE id = ?", (planned,))
        conn.execute("UPDATE orders SET lat = lat + 0.002 WHERE id = ?", (other,))
    moved_to = db.scalar("SELECT lat FROM orders WHERE id = ?", (other,))
    context.hub.publish("orders.changed", ids=[planned, other])

    qtbot.waitUntil(lambda: "Delivered" in js(view, qtbot, "document.querySelector('.leaflet-popup-content').textContent"),
                    timeout=20_000)
    assert js(view, qtbot, f"CT.stops.get({planned}) === window.__marker && window.__marker.isPopupOpen()")
    assert "ct-selected" in js(view, qtbot, f"CT.stops.get({planned}).options.icon.options.html")
    qtbot.waitUntil(lambda: js(view, qtbot, f"CT.stops.get({other}).getLatLng().lat") == moved_to)
    assert place(view, qtbot) == before
    assert view.page.errors == []
    main.close()
    main.deleteLater()  # now, so the page goes before its profile
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    db.close()


def test_the_page_allows_no_inline_script_or_style_and_the_map_still_draws(qtbot, open_map):
    view = open_map()
    policy = js(view, qtbot, "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert "unsafe-inline" not in policy and "'sha256-" in policy and "default-src 'none'" in policy
    # The map draws under it: folium's bootstrap (allowed by its hash), route rings and cluster sizes set through the DOM.
    stops = [StopFeature(order_id=i, lat=45.50 + i * 0.01, lon=-122.70, status=MapStatus.EN_ROUTE, route_id=1,
                         sequence=i, route_color="#e6194b") for i in (1, 2)]
    view.set_stops(stops + grid(40, lat=47.0))
    js(view, qtbot, "CT.map.setView([45.515, -122.70], 12); 0")
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.ct-routed').length") == 2)
    assert js(view, qtbot, "getComputedStyle(document.querySelector('.ct-routed')).borderTopColor") == "rgb(230, 25, 75)"
    js(view, qtbot, "CT.map.setView([47.0, -122.7], 8); 0")
    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelectorAll('.ct-cluster').length") >= 1)
    assert js(view, qtbot, "document.querySelector('.ct-cluster').style.width") in ("30px", "36px", "42px", "50px")
    assert view.page.errors == []  # nothing the page itself does is refused
    # Markup that got in anyway can neither run a script nor style itself.
    js(view, qtbot, "var s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.head.appendChild(s);"
                    "document.body.insertAdjacentHTML('beforeend', '<div id=\"ct-probe\" style=\"width: 123px\"></div>'"
                    " + '<style>#ct-probe { height: 77px }</style>'); 0")
    qtbot.wait(200)
    assert js(view, qtbot, "typeof window.__inline") == "undefined"
    assert js(view, qtbot, "getComputedStyle(document.getElementById('ct-probe')).width") != "123px"
    assert js(view, qtbot, "getComputedStyle(document.getElementById('ct-probe')).height") != "77px"
    assert any("Content Security Policy" in error for error in view.page.errors)
    view.page.errors.clear()  # those refusals were the point
