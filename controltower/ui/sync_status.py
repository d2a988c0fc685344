"""The sync status in the status bar (online, last sync, queue, errors) and the panel of queued carrier writes."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from ..kernel.errors import UserFacingError
from ..kernel.events import EventHub
from ..services.outbox import OutboxEntry, OutboxService
from .plain import carrier_text, plain_tooltip

_WHAT = {"book": "Book", "cancel": "Cancel booking", "return": "Book return"}
_STATE = {"pending": "Waiting to send", "in_flight": "Sending", "unknown": "Checking with carrier",
          "failed": "Refused by carrier"}


def _clock(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%H:%M:%S")


class SyncStatusWidget(QLabel):
    """'Online · synced 14:02:11 · 2 queued · 1 error', updated from `sync.state`; click opens the queue."""

    state_changed = Signal(dict)
    open_queue_requested = Signal()

    def __init__(self, hub: EventHub, parent: QWidget | None = None, *, offline: bool = False) -> None:
        super().__init__(parent)
        self.offline = offline  # started with --offline: no sync runs, so nothing will ever say otherwise
        self.setObjectName("syncStatus")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.state_changed.connect(self.show_state)  # queued across threads: the hub may publish from anywhere
        self._unsubscribe = hub.subscribe("sync.state", lambda _topic, payload: self.state_changed.emit(dict(payload)))
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.show_state({"online": not offline, "last_sync": None, "queue": 0, "errors": []})

    def show_state(self, state: dict) -> None:
        if self.offline:
            state = {**state, "online": False}
            first = "Offline (started with --offline): carrier writes wait in the queue"
        else:
            first = "Online" if state.get("online", True) else "Offline: writes wait until the network is back"
        parts = [first, f"synced {_clock(state.get('last_sync'))}"]
        queue = int(state.get("queue") or 0)
        if queue:
            parts.append(f"{queue} queued" + (f" ({state['unknown']} being checked)" if state.get("unknown") else ""))
        failed, errors = int(state.get("failed") or 0), list(state.get("errors") or [])
        if failed:
            parts.append(f"{failed} refused")
        if errors:
            parts.append(f"{len(errors)} error{'s' if len(errors) != 1 else ''}")
        self.setText(" · ".join(parts))
        self.setToolTip(plain_tooltip("\n".join(["Recent carrier errors:", *errors])) if errors else "No recent carrier errors")
        self.setProperty("online", bool(state.get("online", True)))
        self.setStyleSheet("" if state.get("online", True) else "color: #b00020; font-weight: bold;")

    def mousePressEvent(self, event) -> None:
        self.open_queue_requested.emit()
        super().mousePressEvent(event)


class OutboxPanel(QWidget):
    """Queued carrier writes, oldest first, each cancellable while it has not reached the carrier."""

    COLUMNS = ("#", "Carrier", "What", "Shipment", "State", "Tries", "Next try", "Last error")
    refresh_requested = Signal()

    def __init__(self, service: OutboxService, hub: EventHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.entries: list[OutboxEntry] = []
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.empty = QLabel("Nothing waiting: every carrier write has gone out.")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel_button = QPushButton("Cancel selected write")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Withdraw a write that has not reached the carrier yet")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty, 1)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.refresh_requested.connect(self.refresh)
        self._unsubscribe = hub.subscribe("sync.state", lambda *_: self.refresh_requested.emit())
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected_entry()
        self.entries = self.service.queued()
        names = self.service.carrier_names() if self.entries else {}
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            values = (str(entry.id), carrier_text(entry.carrier, names), _WHAT.get(entry.operation, entry.operation), str(entry.shipment_id or ""),
                      _STATE.get(entry.state, entry.state), str(entry.attempts),
                      _clock(entry.next_attempt_at) if entry.state in ("pending", "unknown") else "", entry.last_error)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)  # plain text: carrier messages are never interpreted as markup
                item.setToolTip(plain_tooltip(value))
                self.table.setItem(row, column, item)
            if selected is not None and entry.id == selected.id:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not self.entries)
        self._update_buttons()

    def selected_entry(self) -> OutboxEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def select_entry(self, entry_id: int) -> None:
        for row, entry in enumerate(self.entries):
            if entry.id == entry_id:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        self.cancel_button.setEnabled(entry is not None and entry.cancellable)

    def cancel_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        try:
            self.service.cancel(entry.id)
        except UserFacingError as error:
            self.message.setText(str(error))
        else:
            self.message.setText(f"Write #{entry.id} withdrawn; it will not be sent.")
        self.refresh()
