"""The exception queue: what needs the shop owner now, most severe first, with one-click actions on selected rows."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableView,
    QToolButton, QVBoxLayout, QWidget,
)

from ...domain import TimeWindow
from ...domain.timeutil import utcnow
from ...kernel.errors import UserFacingError
from ...services.control import KIND_LABELS, ActionResult, CaseFilter, CaseRow, ControlService, ExceptionEngine
from ...services.notifications import NotificationService
from ..notifications.composer import MessageComposer
from .dialogs import ReassignDialog, RebookDialog, RescheduleDialog, ResolveDialog
from ..plain import carrier_text, plain_tooltip

SEVERITY_COLOURS = {"critical": "#b00020", "high": "#d35400", "medium": "#b7950b", "low": "#7f8c8d"}


def age_text(opened: datetime, now: datetime) -> str:
    minutes = int((now - opened).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


SEVERITY, CARRIER, WHAT_HAPPENED, SUGGESTED = 0, 4, 5, 7  # "What happened" stretches; the others go first when narrow
NARROW, NARROWER = 900, 760  # widths (px) below which Severity and Suggested, then Carrier, give their room


class CaseModel(QAbstractTableModel):
    COLUMNS = ("Severity", "Problem", "Order", "Customer", "Carrier", "What happened", "Open for", "Suggested")

    def __init__(self, carrier_names=dict) -> None:
        super().__init__()
        self.carrier_names = carrier_names  # () -> {code: the account's name}, read at each reload
        self.names: dict[str, str] = {}
        self.rows: list[CaseRow] = []
        self.now = utcnow()

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self.rows, self.now, self.names = rows, utcnow(), self.carrier_names()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            # Plain text cells: Qt item views do not interpret HTML, so untrusted names show as typed.
            return (row.severity.value.capitalize(), row.kind_label, row.order_ref, row.customer_name,
                    carrier_text(row.carrier, self.names), row.summary, age_text(row.opened_at, self.now), row.suggested_action)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column in (SEVERITY, 1):  # the problem too: Severity may be hidden
            return QBrush(QColor(SEVERITY_COLOURS[row.severity.value]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(f"{row.severity.value.capitalize()}: {row.summary}\nSuggested: {row.suggested_action}")
        return None


class _RefreshSignals(QObject):
    finished = Signal(object)
    failed = Signal(str)
    changed = Signal()  # the store's cases changed (published on any thread)


class ExceptionQueueView(QWidget):
    """`ExceptionQueueView(control_service, engine, notifications=...)`; `refresh_rules()` re-runs the rules in a
    worker thread. `notifications` (the app's NotificationService) tells the message composer who the customer is."""

    actionDone = Signal(str)  # a sentence for the status bar
    orderActivated = Signal(int)  # double-click: show this order
    rulesChecked = Signal()  # a run of the rules finished and the queue shows its result

    def __init__(self, service: ControlService, engine: ExceptionEngine | None = None, parent=None, *,
                 notifications: NotificationService, carrier_names=dict) -> None:
        super().__init__(parent)
        self.service = service
        self.engine = engine
        self.notifications = notifications
        self.active_dialog = None
        self._kind_filter: str | None = None
        self._signals = _RefreshSignals()
        self._signals.finished.connect(self._rules_refreshed)
        self._signals.failed.connect(self._show_error)
        self._signals.changed.connect(self.reload)
        self._worker: threading.Thread | None = None

        self.chips = QHBoxLayout()
        self.chip_buttons: dict[str, QToolButton] = {}
        self.severity = QComboBox()
        self.severity.addItem("All severities", None)
        for name in ("critical", "high", "medium", "low"):
            self.severity.addItem(name.capitalize(), name)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Order number or customer")
        self.show_snoozed = QCheckBox("Show snoozed")
        self.shown = QLabel()
        self.refresh_button = QPushButton("Check now")
        self.refresh_button.setToolTip("Run every exception rule against the latest facts")
        filters = QHBoxLayout()
        for widget in (self.severity, self.search, self.show_snoozed, self.shown, self.refresh_button):
            filters.addWidget(widget)

        self.model = CaseModel(carrier_names)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self._size_columns()
        self.table.setWordWrap(False)

        self.buttons = {
            "rebook": QPushButton("Re-book…"), "reschedule": QPushButton("Reschedule…"),
            "reassign": QPushButton("Give to own driver…"), "contact": QPushButton("Message customer…"),
            "return": QPushButton("Start return"), "resolve": QPushButton("Resolve…"), "snooze": QPushButton("Snooze 2 h"),
        }
        tips = {
            "rebook": "Cancel with the current carrier and book one of the other quotes",
            "reschedule": "Set a new delivery window and tell the customer",
            "reassign": "Put the delivery on one of your vans' routes",
            "contact": "Write to the customer by email or SMS",
            "return": "Book a return from the customer back to the shop",
            "resolve": "Close the selected cases with a reason",
            "snooze": "Hide the selected cases for two hours",
        }
        actions = QGridLayout()  # two rows: one row of seven made the queue 750 px wide at least
        for position, (key, button) in enumerate(self.buttons.items()):
            button.setToolTip(tips[key])
            actions.addWidget(button, position // 4, position % 4)
        self.message = QLabel()
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(self.chips)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)

        self.severity.currentIndexChanged.connect(self.reload)
        self.search.returnPressed.connect(self.reload)
        self.show_snoozed.toggled.connect(self.reload)
        self.refresh_button.clicked.connect(self.refresh_rules)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda index: self.orderActivated.emit(self.model.rows[index.row()].order_id or 0))
        self.buttons["rebook"].clicked.connect(self.open_rebook)
        self.buttons["reschedule"].clicked.connect(self.open_reschedule)
        self.buttons["reassign"].clicked.connect(self.open_reassign)
        self.buttons["contact"].clicked.connect(self.open_composer)
        self.buttons["return"].clicked.connect(self.start_return)
        self.buttons["resolve"].clicked.connect(self.open_resolve)
        self.buttons["snooze"].clicked.connect(self.snooze)
        self.reload()

    def _size_columns(self) -> None:
        """Short columns fit their contents and headers, "What happened" takes the rest (its full text in the tooltip)."""
        header = self.table.horizontalHeader()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        for column in range(self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHAT_HAPPENED, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SUGGESTED, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(SUGGESTED, header.fontMetrics().horizontalAdvance("Contact the customer") + 16)
        header.setMinimumSectionSize(header.fontMetrics().horizontalAdvance("Open for") + 24)

    def resizeEvent(self, event) -> None:
        """Narrower than all eight columns need (a laptop): Severity (the problem's colour says it) and Suggested
        (in every row's tooltip) give their room to "What happened"; narrower still (1280x800), Carrier too, as
        "What happened" names the carrier itself ("Metro Runners has not collected the parcel…")."""
        width = event.size().width()
        self.table.setColumnHidden(SEVERITY, width < NARROW)
        self.table.setColumnHidden(SUGGESTED, width < NARROW)
        self.table.setColumnHidden(CARRIER, width < NARROWER)
        super().resizeEvent(event)

    # --- reading ---

    def case_filter(self) -> CaseFilter:
        severity = self.severity.currentData()
        return CaseFilter(kinds=(self._kind_filter,) if self._kind_filter else (),
                                severities=(severity,) if severity else (), search=self.search.text(),
                                include_snoozed=self.show_snoozed.isChecked())

    def set_kind_filter(self, kind: str | None) -> None:
        self._kind_filter = kind
        self.reload()

    def show_filter(self, kinds: tuple[str, ...] = (), since=None, until=None) -> None:
        """What a clicked KPI asks for: one kind (or all) of the open cases."""
        self.set_kind_filter(kinds[0] if len(kinds) == 1 else None)

    def reload(self) -> None:
        self.model.set_rows(self.service.open_cases(self.case_filter()))
        counts = self.service.counts_by_kind()
        self._update_chips(counts)
        total = counts.get(self._kind_filter, 0) if self._kind_filter else sum(counts.values())
        self.shown.setText(f"Showing the {len(self.model.rows):,} most urgent of {total:,}" if total > len(self.model.rows) else "")
        self._update_buttons()

    def _update_chips(self, counts: dict[str, int]) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.chip_buttons = {}
        total = sum(counts.values())
        for kind, count in [(None, total)] + sorted(counts.items(), key=lambda kc: -kc[1]):
            label = "All" if kind is None else KIND_LABELS.get(kind, kind)
            chip = QToolButton()
            chip.setText(f"{label} {count}")
            chip.setCheckable(True)
            chip.setChecked(kind == self._kind_filter)
            chip.clicked.connect(lambda _=False, k=kind: self.set_kind_filter(k))
            self.chips.addWidget(chip)
            self.chip_buttons[kind or "all"] = chip
        self.chips.addStretch(1)

    def selected(self) -> list[CaseRow]:
        return [self.model.rows[index.row()] for index in self.table.selectionModel().selectedRows()]

    def select_rows(self, rows: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in rows:
            self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _update_buttons(self, *_) -> None:
        selected = self.selected()
        one = len(selected) == 1
        with_order = bool(selected) and all(case.order_id for case in selected)
        self.buttons["rebook"].setEnabled(one and with_order)
        self.buttons["contact"].setEnabled(one and with_order)
        for key in ("reschedule", "reassign", "return"):
            self.buttons[key].setEnabled(with_order)
        for key in ("resolve", "snooze"):
            self.buttons[key].setEnabled(bool(selected))

    # --- the rules, off the UI thread ---

    def watch(self, hub) -> None:
        """Reload when any part of the app publishes exceptions.changed (safe from worker threads)."""
        hub.subscribe("exceptions.changed", lambda _topic, _payload: self._signals.changed.emit())

    def refresh_rules(self) -> None:
        if self.engine is None or (self._worker and self._worker.is_alive()):
            return
        self.refresh_button.setEnabled(False)
        self.message.setText("Checking…")

        def work() -> None:
            try:
                self._signals.finished.emit(self.engine.refresh())
            except Exception as exc:  # shown to the user, never swallowed
                self._signals.failed.emit(f"Checking failed: {exc}")

        self._worker = threading.Thread(target=work, name="exception-rules", daemon=True)
        self._worker.start()

    def _rules_refreshed(self, result) -> None:
        self.refresh_button.setEnabled(True)
        self.message.setText(f"Checked: {result.opened} new, {result.resolved} closed themselves, {result.still_open} open.")
        self.reload()
        self.rulesChecked.emit()

    # --- actions ---

    def _run(self, action) -> ActionResult | None:
        try:
            result = action()
        except UserFacingError as exc:
            self._show_error(str(exc))
            return None
        self.message.setText(result.message)
        self.actionDone.emit(result.message)
        self.reload()
        return result

    def _show_error(self, text: str) -> None:
        self.refresh_button.setEnabled(True)
        self.message.setText(f"<span style='color:#b00020'>{_escape(text)}</span>")

    def _open(self, dialog, on_accept) -> None:
        self.active_dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.open()

    def open_rebook(self) -> None:
        (case,) = self.selected()
        quotes = self.service.rebook_quotes(case.order_id, case.carrier)
        dialog = RebookDialog(quotes, self, self.model.names)
        self._open(dialog, lambda: dialog.quote_id() and self._run(lambda: self.service.rebook(case.id, dialog.quote_id())))

    def open_reschedule(self) -> None:
        chosen = self.selected()
        dialog = RescheduleDialog(utcnow(), self)

        def apply() -> None:
            start, end = dialog.window()
            window = TimeWindow(start, end) if end >= start else None
            if window is None:
                self._show_error("The window ends before it starts.")
                return
            for order_id in dict.fromkeys(case.order_id for case in chosen):
                ids = [case.id for case in chosen if case.order_id == order_id]
                self._run(lambda o=order_id, i=ids: self.service.reschedule(i, o, window))

        self._open(dialog, apply)

    def open_reassign(self) -> None:
        chosen = self.selected()
        dialog = ReassignDialog(self.service.own_vans(), self)

        def apply() -> None:
            for case in chosen:
                self._run(lambda c=case: self.service.reassign_to_own_driver(c.id, dialog.vehicle_id()))

        self._open(dialog, apply)

    def open_composer(self) -> None:
        (case,) = self.selected()
        composer = MessageComposer(self.service, case.order_id, exception_id=case.id, notifications=self.notifications,
                                   parent=self)
        composer.sent.connect(lambda result: (self.message.setText(result.message), self.actionDone.emit(result.message),
                                              self.reload()))
        self.active_dialog = composer
        composer.open()

    def start_return(self) -> None:
        for case in self.selected():
            self._run(lambda c=case: self.service.start_return(c.id, c.order_id))

    def open_resolve(self) -> None:
        chosen = [case.id for case in self.selected()]
        dialog = ResolveDialog(len(chosen), self)
        self._open(dialog, lambda: self._run(lambda: self.service.resolve(chosen, dialog.reason_text())))

    def snooze(self) -> None:
        chosen = [case.id for case in self.selected()]
        self._run(lambda: self.service.snooze(chosen, utcnow() + timedelta(hours=2)))


def _escape(text: str) -> str:
    import html

    return html.escape(text)
