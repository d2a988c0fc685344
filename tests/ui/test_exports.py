"""File > Export through qtbot: pick a file, the export runs in a worker, a message says how many rows went where."""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from controltower.control.kpis import KpiService
from controltower.domain import Address, DeliveryOption, Money, Order, OrderLine
from controltower.services.exports import ExportService
from controltower.store.orders import upsert_orders
from controltower.ui.context import AppContext
from controltower.ui.exports import ExportActions
from controltower.ui.kpis import KpiPanel
from controltower.ui.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.domain import ShipmentStatus as S  # noqa: E402


@pytest.fixture
def shop(store):
    now = datetime.now(timezone.utc)
    names = ["Ann Lee", "Bo Park", '=HYPERLINK("http://evil.example","x")']
    with store.transaction() as conn:
        upsert_orders(conn, [Order(f"E-{i}", name, Address("1 Main St", "Portland", "97214", "US"), DeliveryOption.STANDARD,
                                   now - timedelta(minutes=i), value=Money(1250), lines=(OrderLine("S", "Soap", 1),))
                             for i, name in enumerate(names)])
    return store


def choose_file(monkeypatch, path: Path) -> None:
    """The save dialog answers with `path`, as if the user had typed it."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *args, **kw: (str(path), "")))


def export_menu_action(window: QMainWindow, text: str):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    export_menu = next(a.menu() for a in file_menu.actions() if a.text() == "&Export")
    assert [a.text() for a in export_menu.actions()] == ["&Orders…", "&Shipments…", "&Routes…", "&Exceptions…", "&KPIs…"]
    return next(a for a in export_menu.actions() if a.text() == text)


def test_file_export_orders_writes_the_workbook_and_says_so(qtbot, monkeypatch, shop, tmp_path):
    window = MainWindow(AppContext(db=shop, offline=True))
    qtbot.addWidget(window)
    window.show()
    exports = window.areas.exports
    out = tmp_path / "orders.xlsx"
    choose_file(monkeypatch, out)
    with qtbot.waitSignal(exports.finished, timeout=20_000) as result:
        export_menu_action(window, "&Orders…").trigger()
        assert "Exporting orders" in window.statusBar().currentMessage()  # busy shown while the worker writes
    assert result.args[0] == f"3 orders written to {out}."
    assert exports.message.isVisible() and exports.message.text() == result.args[0]
    assert exports.message.icon() == QMessageBox.Icon.Information
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert sorted(r[header.index("Order")] for r in rows) == ["E-0", "E-1", "E-2"]
    customers = [row[header.index("Customer")] for row in sheet.iter_rows(min_row=2)]
    evil = next(c for c in customers if c.value == '=HYPERLINK("http://evil.example","x")')
    assert evil.data_type == "s"  # typed text in the workbook: shown as written, never a formula
    assert {r[header.index("Value")] for r in rows} == {12.5}
    exports.message.close()
    window.close()


@pytest.fixture
def host(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_file_that_cannot_be_written_gives_a_plain_warning(qtbot, monkeypatch, shop, host, tmp_path):
    exports = ExportActions(host, ExportService(shop))
    choose_file(monkeypatch, tmp_path / "no such folder" / "orders.csv")
    with qtbot.waitSignal(exports.failed, timeout=20_000) as result:
        exports.export("orders")
    assert result.args[0].startswith("Orders could not be exported. Can't write")
    assert "Traceback" not in exports.message.text() and exports.message.icon() == QMessageBox.Icon.Warning
    assert host.statusBar().currentMessage() == ""  # the busy note and bar are gone
    exports.message.close()


def test_a_name_without_extension_takes_the_chosen_filters(qtbot, monkeypatch, shop, host, tmp_path):
    exports = ExportActions(host, ExportService(shop))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "week"), "CSV, comma-separated (*.csv)")))
    with qtbot.waitSignal(exports.finished, timeout=20_000):
        exports.export("orders")
    with open(tmp_path / "week.csv", encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    exports.message.close()


def test_kpis_are_exported_for_the_period_the_panel_shows(qtbot, monkeypatch, store, host, tmp_path):
    f = Facts(store)
    delivered = datetime.now(timezone.utc) - timedelta(days=10)
    order = f.order(created_at=delivered - timedelta(hours=30), promised_end=delivered + timedelta(hours=1))
    f.shipment(order, carrier="zippy", status=S.DELIVERED, status_as_of=delivered, created_at=delivered - timedelta(hours=29),
               cost=800)
    panel = KpiPanel(KpiService(store))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        panel.set_period(30)  # the delivery is 10 days old: inside 30 days, not 7
    exports = ExportActions(host, ExportService(store), panel)
    out = tmp_path / "kpis.xlsx"
    choose_file(monkeypatch, out)
    with qtbot.waitSignal(exports.finished, timeout=20_000) as result:
        exports.export("kpis")
    assert result.args[0] == f"14 KPIs and 1 scorecard row written to {out} (last 30 days)."
    book = openpyxl.load_workbook(out)
    kpis = {row[0].value: [c.value for c in row] for row in book["KPIs"].iter_rows(min_row=2)}
    header = [c.value for c in book["KPIs"][1]]
    assert kpis["On time"][header.index("Current value")] == 100.0
    assert kpis["Cost per delivery"][header.index("Current value")] == 8.0
    start = panel.period().start.astimezone(None).replace(tzinfo=None)
    assert kpis["On time"][2] == start and header[2].startswith("Period start")
    assert [c.value for c in next(book["Scorecard"].iter_rows(min_row=2))][:3] == ["carrier", "zippy", 1]
    exports.message.close()


def test_cancel_in_the_status_bar_stops_the_export_and_leaves_no_file(qtbot, monkeypatch, shop, host, tmp_path):
    import threading

    from PySide6.QtWidgets import QPushButton

    service_module = sys.modules["controltower.services.exports"]
    gate, counting = threading.Event(), service_module.count_rows
    # Hold the worker at its start until the user has clicked Cancel, so the click can't come too late.
    monkeypatch.setattr(service_module, "count_rows", lambda conn, what: gate.wait(10) and counting(conn, what))
    exports = ExportActions(host, ExportService(shop))
    choose_file(monkeypatch, tmp_path / "out" / "orders.xlsx")
    (tmp_path / "out").mkdir()
    exports.export("orders")
    cancel = next(b for b in host.statusBar().findChildren(QPushButton) if b.text() == "Cancel export")
    with qtbot.waitSignal(exports.cancelled, timeout=20_000):
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        gate.set()
    assert host.statusBar().currentMessage() == "Export of orders cancelled; orders.xlsx was not written."
    assert exports.message is None and list((tmp_path / "out").iterdir()) == []
