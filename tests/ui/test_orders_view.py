"""The Orders view as a shop owner uses it: filter, sort, search, select."""
from datetime import datetime, timezone

import pytest
from PySide6.QtCore import Qt

from controltower.demo import generate
from controltower.domain import ShipmentStatus as S
from controltower.services.orders import OrdersService
from controltower.store import Database
from controltower.ui.orders import OrdersView

NOW = datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    generate(path, seed=3, now=NOW, orders_today=150, history_days=3)
    return path


@pytest.fixture
def view(qtbot, demo_path):
    db = Database(demo_path)
    widget = OrdersView(OrdersService(db))
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    yield widget
    db.close()


def visible_column(view, header):
    model = view.model
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index(header)
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_filter_by_status_shows_only_those_orders(qtbot, view):
    view.status_filter.setCurrentText("Delivered")
    statuses = set(visible_column(view, "Status"))
    assert statuses == {"Delivered"}
    qtbot.waitUntil(lambda: view.total_label.text().endswith("orders"))
    total = view.service.db.scalar("SELECT count(*) FROM orders WHERE status = 'delivered'")
    assert view.total_label.text() == f"{total:,} orders"


def test_filter_by_option_and_problems(view):
    view.option_filter.setCurrentIndex(view.option_filter.findText("Express"))
    assert set(visible_column(view, "Option")) == {"Express"}
    view.status_filter.setCurrentText("Problems")
    assert set(visible_column(view, "Status")) <= {"Failed attempt", "Exception"}


def test_clicking_a_header_sorts(qtbot, view):
    header = view.table.horizontalHeader()
    column = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())].index("Customer")
    point = header.rect().center()
    point.setX(header.sectionViewportPosition(column) + header.sectionSize(column) // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    first = visible_column(view, "Customer")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    second = visible_column(view, "Customer")
    ascending, descending = (first, second) if first[0] <= first[-1] else (second, first)
    assert ascending == sorted(ascending)
    assert descending == sorted(descending, reverse=True)
    assert ascending[0] != descending[0]


def test_search_box_finds_by_customer_and_postcode(qtbot, view):
    name = view.service.db.scalar("SELECT customer_name FROM orders ORDER BY id LIMIT 1")
    qtbot.keyClicks(view.search, name.split()[1])
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    customers = visible_column(view, "Customer")
    assert customers and all(name.split()[1] in c for c in customers)
    view.search.clear()
    qtbot.keyClicks(view.search, "97218")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert set(visible_column(view, "Postcode")) == {"97218"}


def test_date_filter_limits_to_promised_day(view):
    view.date_enabled.setChecked(True)
    day = view.service.db.scalar("SELECT min(delivery_date) FROM orders")
    from PySide6.QtCore import QDate

    view.date_from.setDate(QDate.fromString(day, Qt.DateFormat.ISODate))
    view.date_to.setDate(QDate.fromString(day, Qt.DateFormat.ISODate))
    expected = view.service.db.scalar("SELECT count(*) FROM orders WHERE delivery_date = ?", (day,))
    while view.model.canFetchMore():
        view.model.fetchMore()
    assert view.model.rowCount() == expected


def test_rows_load_on_demand_and_selecting_shows_detail(qtbot, view):
    assert view.model.rowCount() == 256  # one page, not the whole table
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() > 256)
    with qtbot.waitSignal(view.orderSelected) as signal:
        view.table.selectRow(0)
    order_id = signal.args[0]
    ref = view.service.db.scalar("SELECT order_ref FROM orders WHERE id = ?", (order_id,))
    assert ref in view.detail.toPlainText()


def test_select_order_from_elsewhere(view):
    order_id = view.service.db.scalar("SELECT min(id) FROM orders")
    assert view.select_order(order_id)
    assert view.model.order_id(view.table.selectionModel().selectedRows()[0].row()) == order_id


def test_untrusted_names_show_as_text(qtbot, view):
    with view.service.db.transaction() as conn:
        conn.execute("UPDATE orders SET customer_name = '<img src=x onerror=alert(1)>' WHERE id = 1")
    view.select_order(1)
    view.detail.show_order(1)
    assert "<img src=x onerror=alert(1)>" in view.detail.toPlainText()


def test_detail_shows_statuses_and_carriers_in_plain_words(view):
    """Issue 17 item 8: no status or carrier codes ("in_transit", "pre_transit", "sandbox:zippy") in the detail."""
    order_id = view.service.db.scalar(
        "SELECT s.order_id FROM shipments s JOIN tracking_events t ON t.shipment_id = s.id "
        "WHERE s.carrier LIKE '%:%' AND t.status LIKE '%\\_%' ESCAPE '\\' AND t.raw_code LIKE '%\\_%' ESCAPE '\\' LIMIT 1")
    assert order_id is not None
    view.detail.show_order(order_id)
    shown = view.detail.toPlainText()
    codes = view.service.db.query(
        "SELECT DISTINCT t.status, t.raw_code, s.carrier FROM tracking_events t JOIN shipments s ON s.id = t.shipment_id "
        "WHERE s.order_id = ?", (order_id,))
    for row in codes:
        for code in row:
            if code and ("_" in code or ":" in code):
                assert code not in shown
    status = next(row[0] for row in codes if "_" in row[0])
    assert S(status).label in shown
