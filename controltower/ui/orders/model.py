"""The Orders table model: pages of rows fetched from the store on demand, never the whole table."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from ...domain import DeliveryOption, Money, ShipmentStatus
from ...domain.timeutil import from_iso
from ...services.orders import OrderListRow, OrderQuery, OrdersService
from ..tasks import run_in_thread

PAGE = 256
# (header, column used for sorting); rows are OrderListRow tuples, read by position for speed.
_IDX = {name: i for i, name in enumerate(OrderListRow._fields)}
COLUMNS = [
    ("Order", "order_ref"), ("Customer", "customer_name"), ("Address", "street"), ("City", "city"), ("Postcode", "postcode"),
    ("Option", "delivery_option"), ("Promised by", "promised_end"), ("Status", "status"), ("Carrier", "carrier"),
    ("Parcels", "parcels"), ("Value", "value_minor"), ("Ordered", "created_at"),
]
STATUS_COLOURS = {
    "delivered": "#2e7d32", "out_for_delivery": "#1565c0", "in_transit": "#1976d2", "picked_up": "#1976d2",
    "booked": "#455a64", "created": "#6d4c41", "quoted": "#6d4c41", "failed_attempt": "#c62828", "exception": "#b71c1c",
    "returning": "#ef6c00", "returned": "#8d6e63", "cancelled": "#757575",
}


class OrdersModel(QAbstractTableModel):
    """Rows appear a page at a time as the view scrolls (canFetchMore/fetchMore)."""

    totalChanged = Signal(object)  # int, or None while counting

    def __init__(self, service: OrdersService, timezone: tzinfo | None = None, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.tz = timezone or service.shop_timezone()
        self.carrier_names = service.carrier_names()
        self.query = OrderQuery()
        self.rows: list[OrderListRow] = []
        self.exhausted = False
        self.total: int | None = None
        self._count_generation = 0
        self.reload()

    # -- querying -----------------------------------------------------------------------------------------------
    def set_query(self, query: OrderQuery) -> None:
        if query != self.query:
            self.query = query
            self.reload()

    def set_filters(self, **changes) -> None:
        self.set_query(replace(self.query, **changes))

    def reload(self) -> None:
        """Start again from the first page (after a filter, a sort or a change in the store)."""
        self.beginResetModel()
        self.rows = self.service.page(self.query, 0, PAGE)
        self.exhausted = len(self.rows) < PAGE
        self.endResetModel()
        self._count_in_background()

    def refresh_rows(self, order_ids) -> None:
        """Re-read just the given orders where they are loaded (a status change), without a reload."""
        wanted = set(order_ids)
        positions = [i for i, row in enumerate(self.rows) if row[0] in wanted]
        if not positions:
            return
        fresh = {row[0]: row for row in self.service.page(OrderQuery(ids=tuple(wanted)), 0, len(wanted))}
        for i in positions:
            if self.rows[i][0] in fresh:
                self.rows[i] = fresh[self.rows[i][0]]
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def _count_in_background(self) -> None:
        self._count_generation += 1
        generation, query, service = self._count_generation, self.query, self.service
        if self.exhausted:
            self._set_total(len(self.rows))
            return
        self.total = None
        self.totalChanged.emit(None)

        def count() -> int:
            return service.count(query)

        run_in_thread(count, lambda n: self._set_total(n) if generation == self._count_generation else None)

    def _set_total(self, total: int) -> None:
        self.total = total
        self.totalChanged.emit(total)

    # -- Qt model API -------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self.exhausted

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        more = self.service.page(self.query, len(self.rows), PAGE)
        if len(more) < PAGE:
            self.exhausted = True
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.set_filters(sort=COLUMNS[column][1], descending=order == Qt.SortOrder.DescendingOrder)

    def order_id(self, row: int) -> int:
        return self.rows[row][_IDX["id"]]

    def row_of(self, order_id: int) -> int | None:
        for i, row in enumerate(self.rows):
            if row[0] == order_id:
                return i
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return QBrush(QColor(STATUS_COLOURS.get(row[_IDX["status"]], "#000000")))
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("parcels", "value_minor"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and key == "city" and row[_IDX["geo_precision"]] in ("postcode", "city", "unknown"):
            return f"Position is approximate ({row[_IDX['geo_precision']]})"
        if role == Qt.ItemDataRole.UserRole:
            return row[_IDX["id"]]
        return None

    def _display(self, row: tuple, key: str) -> str:
        value = row[_IDX[key]]
        if key == "status":
            return ShipmentStatus(value).label
        if key == "delivery_option":
            return DeliveryOption(value).label
        if key in ("promised_end", "created_at"):
            return self.local_time(value)
        if key == "value_minor":
            return Money(value, row[_IDX["currency"]]).format()
        if key == "carrier":
            return self.carrier_names.get(value) or (value.replace("_", " ").title() if value else "—")
        return "" if value is None else str(value)

    def local_time(self, moment: datetime | str | None) -> str:
        """A stored time (ISO UTC text or an aware datetime) in the shop's zone, as the table shows it."""
        if isinstance(moment, str):
            moment = from_iso(moment)
        if moment is None:
            return ""
        return moment.astimezone(self.tz).strftime("%a %d %b %H:%M")
