"""The Orders area: search, filters, a table fetched on demand, and a detail pane."""
from __future__ import annotations

from PySide6.QtCore import QDate, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QSplitter,
    QTableView, QVBoxLayout, QWidget,
)

from ...domain import DeliveryOption, ShipmentStatus
from ...services.deliveries import DeliveryService
from ...services.orders import OrdersService
from ..van_stops import VanStopButtons
from .detail import OrderDetail
from .model import COLUMNS, OrdersModel

# Status groups a shop owner filters by; each maps to canonical statuses.
STATUS_FILTERS = {
    "All statuses": (),
    "Awaiting dispatch": ("created", "quoted"),
    "Booked": ("booked",),
    "On the way": ("picked_up", "in_transit", "out_for_delivery"),
    "Delivered": ("delivered",),
    "Problems": ("failed_attempt", "exception"),
    "Returns": ("returning", "returned"),
    "Cancelled": ("cancelled",),
}


class _Relay(QObject):
    """Hub events arrive on any thread; this brings them to the UI thread."""

    orders_changed = Signal(object)


class OrdersView(QWidget):
    """`OrdersView(core.orders, deliveries=core.deliveries)`; without `deliveries` an own van's order has no
    Delivered / Failed attempt buttons."""

    orderSelected = Signal(int)
    ordersSelected = Signal(list)

    def __init__(self, service: OrdersService, parent=None, *, deliveries: DeliveryService | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.deliveries = deliveries
        self._relay = _Relay(self)
        self._relay.orders_changed.connect(self.refresh)
        self.model = OrdersModel(service, parent=self)
        self._build()
        self.model.totalChanged.connect(self._show_total)
        self._show_total(self.model.total)

    def _build(self) -> None:
        self.search = QLineEdit(placeholderText="Search order, customer, street, postcode, phone…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_search)

        self.status_filter = QComboBox()
        self.status_filter.addItems(list(STATUS_FILTERS))
        for status in ShipmentStatus:
            self.status_filter.addItem(f"Only: {status.label}", status.value)
        self.status_filter.currentIndexChanged.connect(self._apply_filters)
        self.option_filter = QComboBox()
        self.option_filter.addItem("All options", None)
        for option in DeliveryOption:
            self.option_filter.addItem(option.label, option.value)
        self.option_filter.currentIndexChanged.connect(self._apply_filters)

        self.date_enabled = QCheckBox("Promised from")
        today = QDate.fromString(self.service.shop_today(), Qt.DateFormat.ISODate)  # the shop's day, not UTC's
        self.date_from = QDateEdit(today, calendarPopup=True, displayFormat="dd MMM yyyy")
        self.date_to = QDateEdit(today, calendarPopup=True, displayFormat="dd MMM yyyy")
        for widget in (self.date_from, self.date_to):
            widget.setEnabled(False)
            widget.dateChanged.connect(self._apply_filters)
        self.date_enabled.toggled.connect(self._toggle_dates)
        self.total_label = QLabel()

        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.option_filter)
        bar.addWidget(self.date_enabled)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.date_to)
        bar.addWidget(self.total_label)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(len(COLUMNS) - 1, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate([95, 150, 190, 80, 65, 105, 120, 115, 95, 55, 75]):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.detail = OrderDetail(self.service, self.model.local_time)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.detail, 1)
        self.van_stop = None
        if self.deliveries is not None:  # an order on one of the shop's vans can be finished here
            self.van_stop = VanStopButtons(self.deliveries)
            side_layout.addWidget(self.van_stop)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    # -- filters ----------------------------------------------------------------------------------------------
    def _toggle_dates(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self._apply_filters()

    def _apply_search(self) -> None:
        self.model.set_filters(search=self.search.text().strip())

    def _apply_filters(self) -> None:
        data = self.status_filter.currentData()
        statuses = (data,) if data else STATUS_FILTERS.get(self.status_filter.currentText(), ())
        option = self.option_filter.currentData()
        dates = {}
        if self.date_enabled.isChecked():
            dates = {"date_from": self.date_from.date().toString(Qt.DateFormat.ISODate),
                     "date_to": self.date_to.date().toString(Qt.DateFormat.ISODate)}
        else:
            dates = {"date_from": None, "date_to": None}
        self.model.set_filters(statuses=tuple(statuses), options=(option,) if option else (), **dates)

    def show_ids(self, order_ids: list[int] | None) -> None:
        """Limit the table to these orders (from a KPI or the map); None shows all again."""
        self.model.set_filters(ids=tuple(order_ids or ()))

    def _show_total(self, total: int | None) -> None:
        self.total_label.setText("counting…" if total is None else f"{total:,} orders")

    # -- selection ----------------------------------------------------------------------------------------------
    def _selection_changed(self, *_args) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        ids = [self.model.order_id(r) for r in rows]
        self._show_detail(ids[0] if ids else None)
        if self.van_stop is not None:
            self.van_stop.message.setText("")  # what was done to the previous order no longer applies
        if ids:
            self.orderSelected.emit(ids[0])
            self.ordersSelected.emit(ids)

    def select_order(self, order_id: int) -> bool:
        """Select and scroll to an order (e.g. clicked on the map), clearing filters that hide it."""
        row = self.model.row_of(order_id)
        while row is None and self.model.canFetchMore():
            if len(self.model.rows) > 20_000:
                break
            self.model.fetchMore()
            row = self.model.row_of(order_id)
        if row is None:
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.model.set_filters(ids=(order_id,), search="", statuses=(), options=(), date_from=None, date_to=None)
            row = self.model.row_of(order_id)
            if row is None:
                return False
        index = self.model.index(row, 0)
        self.table.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def _show_detail(self, order_id: int | None) -> None:
        self.detail.show_order(order_id)
        if self.van_stop is not None:
            stop = self.deliveries.van_stop(order_id) if order_id is not None else None
            row = self.model.row_of(order_id) if stop else None
            self.van_stop.show_stop(stop.stop_id if stop else None, self.model.rows[row].order_ref if row is not None else "")

    def selected_order_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.order_id(rows[0].row()) if rows else None

    def follow(self, hub) -> None:
        """Re-read changed orders (and the one shown) when any part of the app publishes orders.changed or
        shipments.changed (safe from worker threads)."""
        hub.subscribe("orders.changed", lambda _topic, payload: self._relay.orders_changed.emit(payload.get("ids")))
        hub.subscribe("shipments.changed", lambda _topic, _payload: self._relay.orders_changed.emit(None))

    def refresh(self, order_ids=None) -> None:
        """Re-read the given orders where they are loaded, or everything (None); the order shown stays selected."""
        shown = self.selected_order_id()
        if order_ids:
            self.model.refresh_rows(order_ids)
        else:
            self.model.reload()
            row = None if shown is None else self.model.row_of(shown)
            if row is not None:
                self.table.selectionModel().select(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                   | QItemSelectionModel.SelectionFlag.Rows)
        if shown is not None and (not order_ids or shown in order_ids):
            self._show_detail(shown)
