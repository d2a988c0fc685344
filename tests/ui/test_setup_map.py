"""The setup pages' small map: the shop's pin is dragged to correct the address, and the zones are drawn as shapes."""
from __future__ import annotations

import json

import pytest

from controltower.services.core import ControlTower, Options
from controltower.services.setup import Zone
from controltower.ui.setup import SettingsWindow
from controltower.ui.setup.pages import ShopPage, ZonesPage


@pytest.fixture
def core(store, tmp_path):
    return ControlTower(store, options=Options(offline=True), data_dir=tmp_path / "data")


def page_value(qtbot, place, script: str):
    """What the small map's page says `script` is, once it is up."""
    qtbot.waitUntil(lambda: place.is_ready, timeout=20_000)
    answers = []
    place.run(script, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=5_000)
    return answers[0]


def pin_on_page(qtbot, place):
    found = page_value(qtbot, place, "SM.pin()")
    return None if not found else tuple(json.loads(found))


def drag_pin(qtbot, place, lat: float, lon: float) -> None:
    """What a user's drag does: the marker is moved, then Leaflet fires its dragend."""
    page_value(qtbot, place, "(function () { var pin = null; SM.map.eachLayer(function (layer) {"
                             " if (layer instanceof L.Marker) pin = layer; });"
                             f" pin.setLatLng([{lat}, {lon}]); pin.fire('dragend'); return true; }})()")


def shop_with_zones(core, zones) -> None:
    from dataclasses import replace

    core.setup.save_shop(replace(core.setup.shop(), name="Rose City Plants", postcode="97214", country="US",
                                 lat=45.5122, lon=-122.6413, timezone="America/Los_Angeles", phone="(503) 555-0199"))
    core.setup.save_zones(zones)


def test_dragging_the_pin_fills_the_latitude_and_longitude_and_is_saved_with_the_shop(qtbot, core):
    shop_with_zones(core, [Zone("Near", radius_km=5.0)])
    page = ShopPage(core)
    qtbot.addWidget(page)
    page.show()
    assert pin_on_page(qtbot, page.place) == pytest.approx((45.5122, -122.6413), abs=1e-6)

    with qtbot.waitSignal(page.place.pinMoved, timeout=5_000):
        drag_pin(qtbot, page.place, 45.5201, -122.6502)
    assert (page.lat.value(), page.lon.value()) == pytest.approx((45.5201, -122.6502), abs=1e-5)
    assert "Moved to 45.52010, -122.65020" in page.pin.text()
    assert page.commit() is True
    saved = core.setup.shop()
    assert (saved.lat, saved.lon) == pytest.approx((45.5201, -122.6502), abs=1e-5)


def test_find_and_typed_numbers_move_the_pin(qtbot, core):
    page = ShopPage(core)
    qtbot.addWidget(page)
    page.show()
    assert pin_on_page(qtbot, page.place) is None  # nothing placed yet: no pin in the Atlantic
    page.postcode.setText("97214")
    page.country.setText("US")
    with qtbot.waitSignal(page.located, timeout=20_000) as found:
        page.find_button.click()
    assert found.args == [True]
    qtbot.waitUntil(lambda: pin_on_page(qtbot, page.place) == pytest.approx((page.lat.value(), page.lon.value()),
                                                                           abs=1e-6), timeout=5_000)
    assert abs(page.lat.value() - 45.51) < 0.1
    page.lat.setValue(45.6)
    page.lon.setValue(-122.5)
    assert pin_on_page(qtbot, page.place) == pytest.approx((45.6, -122.5), abs=1e-6)


def shapes(qtbot, place) -> list[dict]:
    return json.loads(page_value(qtbot, place, "SM.shapesJson()"))


def test_the_zones_page_draws_each_zone_as_typed_and_names_stay_text(qtbot, core):
    shop_with_zones(core, [Zone("Near", radius_km=5.0), Zone("Hawthorne", postcodes=("97214",))])
    page = ZonesPage(core)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.previewed, timeout=20_000):
        page.show()
    drawn = shapes(qtbot, page.place)
    assert [(s["kind"], s["name"]) for s in drawn] == [("circle", "Near"), ("postcode", "Hawthorne")]
    assert drawn[0]["radius_m"] == pytest.approx(5_000)
    assert (drawn[1]["lat"], drawn[1]["lon"]) == pytest.approx((45.5142, -122.6364), abs=0.01)
    dragging = "(function () { var d = null; SM.map.eachLayer(function (layer) {" \
               " if (layer instanceof L.Marker) d = layer.dragging.enabled(); }); return d; })()"
    assert page_value(qtbot, page.place, dragging) is False  # the shop is moved on its own page, where it is saved

    with qtbot.waitSignal(page.previewed, timeout=20_000):  # edited: the map follows
        page.table.item(0, 1).setText("12.5")
    with qtbot.waitSignal(page.previewed, timeout=20_000):
        row = page.add_zone()
        page.table.item(row, 0).setText('<img src=x onerror="document.title=\'owned\'"><script>x</script>')
        page.table.item(row, 1).setText("3")
    drawn = shapes(qtbot, page.place)
    assert [s["radius_m"] for s in drawn if s["kind"] == "circle"] == pytest.approx([12_500, 3_000])
    # A tooltip is put on the page when shown: show the new zone's, then read what the user sees.
    page_value(qtbot, page.place, "(function () { var n = 0; SM.map.eachLayer(function (layer) {"
                                  " if (layer instanceof L.Circle && layer.getRadius() === 3000) { layer.openTooltip(); n++; } });"
                                  " return n; })()")
    labels = json.loads(page_value(qtbot, page.place, "JSON.stringify(Array.prototype.map.call("
                                   "document.querySelectorAll('.zone-label'), function (n) { return n.textContent; }))"))
    assert any("<script>x</script>" in label for label in labels)
    assert page_value(qtbot, page.place, "document.querySelectorAll('#map script, #map img[src=x]').length") == 0
    assert page_value(qtbot, page.place, "document.title") != "owned"


def test_the_settings_window_shows_the_map_on_its_shop_page(qtbot, core):
    shop_with_zones(core, [Zone("Near", radius_km=8.0)])
    settings = SettingsWindow(core, page="shop")
    qtbot.addWidget(settings)
    settings.show()
    shop = settings.pages["shop"]
    drawn = shapes(qtbot, shop.place)
    assert drawn == [{"kind": "circle", "name": "Near", "radius_m": pytest.approx(8_000)}]


def test_with_an_area_package_the_pin_sits_on_the_areas_own_streets_offline(qtbot, tmp_path):
    from pathlib import Path

    from controltower.area.build import build_area
    from controltower.store import Database

    helsinki = Path(__file__).resolve().parents[2] / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"
    data_dir = tmp_path / "data"
    build_area(helsinki, data_dir / "areas" / "helsinki", parts=("basemap",))
    db = Database(data_dir / "store.db")
    db.set_setting("area.package", "helsinki")
    core = ControlTower(db, options=Options(offline=True), data_dir=data_dir)
    page = ShopPage(core)
    qtbot.addWidget(page)
    page.resize(800, 700)
    page.show()
    page.lat.setValue(60.1699)
    page.lon.setValue(24.9384)
    qtbot.waitUntil(lambda: page.place.scheme_handler.area_tiles_served >= 4, timeout=20_000)
    assert pin_on_page(qtbot, page.place) == pytest.approx((60.1699, 24.9384), abs=1e-6)
    assert page.place.request_guard.blocked == []  # nothing went to the network
    assert page.place.page.errors == []
    page.close()
    db.close()
