"""A screenshot of the map at street level, offline, on a store whose area package is the shipped Helsinki extract.

Until the demo itself moves to Helsinki, this makes such a store in a temporary folder: the shop's zone, the area
package built from resources/areas/helsinki/Helsinki.osm.pbf (as Map > Streets for offline use… would), and a
dozen of today's deliveries at real address points of the extract; then it opens the main window with --offline's
wiring, leaves the map the room, waits for the area's tiles and saves the window as a PNG. Run it with no network
at all, in a network namespace that has only loopback:

    unshare -n -- sh -c 'ip link set lo up; .venv/bin/python tools/area_screenshot.py docs/screenshots/map-offline-helsinki.png'
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HELSINKI = ROOT / "resources" / "areas" / "helsinki" / "Helsinki.osm.pbf"
CUSTOMERS = ["Aino Virtanen", "Eero Korhonen", "Helmi Mäkinen", "Onni Nieminen", "Sofia Lindqvist", "Väinö Laine",
             "Ella Heikkinen", "Leo Koskinen", "Venla Järvinen", "Elias Lehtonen", "Aada Saarinen", "Oliver Salo"]


def make_store(folder: Path, deliveries: int = 12, seed: int = 4) -> Path:
    """A store in `folder` whose shop is in Helsinki, uses the Helsinki area package and has today's deliveries."""
    from controltower.area.addresses import AddressIndex
    from controltower.area.build import build_area
    from controltower.domain.models import Address, DeliveryOption, GeoPoint, GeoPrecision, Order
    from controltower.domain.timeutil import TimeWindow
    from controltower.store import Database
    from controltower.store.orders import upsert_orders

    package = build_area(HELSINKI, folder / "areas" / "helsinki")
    db = Database(folder / "store.db")
    db.set_setting("shop.name", "Kukka & Koti")
    db.set_setting("shop.timezone", "Europe/Helsinki")
    db.set_setting("area.package", package.slug)
    zone = ZoneInfo("Europe/Helsinki")
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    index = AddressIndex.open(package.part_path("addresses"))
    chosen = random.Random(seed).sample(index.points(), deliveries)
    index.close()
    orders = []
    for number, (point, customer) in enumerate(zip(chosen, CUSTOMERS), start=1):
        start = today + timedelta(hours=9 + number % 8)
        orders.append(Order(
            order_ref=f"KK-{1040 + number}", customer_name=customer,
            address=Address(f"{point.street} {point.housenumber}", point.city or "Helsinki", point.postcode, "FI"),
            delivery_option=DeliveryOption.SAME_DAY, created_at=today - timedelta(hours=12),
            location=GeoPoint(point.lat, point.lon, GeoPrecision.ROOFTOP, 1.0),
            promised_window=TimeWindow(start, start + timedelta(hours=2))))
    with db.transaction() as conn:
        upsert_orders(conn, orders)
    db.close()
    return folder / "store.db"


def shoot(store: Path, out: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from controltower.app import prepare_qt_environment

    prepare_qt_environment(headless=True)
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from controltower.store import Database
    from controltower.ui.context import AppContext
    from controltower.ui.main_window import MainWindow
    from controltower.ui.schemes import register_schemes

    register_schemes()
    QCoreApplication.setOrganizationName("ControlTowerScreenshots")  # never the user's saved window layout
    app = QApplication(sys.argv[:1])
    db = Database(store)
    window = MainWindow(AppContext(db=db, offline=True, data_dir=store.parent))
    window.resize(1400, 900)
    window.docks["kpis"].hide()
    window.docks["work"].hide()
    window.resizeDocks([window.docks["exceptions"]], [360], Qt.Orientation.Horizontal)  # the map gets the room
    window.show()
    view = window.areas.map
    result = {"code": 1}

    def tiles_loaded(count) -> None:
        if (count or 0) < 6:
            QTimer.singleShot(300, wait_for_tiles)
            return
        QTimer.singleShot(800, save)

    def wait_for_tiles() -> None:
        view.run("CT.areaTilesLoaded || 0", tiles_loaded)

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        saved = window.grab().save(str(out), "PNG")
        served = view.scheme_handler.area_tiles_served
        blocked = view.request_guard.blocked
        print(f"{out}: area tiles served {served}, requests blocked {len(blocked)}", file=sys.stderr)
        result["code"] = 0 if saved and served else 1
        window.close()
        app.quit()

    def ready(_ok: bool) -> None:
        view.run("CT.map.setView([60.1683, 24.9440], 16, {animate: false}); 0")  # the Esplanadi and Kluuvi
        QTimer.singleShot(500, wait_for_tiles)

    window.when_ready(ready)
    QTimer.singleShot(120_000, app.quit)
    app.exec()
    db.close()
    return result["code"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ct-area-shot-") as folder:
        store = make_store(Path(folder))
        return shoot(store, args.out.resolve())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
