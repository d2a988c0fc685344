"""Settings > Webhooks: endpoints and the events each hears, its signing secret shown once, a test event, the delivery
log, and a plain notice when an endpoint was turned off after failing again and again."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableWidget, QTableWidgetItem)

from ...kernel.errors import UserFacingError
from ...services.integrations import WEBHOOK_EVENTS, Endpoint
from ..setup.pages import SetupPage
from .local_api import said


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%d %b %H:%M:%S")


class WebhooksPage(SetupPage):
    key, title_text = "webhooks", "Webhooks"
    subtitle_text = ("Control Tower tells other tools what happened (an order created, a parcel delivered, a case "
                     "opened) by calling their address, signed in the Standard Webhooks format and retried for 24 hours.")

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.webhooks, self.jobs = core.integrations.webhooks, core.jobs
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #b71c1c; font-weight: bold")
        self.layout_.addWidget(self.notice)

        self.endpoints = _table(("Address", "Events", "State"))
        self.layout_.addWidget(self.endpoints, 1)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Send test event")
        self.turn_on_button = QPushButton("Turn on again")
        self.remove_button = QPushButton("Remove")
        for button, slot in ((self.test_button, self.send_test), (self.turn_on_button, self.turn_on),
                             (self.remove_button, self.remove)):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)

        self.layout_.addWidget(QLabel("New endpoint"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://…")
        self.layout_.addWidget(self.url)
        grid = QGridLayout()
        self.event_boxes: dict[str, QCheckBox] = {}
        for n, event in enumerate(WEBHOOK_EVENTS):
            box = self.event_boxes[event] = QCheckBox(event)
            grid.addWidget(box, n // 3, n % 3)
        self.layout_.addLayout(grid)
        add = QHBoxLayout()
        self.add_button = QPushButton("Add endpoint")
        self.add_button.clicked.connect(self.add)
        self.secret = QLineEdit()
        self.secret.setReadOnly(True)
        self.secret.setVisible(False)
        self.copy_button = QPushButton("Copy secret")
        self.copy_button.setVisible(False)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.secret.text()))
        add.addWidget(self.add_button)
        add.addWidget(self.secret, 1)
        add.addWidget(self.copy_button)
        self.layout_.addLayout(add)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.layout_.addWidget(self.result)

        log_head = QHBoxLayout()
        log_head.addWidget(QLabel("Delivery log (newest first)"))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.load)
        log_head.addStretch(1)
        log_head.addWidget(self.refresh_button)
        self.layout_.addLayout(log_head)
        self.log = _table(("When", "Event", "Address", "Answer", "Took", "Message"))
        self.layout_.addWidget(self.log, 1)
        self.shown: list[Endpoint] = []
        self.endpoints.itemSelectionChanged.connect(self._selection_changed)
        self.finish_layout()
        self.load()

    # ------------------------------------------------------------------ showing
    def load(self) -> None:
        self.shown = self.webhooks.endpoints()
        self.endpoints.setRowCount(len(self.shown))
        for row, endpoint in enumerate(self.shown):
            state = "on" if endpoint.enabled else f"turned off: {endpoint.disabled_reason}"
            for column, text in enumerate((endpoint.url, ", ".join(endpoint.events), state)):
                item = QTableWidgetItem(text)
                if column == 2 and not endpoint.enabled:
                    item.setForeground(Qt.GlobalColor.red)
                self.endpoints.setItem(row, column, item)
        off = [e for e in self.shown if not e.enabled]
        self.notice.setText("" if not off else "Turned off after failing again and again, so nothing is sent to: "
                            + "; ".join(f"{e.url} ({e.disabled_reason})" for e in off)
                            + ". Fix the receiving end, then select it and press Turn on again.")
        self.notice.setVisible(bool(off))
        entries = self.webhooks.delivery_log(200)
        self.log.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            answer = str(entry["status_code"]) if entry["status_code"] else (entry["error"] or "no answer")
            if entry["status_code"] and entry["error"]:
                answer += f" {entry['error']}"
            cells = (_when(entry["at"]), entry["event_type"], entry["url"], answer, f"{entry['duration_ms']} ms",
                     f"{entry['message_id']} ({entry['state']})")
            for column, text in enumerate(cells):
                self.log.setItem(row, column, QTableWidgetItem(text))
        self._selection_changed()

    def _selected(self) -> Endpoint | None:
        rows = self.endpoints.selectionModel().selectedRows()
        return self.shown[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        endpoint = self._selected()
        self.test_button.setEnabled(endpoint is not None and endpoint.enabled)
        self.remove_button.setEnabled(endpoint is not None)
        self.turn_on_button.setEnabled(endpoint is not None and not endpoint.enabled)

    # ------------------------------------------------------------------ acting
    def add(self) -> None:
        events = [event for event, box in self.event_boxes.items() if box.isChecked()]
        try:
            _endpoint_id, secret = self.webhooks.subscribe(self.url.text().strip(), events)
        except (UserFacingError, RuntimeError) as exc:  # a bad address or no event; no keychain
            self.result.setText(said(exc))
            return
        self.url.clear()
        for box in self.event_boxes.values():
            box.setChecked(False)
        self.secret.setText(secret)
        self.secret.setVisible(True)
        self.copy_button.setVisible(True)
        self.result.setText("Added. Its signing secret is shown only this once: give it to the receiving tool to "
                            "check each call's signature.")
        self.load()

    def send_test(self) -> None:
        endpoint = self._selected()
        if endpoint is None:
            return
        message_id = self.webhooks.send_test(endpoint.id)
        if "webhooks" in self.jobs:
            self.jobs.run_now("webhooks")
        self.result.setText(f"Test event {message_id} queued for {endpoint.url}: its answer appears in the delivery "
                            "log (press Refresh).")

    def turn_on(self) -> None:
        endpoint = self._selected()
        if endpoint is not None:
            self.webhooks.turn_on(endpoint.id)
            self.result.setText(f"{endpoint.url} is on again.")
            self.load()

    def remove(self) -> None:
        endpoint = self._selected()
        if endpoint is not None:
            self.webhooks.unsubscribe(endpoint.id)
            self.result.setText(f"{endpoint.url} removed; its secret is gone from the keychain.")
            self.load()
