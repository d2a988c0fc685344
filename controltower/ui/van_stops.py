"""Finishing an own van's stop by hand: "Delivered" and "Failed attempt…" (with the reason asked in a small dialog),
shared by the Routes and Orders views."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from ..kernel.errors import UserFacingError
from ..services.deliveries import DeliveryService

COMMON_REASONS = ("Nobody home", "Address not found", "No safe place to leave it", "Refused by the customer",
                  "Could not get in (gate, door code)")


class FailedAttemptDialog(QDialog):
    """Why the driver could not deliver: a common reason or the user's own words."""

    def __init__(self, order_ref: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Failed attempt: {order_ref}")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(COMMON_REASONS)
        self.reason.setCurrentText("")
        self.reason.lineEdit().setPlaceholderText("What happened at the door?")
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b3261e")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton("Record failed attempt", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def reason_text(self) -> str:
        return self.reason.currentText().strip()

    def _check(self) -> None:
        if not self.reason_text():
            self.problem.setText("Say why the delivery failed.")
            return
        self.accept()


class VanStopButtons(QWidget):
    """The two buttons for the stop shown (`show_stop`) and a line saying what happened (`done(text)`) or what went
    wrong (`problem(text)`). The views re-read from the hub events the use case publishes."""

    done = Signal(str)
    problem = Signal(str)

    def __init__(self, service: DeliveryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.stop_id: int | None = None
        self.order_ref = ""
        self.dialog: FailedAttemptDialog | None = None
        self.delivered_button = QPushButton("Delivered")
        self.delivered_button.setToolTip("The van delivered this stop (for a return: collected it)")
        self.failed_button = QPushButton("Failed attempt…")
        self.failed_button.setToolTip("The van could not deliver: record why")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # order numbers and reasons are shown as typed
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.delivered_button)
        layout.addWidget(self.failed_button)
        layout.addWidget(self.message, 1)
        self.done.connect(self.message.setText)
        self.problem.connect(self.message.setText)
        self.delivered_button.clicked.connect(self.mark_delivered)
        self.failed_button.clicked.connect(self.ask_why_it_failed)
        self.show_stop(None)

    def show_stop(self, stop_id: int | None, order_ref: str = "") -> None:
        """The stop the buttons act on; None (no own-van stop to work) disables them."""
        self.stop_id, self.order_ref = stop_id, order_ref
        for button in (self.delivered_button, self.failed_button):
            button.setEnabled(stop_id is not None)

    def mark_delivered(self) -> None:
        if self.stop_id is not None:
            self._run(lambda stop=self.stop_id: self.service.mark_delivered(stop))

    def ask_why_it_failed(self) -> None:
        if self.stop_id is None:
            return
        stop = self.stop_id
        self.dialog = FailedAttemptDialog(self.order_ref, self)
        self.dialog.accepted.connect(lambda: self._run(lambda: self.service.mark_failed(stop, self.dialog.reason_text())))
        self.dialog.open()  # never exec(): the event loop keeps running

    def _run(self, mark) -> None:
        ref = self.order_ref
        try:
            done = mark()
        except UserFacingError as error:  # shown, never swallowed
            self.problem.emit(str(error))
            return
        self.show_stop(None)
        self.done.emit(f"{ref}: {done.message}" if ref else done.message)
