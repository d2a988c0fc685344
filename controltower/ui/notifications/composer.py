"""Writing to a customer (email and/or SMS through the notification outbox), and the list of what was sent."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...kernel.errors import UserFacingError
from ...services.control import ActionResult, ControlService
from ...services.notifications import NotificationService


class MessageComposer(QDialog):
    """Compose and queue a message; `sent(ActionResult)` fires once it is in the outbox (the sender delivers it).

    `notifications` (the app's NotificationService, `core.notifications`) reads who the customer is."""

    sent = Signal(object)

    def __init__(self, service: ControlService, order_id: int, *, exception_id: int | None = None,
                 notifications: NotificationService, parent=None) -> None:
        super().__init__(parent)
        self.service, self.order_id, self.exception_id = service, order_id, exception_id
        customer = notifications.contact(order_id)
        self.setWindowTitle(f"Message {customer.customer_name} about {customer.order_ref}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.email = QCheckBox(f"Email {customer.email}" if customer.email else "Email (no address)")
        self.email.setChecked(bool(customer.email))
        self.email.setEnabled(bool(customer.email))
        self.sms = QCheckBox(f"SMS {customer.phone}" if customer.phone else "SMS (no number)")
        self.sms.setChecked(bool(customer.phone))
        self.sms.setEnabled(bool(customer.phone))
        self.subject = QLineEdit(f"About your order {customer.order_ref}")
        self.message = QPlainTextEdit()
        self.message.setPlaceholderText("What should the customer know?")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        channels = QHBoxLayout()
        channels.addWidget(self.email)
        channels.addWidget(self.sms)
        form = QFormLayout()
        form.addRow("Send by", channels)
        form.addRow("Subject", self.subject)
        form.addRow("Message", self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def send(self) -> None:
        channels = tuple(name for name, box in (("email", self.email), ("sms", self.sms)) if box.isChecked())
        if not channels:
            self.error.setText("Pick email, SMS or both.")
            return
        try:
            result: ActionResult = self.service.contact_customer(
                self.order_id, subject=self.subject.text(), message=self.message.toPlainText(), channels=channels,
                exception_id=self.exception_id)
        except UserFacingError as exc:
            self.error.setText(str(exc))
            return
        self.sent.emit(result)
        self.accept()


class MessageHistory(QWidget):
    """What was sent to whom for one order, newest first (for the order's detail panel)."""

    COLUMNS = ("When", "Channel", "To", "Message", "Status")

    def __init__(self, service: NotificationService, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def show_order(self, order_id: int) -> None:
        records = self.service.history(order_id)
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            status = record.status + (f": {record.last_error or record.note}" if (record.last_error or record.note) else "")
            when = record.sent_at or record.created_at
            for column, text in enumerate((f"{when.astimezone():%d %b %H:%M}", record.channel, record.recipient,
                                           record.subject or record.template, status)):
                self.table.setItem(row, column, QTableWidgetItem(text))
