"""Map > Streets for offline use…: the shop builds its area from an extract, sees each stage, can cancel, and then
sees what the package holds and its attribution; the map shows the new streets at once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from controltower.ui.map import register_schemes

register_schemes()  # before pytest-qt makes the QApplication

from controltower.store import Database  # noqa: E402
from controltower.ui.context import AppContext  # noqa: E402
from controltower.ui.main_window import MainWindow  # noqa: E402
from controltower.ui.map.area_dialog import AreaDialog, package_summary  # noqa: E402
from tests.file_server import serving  # noqa: E402

pytestmark = pytest.mark.wall_clock  # the build runs in a child process, on the real clock


def js(view, qtbot, script: str):
    box = {}
    view.page.runJavaScript(script, 0, lambda value: box.setdefault("value", value))
    qtbot.waitUntil(lambda: "value" in box, timeout=10_000)
    return box["value"]


@pytest.fixture
def window(qtbot, tmp_path):
    db = Database(tmp_path / "store.db")
    main = MainWindow(AppContext(db=db, offline=True, data_dir=tmp_path))
    main.resize(1400, 900)
    with qtbot.waitSignal(main.areas.mapLoaded, timeout=30_000):
        main.show()
    yield main
    area = main.context.core.area
    area.cancel()
    qtbot.waitUntil(lambda: not area.building, timeout=20_000)
    qtbot.wait(300)  # the build's watcher has said its last word
    main.close()
    main.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(200)
    db.close()


def open_area_dialog(window, qtbot) -> AreaDialog:
    menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Map")
    next(action for action in menu.actions() if action.text() == "&Streets for offline use…").trigger()
    dialog = window.areas.map_actions.area_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_building_the_shipped_extract_shows_each_stage_then_the_package_and_the_map(qtbot, window):
    dialog = open_area_dialog(window, qtbot)
    assert "Helsinki" in dialog.use_shipped.text() and "0.7 MB" in dialog.use_shipped.text()
    assert dialog.use_shipped.isChecked() and dialog.build_button.isEnabled()
    stages = []
    dialog._relay.progress.connect(lambda stage, done, total: stages.append(dialog.stage.text()))

    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled() and not dialog.build_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.stage.text().startswith("Done"), timeout=180_000)

    assert any(text.startswith("Drawing the map…") and " of " in text for text in stages)  # a stage with its count
    assert len({text.split("…")[0] for text in stages}) >= 3  # checking the file, then each part's own stages
    summary = dialog.current.text()
    assert "Helsinki.osm.pbf (0.7 MB)" in summary and "a street map of 137 tiles" in summary
    assert "addresses" in summary
    assert "OpenStreetMap contributors" in dialog.attribution.text() and "ODbL" in dialog.attribution.text()
    assert not dialog.cancel_button.isEnabled() and not dialog.progress.isVisible()
    view = window.areas.map  # and the map has the new streets, with no network
    qtbot.waitUntil(lambda: (js(view, qtbot, "CT.areaTilesLoaded") or 0) > 0, timeout=20_000)
    assert view.request_guard.blocked == []
    dialog.reject()


def test_a_build_can_be_cancelled_and_nothing_changes(qtbot, window):
    dialog = open_area_dialog(window, qtbot)
    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "cancelled" in dialog.stage.text(), timeout=30_000)
    assert window.context.core.area.current() is None
    assert "No area yet" in dialog.current.text()
    assert dialog.build_button.isEnabled()
    dialog.reject()


def test_a_file_that_is_not_an_extract_is_refused_in_words(qtbot, window, tmp_path):
    dialog = open_area_dialog(window, qtbot)
    broken = tmp_path / "<img src=x onerror=alert(1)>streets.osm.pbf"
    broken.write_text("name,street\nA,B\n")
    dialog.file_chosen(str(broken))
    assert dialog.use_file.isChecked()
    assert dialog.file_label.text() == "<img src=x onerror=alert(1)>streets.osm.pbf (0.0 MB)"  # the name as typed, never markup
    assert dialog.file_label.textFormat() == Qt.TextFormat.PlainText

    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    assert "not an OpenStreetMap extract" in dialog.message.text()
    assert not dialog.progress.isVisible() and window.context.core.area.current() is None
    dialog.reject()


def test_the_summary_says_what_each_part_reported():
    from datetime import datetime, timezone

    from controltower.services.area import AreaPackage

    package = AreaPackage(Path("/nowhere/helsinki"), "Helsinki", "Helsinki.osm.pbf", 685_110,
                          (24.93, 60.16, 24.95, 60.18), datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc),
                          parts={"addresses": {"addresses": 585}, "roads": {"road_km": 61.25},
                                 "basemap": {"tiles": 137, "bytes": 1_254_654, "min_zoom": 11, "max_zoom": 17}})
    assert package_summary(package) == (
        "Helsinki: built 2026-12-06 08:00 from Helsinki.osm.pbf (0.7 MB). It holds 585 addresses, 61.2 km of roads, "
        "a street map of 137 tiles (1.3 MB, zoom 11–17).")


@pytest.fixture
def extract_service(tmp_path):
    """An extract service of the test's own, on 127.0.0.1, offering the Helsinki extract."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf",
                root / "helsinki-latest.osm.pbf")
    with serving(root) as base:
        yield f"{base}/helsinki-latest.osm.pbf"


def test_an_extract_downloaded_from_a_service_shows_its_size_then_builds(qtbot, tmp_path, extract_service):
    from controltower.services.core import ControlTower

    db = Database(tmp_path / "store.db")
    core = ControlTower(db, data_dir=tmp_path)  # online: the download is offered
    dialog = AreaDialog(core.area, core.hub, extracts=core.extracts)
    dialog.show()
    qtbot.keyClicks(dialog.download.url, extract_service)
    assert dialog.download.choice.isChecked() and dialog.build_button.isEnabled()

    qtbot.mouseClick(dialog.download.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "MB" in dialog.download.size_label.text(), timeout=10_000)
    assert dialog.download.size_label.text() == "helsinki-latest.osm.pbf: 0.7 MB"
    downloads = []
    dialog.download.progress.connect(lambda done, total: downloads.append(dialog.stage.text()))
    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stage.text().startswith("Done"), timeout=180_000)

    assert downloads[-1] == "Downloading the extract… 0.7 of 0.7 MB"
    assert "helsinki-latest.osm.pbf (0.7 MB)" in dialog.current.text()
    assert (tmp_path / "areas" / "downloads" / "helsinki-latest.osm.pbf").is_file()
    dialog.close()
    core.close()


def test_offline_nothing_is_downloaded(qtbot, window):
    dialog = open_area_dialog(window, qtbot)

    assert not dialog.download.choice.isEnabled() and not dialog.download.url.isEnabled()
    assert "offline" in dialog.download.size_label.text()
    dialog.reject()
