"""Failed deliveries and returns: what to do with a failed attempt, and the dialog that starts a return."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPushButton, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...services.dispatch import (
    CONVERT_TO_PICKUP, FAILED_ATTEMPT_ACTIONS, OWN_ROUTE, REATTEMPT, REBOOK, RETURN_METHODS, RETURN_TO_STOCK,
)
from .tables import read_only_table

COLUMNS = ("Order", "Customer", "Carrier", "Promised by")


class FailedDeliveriesPanel(QWidget):
    """Orders whose delivery failed, with the four ways forward; `rebookRequested(order_id)` asks the view to compare."""

    rebookRequested = Signal(int)
    resolved = Signal(str)

    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.orders = []
        self.table = read_only_table(COLUMNS)
        self.buttons = {}
        row = QGridLayout()  # two by two, so the list keeps its width
        for n, action in enumerate((REATTEMPT, REBOOK, CONVERT_TO_PICKUP, RETURN_TO_STOCK)):
            button = QPushButton(FAILED_ATTEMPT_ACTIONS[action])
            button.clicked.connect(lambda _checked=False, a=action: self.act(a))
            self.buttons[action] = button
            row.addWidget(button, n // 2, n % 2)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.orders = self.service.failed_deliveries()
        tz = self.service.settings.tz
        carriers = self.service.failed_carriers(order.id for order in self.orders)
        self.table.setRowCount(len(self.orders))
        for r, order in enumerate(self.orders):
            promised = order.promised_window.end.astimezone(tz).strftime("%a %d %b %H:%M") if order.promised_window else "—"
            carrier = carriers.get(order.id, "")
            for c, text in enumerate((order.order_ref, order.customer_name, carrier, promised)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for button in self.buttons.values():
            button.setEnabled(bool(self.orders))

    def selected_order_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.orders[rows[0].row()].id if rows else None

    def act(self, action: str) -> None:
        order_id = self.selected_order_id()
        if order_id is None:
            self.message.setText("Select a failed delivery first.")
            return
        if action == REBOOK:
            self.rebookRequested.emit(order_id)
            return
        try:
            done = self.service.resolve_failed_attempt(order_id, action)
        except Exception as error:  # shown, never swallowed
            self.message.setText(str(error))
            return
        self.message.setText(f"{done} The customer has been told.")
        self.resolved.emit(done)
        self.refresh()


class ReturnDialog(QDialog):
    """Start a return for an order: why, which items, and how it comes back."""

    def __init__(self, service, order_id: int, parent=None, carriers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(parent)
        self.service, self.order_id, self.case = service, order_id, None
        order = service.order(order_id)
        self.setWindowTitle(f"Return for {order.order_ref}")
        self.reason = QLineEdit(placeholderText="e.g. wrong size, damaged, changed mind")
        self.items = QListWidget()
        for line in order.lines or ():
            item = QListWidgetItem(f"{line.quantity} × {line.name or line.sku}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.items.addItem(item)
        self.method = QComboBox()
        for code, text in RETURN_METHODS.items():
            self.method.addItem(text, code)
        self.carrier = QComboBox()
        if carriers is None:
            carriers = service.return_carriers()
        for code, name in carriers:
            self.carrier.addItem(name, code)
        self.method.currentIndexChanged.connect(lambda _i: self.carrier.setEnabled(self.method.currentData() != OWN_ROUTE))
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b3261e")
        form = QFormLayout()
        form.addRow("Reason", self.reason)
        form.addRow("Items", self.items)
        form.addRow("Comes back by", self.method)
        form.addRow("Carrier", self.carrier)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Start return", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def start(self) -> None:
        items = [self.items.item(i).text() for i in range(self.items.count())
                 if self.items.item(i).checkState() == Qt.CheckState.Checked]
        method = self.method.currentData()
        carrier = "" if method == OWN_ROUTE else (self.carrier.currentData() or "")
        try:
            self.case = self.service.start_return(self.order_id, self.reason.text(), items, method, carrier)
        except Exception as error:  # shown in the dialog, never swallowed
            self.problem.setText(str(error))
            return
        self.accept()
