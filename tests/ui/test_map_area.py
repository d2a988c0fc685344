"""The shop's area on the map, offline: its own street map served by the app, its attribution, the Map menu, and
the dialog that builds it; the status bar says offline when the app was started with --offline."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from controltower.ui.map import MapView, register_schemes

register_schemes()  # before pytest-qt makes the QApplication

from controltower.area.build import build_area  # noqa: E402
from controltower.maps.tiles import open_packaged_basemap  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.ui.context import AppContext  # noqa: E402
from controltower.ui.main_window import MainWindow  # noqa: E402

HELSINKI = Path(__file__).resolve().parents[2] / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"
LAND = (242, 239, 233)  # the street map's land colour (controltower.area.basemap.LAND)
WHITE_STREET = (255, 255, 255)


def js(view: MapView, qtbot, script: str):
    box = {}
    view.page.runJavaScript(script, 0, lambda value: box.setdefault("value", value))
    qtbot.waitUntil(lambda: "value" in box, timeout=10_000)
    return box["value"]


@pytest.fixture(scope="module")
def built_area(tmp_path_factory) -> Path:
    """The Helsinki package with its street map, built once for the module (about 3 s)."""
    data_dir = tmp_path_factory.mktemp("data")
    build_area(HELSINKI, data_dir / "areas" / "helsinki", parts=("basemap",))
    return data_dir


@pytest.fixture
def store_with_area(built_area, tmp_path):
    """A fresh store's data folder whose shop uses the Helsinki package."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_area / "areas", data_dir / "areas")
    db = Database(data_dir / "store.db")
    db.set_setting("area.package", "helsinki")
    db.close()
    return data_dir


@pytest.fixture
def open_window(qtbot):
    """The main window over the store in a data folder, offline unless told; it and its store close after the test."""
    opened = []

    def open_(data_dir, offline=True) -> MainWindow:
        db = Database(data_dir / "store.db")
        window = MainWindow(AppContext(db=db, offline=offline, data_dir=data_dir))
        opened.append((window, db))
        window.resize(1400, 900)
        with qtbot.waitSignal(window.areas.mapLoaded, timeout=30_000):  # the first read of the day is over
            window.show()
        return window

    yield open_
    for window, _db in opened:
        assert window.areas.map.page.errors == []
        window.close()
        window.deleteLater()  # now, so each page goes before its profile
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(200)  # workers still reading (placing orders, exception checks) finish before the store closes
    for _window, db in opened:
        db.close()


def test_offline_the_map_shows_the_areas_streets_from_the_package(qtbot, store_with_area, open_window):
    window = open_window(store_with_area)
    view = window.areas.map

    # the window's "map loaded" (what --screenshot waits for) came after the streets on screen arrived
    assert (js(view, qtbot, "CT.areaTilesLoaded") or 0) >= 4 and js(view, qtbot, "CT.tilesSettled()")
    assert view.scheme_handler.area_tiles_served >= 4
    assert view.request_guard.blocked == []  # nothing went to the network
    # an empty store opens on its area, at street level
    centre = js(view, qtbot, "JSON.stringify([CT.map.getCenter().lat, CT.map.getCenter().lng, CT.map.getZoom()])")
    lat, lon, zoom = (float(part) for part in centre.strip("[]").split(","))
    assert 60.164 < lat < 60.180 and 24.935 < lon < 24.954 and zoom >= 15
    attribution = js(view, qtbot, "document.querySelector('.leaflet-control-attribution').textContent")
    assert "© OpenStreetMap contributors" in attribution and "ODbL" in attribution
    badge = js(view, qtbot, "document.querySelector('.ct-badge').textContent")
    assert "Offline" in badge and "streets from your area file" in badge
    qtbot.wait(300)
    image = window.areas.map.grab().toImage()
    colours = {image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}

    def shown(colour) -> bool:  # tiles are 256-colour PNGs: a colour may come back a step or two off
        return any(max(abs(a - b) for a, b in zip(colour, seen)) <= 4 for seen in colours)

    assert shown(LAND) and shown(WHITE_STREET)  # the drawn land and white streets, not a blank background


def test_offline_without_an_area_the_map_says_there_is_no_street_map(qtbot, tmp_path, open_window):
    window = open_window(tmp_path)
    view = window.areas.map
    js(view, qtbot, "CT.map.setView([60.17, 24.94], 15); 0")  # tiles are asked for, and none can come

    qtbot.waitUntil(lambda: js(view, qtbot, "document.querySelector('.ct-badge').classList.contains('ct-visible')"),
                    timeout=10_000)
    badge = js(view, qtbot, "document.querySelector('.ct-badge').textContent")
    assert "no street map saved for this area" in badge and "Map > Streets for offline use" in badge
    assert js(view, qtbot, "CT.layers.area === undefined || CT.layers.area === null")


def test_with_offline_the_status_bar_says_offline(qtbot, tmp_path, open_window):
    window = open_window(tmp_path, offline=True)

    status = window.areas.sync_status
    assert status.text().startswith("Offline")
    assert "Online" not in status.text()
    window.context.hub.publish("sync.state", online=True, last_sync=None, queue=0, errors=[])  # nothing says otherwise
    qtbot.wait(50)
    assert status.text().startswith("Offline")

    from controltower.kernel.events import EventHub
    from controltower.ui.sync_status import SyncStatusWidget

    assert SyncStatusWidget(EventHub()).text().startswith("Online")  # started without --offline


def test_the_area_and_the_saved_tiles_dialogs_are_in_the_map_menu(qtbot, tmp_path, open_window):
    from controltower.ui.map.area_dialog import AreaDialog
    from controltower.ui.map.offline import OfflineAreaDialog

    window = open_window(tmp_path)
    menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Map")
    actions = {action.text(): action for action in menu.actions()}

    actions["&Keep this area's tiles for offline use…"].trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, OfflineAreaDialog) and w.isVisible() for w in window.findChildren(OfflineAreaDialog)))
    actions["&Streets for offline use…"].trigger()
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(AreaDialog)))
    dialog = window.areas.map_actions.area_dialog
    assert "No area yet" in dialog.current.text()
    for child in window.findChildren(OfflineAreaDialog) + window.findChildren(AreaDialog):
        child.reject()


def test_a_hostile_attribution_is_shown_as_text(qtbot, built_area):
    """The package's attribution (and a name in it) never becomes markup on the page."""
    basemap = open_packaged_basemap(built_area / "areas" / "helsinki" / "basemap.mbtiles",
                                    name="<b>Helsinki</b>", attribution='<img src=x onerror="window.__xss = 1">© OSM',
                                    version="1")
    view = MapView(None, area=basemap)
    view.resize(700, 500)
    view.show()
    with qtbot.waitSignal(view.ready, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.areaTilesLoaded") or 0) > 0, timeout=20_000)
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-control-attribution img').length") == 0
    assert '<img src=x onerror="window.__xss = 1">© OSM' in js(
        view, qtbot, "document.querySelector('.leaflet-control-attribution').textContent")
    assert js(view, qtbot, "window.__xss === undefined")
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
