"""The comparison panel: every way to send the selected order side by side, the recommended one marked, and why."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...services.dispatch import QUOTE_EXPIRED, WayRow
from .tables import read_only_table
from ..plain import plain_tooltip

COLUMNS = ("Way", "Service", "Price", "Promised by", "Estimated delivery", "On time", "Notes")
_CHOSEN = QColor("#e3f4e1")
_PROBLEM = QColor("#b3261e")


def local_time(moment, tz) -> str:
    return "—" if moment is None else moment.astimezone(tz).strftime("%a %d %b %H:%M")


class ComparisonPanel(QWidget):
    """Shows one `Comparison`; `bookRequested(row)` when the user books a way, `labelRequested()` for our own label."""

    bookRequested = Signal(object)
    labelRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.comparison = None
        self.tz = None
        self.title = QLabel("Select an order to compare the ways to send it.")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # customer names are untrusted text
        bold = QFont(self.title.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.15)
        self.title.setFont(bold)
        self.promise = QLabel("")
        self.promise.setTextFormat(Qt.TextFormat.PlainText)
        self.table = read_only_table(COLUMNS)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setMinimumHeight(self.reason.fontMetrics().lineSpacing() * 3)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.book_button = QPushButton("Book the recommended way")
        self.book_button.clicked.connect(self._book)
        self.label_button = QPushButton("Print our label…")
        self.label_button.clicked.connect(self.labelRequested)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.book_button)
        buttons.addWidget(self.label_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.promise)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        self.book_button.setEnabled(enabled)
        self.label_button.setEnabled(enabled)

    def show_loading(self, order) -> None:
        self.comparison = None
        self.title.setText(f"{order.order_ref} — {order.customer_name}")
        self.promise.setText("")
        self.table.setRowCount(0)
        self.reason.setText("Asking the carriers…")
        self._set_enabled(False)

    def show_error(self, message: str) -> None:
        self.reason.setText(f"Could not compare: {message}")
        self._set_enabled(False)

    def show_comparison(self, comparison, tz, day_reason: str = "") -> None:
        """`day_reason`: why the day's allocation sends it another way than the recommendation (vans full, a share kept…)."""
        self.comparison, self.tz = comparison, tz
        order = comparison.order
        self.title.setText(f"{order.order_ref} — {order.customer_name}, {order.address.city}")
        window = order.promised_window
        promised = (f"Promised {order.delivery_option.label.lower()}: {local_time(window.start, tz)} – "
                    f"{window.end.astimezone(tz):%H:%M}") if window else f"{order.delivery_option.label}, no promised window"
        self.promise.setText(f"{promised} · {order.parcels} parcel(s)")
        self.table.setRowCount(len(comparison.rows))
        chosen = comparison.decision.row
        for r, row in enumerate(comparison.rows):
            self._fill_row(r, row, row is chosen)
        self.reason.setText(f"Recommended: {comparison.decision.reason}" + (f"\nIn the day's plan: {day_reason}" if day_reason else ""))
        if chosen is not None:
            self.table.selectRow(comparison.rows.index(chosen))
        self._set_enabled(chosen is not None)
        self._selection_changed()

    def _fill_row(self, r: int, row: WayRow, chosen: bool) -> None:
        notes = row.error or ", ".join(row.flags) or row.detail
        cells = (("✓ " if chosen else "") + row.name, row.service, row.price.format() if row.price else "—",
                 local_time(row.promised_by, self.tz), local_time(row.estimated_delivery, self.tz),
                 row.on_time.describe() if row.kind not in ("own_fleet", "pickup") else "", notes)
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(plain_tooltip(text))  # the notes column is often wider than the panel
            if c == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if chosen:
                item.setBackground(QBrush(_CHOSEN))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            if c == 6 and (row.error or row.flags):
                item.setForeground(QBrush(_PROBLEM))
            self.table.setItem(r, c, item)

    def selected_row(self) -> WayRow | None:
        if self.comparison is None:
            return None
        rows = self.table.selectionModel().selectedRows()
        return self.comparison.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        row = self.selected_row()
        chosen = self.comparison.decision.row if self.comparison else None
        if row is None or not row.usable:
            self.book_button.setEnabled(False)
            self.book_button.setText("Book the recommended way")
            return
        if QUOTE_EXPIRED in row.flags:
            self.book_button.setEnabled(False)
            self.book_button.setText("Quote expired: select the order again for fresh quotes")
            return
        self.book_button.setEnabled(True)
        self.book_button.setText("Book the recommended way" if row is chosen else f"Book {row.name} instead")

    def _book(self) -> None:
        row = self.selected_row()
        if row is not None and row.usable and QUOTE_EXPIRED not in row.flags:
            self.bookRequested.emit(row)
