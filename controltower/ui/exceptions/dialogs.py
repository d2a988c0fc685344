"""The small forms behind the queue's one-click actions: pick a quote, a new window, a van, a reason."""
from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import (
    QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout,
)

from ...domain.timeutil import UTC
from ..plain import carrier_text

RESOLVE_REASONS = ("Customer agreed to wait", "Delivered after all", "Refunded", "Replacement sent", "Carrier fixed it",
                   "Not a real problem")


class _Form(QDialog):
    """A non-blocking form: callers connect `accepted` and call `open()`, never `exec()`."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)


class RebookDialog(_Form):
    """Other carriers' quotes for the order, cheapest first."""

    def __init__(self, quotes, parent=None, carrier_names: dict[str, str] | None = None) -> None:
        super().__init__("Re-book with another carrier", parent)
        self.quotes = QListWidget()
        for quote in quotes:
            eta = quote.estimated_delivery
            text = f"{carrier_text(quote.carrier, carrier_names or {})} {quote.service.replace('_', ' ')}: {quote.price}"
            item = QListWidgetItem(text + (f", arrives {eta:%a %H:%M}" if eta else ""))
            item.setData(Qt.ItemDataRole.UserRole, quote.id)
            self.quotes.addItem(item)
        if not quotes:
            self.form.addRow(QLabel("No other quotes for this order. Get quotes from the Orders view first."))
        self.quotes.setCurrentRow(0)
        self.form.addRow("Quote", self.quotes)
        self.ok_button.setEnabled(bool(quotes))

    def quote_id(self) -> int | None:
        item = self.quotes.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


class RescheduleDialog(_Form):
    """A new promised window; the customer is told."""

    def __init__(self, now: datetime, parent=None) -> None:
        super().__init__("Reschedule and tell the customer", parent)
        start = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        self.start = self._edit(start)
        self.end = self._edit(start + timedelta(hours=2))
        self.form.addRow("From", self.start)
        self.form.addRow("To", self.end)
        self.form.addRow(QLabel("The customer gets the 'delayed' message with the new time."))

    def _edit(self, moment: datetime) -> QDateTimeEdit:
        edit = QDateTimeEdit(QDateTime(moment.astimezone().replace(tzinfo=None)))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("ddd dd MMM yyyy HH:mm")
        return edit

    def window(self) -> tuple[datetime, datetime]:
        def aware(edit: QDateTimeEdit) -> datetime:
            return edit.dateTime().toTimeZone(QTimeZone.utc()).toPython().replace(tzinfo=UTC)

        return aware(self.start), aware(self.end)


class ReassignDialog(_Form):
    def __init__(self, vehicles, parent=None) -> None:
        super().__init__("Give it to your own driver", parent)
        self.vehicles = QComboBox()
        for vehicle in vehicles:
            label = vehicle.name + (f" ({vehicle.driver})" if vehicle.driver else "")
            self.vehicles.addItem(label, vehicle.id)
        self.form.addRow("Van", self.vehicles)
        self.ok_button.setEnabled(bool(vehicles))

    def vehicle_id(self) -> int | None:
        return self.vehicles.currentData()


class ResolveDialog(_Form):
    def __init__(self, count: int, parent=None) -> None:
        super().__init__(f"Resolve {count} case(s)", parent)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(RESOLVE_REASONS)
        self.form.addRow("Reason", self.reason)

    def reason_text(self) -> str:
        return self.reason.currentText().strip()
