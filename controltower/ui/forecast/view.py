"""The forecast area: a series' history and forecast, its accuracy in words, the van plan and the slot caps."""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from ...domain import Money
from ..plain import plain_tooltip
from ..tasks import run_in_thread
from .chart import ForecastChart

log = logging.getLogger(__name__)

PLAN_COLUMNS = ("Day", "Van orders\nmedian · 80 %", "Vans needed\nmedian · 80 %", "Drivers\nat 80 %",
                "Left to couriers\nat 80 %", "Courier cost\nat 80 %", "Warning")
WARNING_BACKGROUND = QColor("#fdecea")


class _Relay(QObject):
    changed = Signal()  # a new forecast was stored (hub events arrive on any thread)
    job = Signal()  # the forecast job changed state


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)  # zone names and holiday notes are the shop's or a package's text
    label.setWordWrap(True)
    return label


class ForecastView(QWidget):
    """Reads the latest forecast and van plan in a worker; 'Refresh now' asks the app's forecast job to run."""

    loaded = Signal()  # a forecast (or the word that there is none yet) is on screen

    def __init__(self, forecast, capacity, refresh_now: Callable[[], None], job_status: Callable[[], object | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.forecast, self.capacity, self.refresh_now, self.job_status = forecast, capacity, refresh_now, job_status
        self.report = self.plan = self.zone = None
        self._relay = _Relay(self)
        self._relay.changed.connect(self.reload)
        self._relay.job.connect(self._show_job)
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        self.selector = QComboBox()
        self.selector.setMinimumContentsLength(28)
        self.selector.currentIndexChanged.connect(self._series_chosen)
        top.addWidget(self.selector)
        self.status = _plain(QLabel("Reading the forecast…"))
        top.addWidget(self.status, 1)
        self.refresh_button = QPushButton("Refresh now")
        self.refresh_button.setToolTip("Make the forecast and the van plan again now, in the background")
        self.refresh_button.clicked.connect(self._refresh_clicked)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        self.chart = ForecastChart()
        upper_layout.addWidget(self.chart, 1)
        self.accuracy = _plain(QLabel(""))
        self.simple = _plain(QLabel(""))
        self.simple.setStyleSheet("background: #fff4d6; padding: 4px; border-radius: 3px;")
        self.simple.hide()
        upper_layout.addWidget(self.simple)
        upper_layout.addWidget(self.accuracy)
        splitter.addWidget(upper)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.warnings = _plain(QLabel(""))
        self.warnings.setStyleSheet("color: #a61b1b; font-weight: bold;")
        lower_layout.addWidget(self.warnings)
        tables = QSplitter(Qt.Orientation.Horizontal)
        self.plan_table = self._table(PLAN_COLUMNS)
        self.caps_table = self._table(("Day",))
        tables.addWidget(self.plan_table)
        tables.addWidget(self.caps_table)
        tables.setStretchFactor(0, 3)
        tables.setStretchFactor(1, 2)
        lower_layout.addWidget(tables, 1)
        self.plan_note = _plain(QLabel(""))
        self.plan_note.setStyleSheet("color: #555;")
        lower_layout.addWidget(self.plan_note)
        splitter.addWidget(lower)
        splitter.setSizes([440, 480])  # the van plan's two weeks show without scrolling under a readable chart
        layout.addWidget(splitter, 1)

    @staticmethod
    def _table(columns) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)  # 14 days fit without scrolling
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    # ------------------------------------------------------------------ data
    def follow(self, hub) -> None:
        hub.subscribe("forecast.changed", lambda _topic, _payload: self._relay.changed.emit())
        hub.subscribe("jobs.changed", lambda _topic, payload: payload.get("name") == "forecast" and self._relay.job.emit())

    def has_data(self) -> bool:
        """A forecast and its van plan are shown (not the word that there is none yet)."""
        return self.report is not None and self.plan is not None

    def reload(self) -> None:
        """The latest forecast, van plan and slot caps, read in a worker."""
        forecast, capacity = self.forecast, self.capacity

        def read():
            plan = capacity.latest()
            return forecast.latest(), plan, capacity.caps_by_day(plan) if plan is not None else [], capacity.zone()

        run_in_thread(read, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        log.error("the forecast could not be read: %s", exc)
        self.status.setText(f"The forecast could not be read: {exc}")
        self.loaded.emit()

    def _show(self, data) -> None:
        self.report, self.plan, caps, self.zone = data
        self._fill_selector()
        self._show_plan(self.plan)
        self._show_caps(caps)
        self._show_job()
        self.loaded.emit()

    def _fill_selector(self) -> None:
        chosen = self.selector.currentData()
        self.selector.blockSignals(True)
        self.selector.clear()
        for key in (self.report.keys() if self.report is not None else []):
            self.selector.addItem(key.label, key)
        index = max(0, self.selector.findData(chosen)) if chosen is not None else 0
        self.selector.setCurrentIndex(index)
        self.selector.blockSignals(False)
        self._series_chosen()

    def _series_chosen(self, *_args) -> None:
        key = self.selector.currentData()
        series = self.report.series(key) if self.report is not None and key is not None else None
        if series is None:
            self.accuracy.setText("No forecast yet: it is made in the background after the shop closes each day, "
                                  "or now with Refresh now.")
            self.simple.hide()
            return
        self.chart.show_series(series)
        words = series.accuracy.words if series.accuracy is not None and series.accuracy.words else (
            "No backtest yet: too little history to measure how far off the forecast is.")
        self.accuracy.setText(f"{words} Method: {series.method}.")
        self.simple.setVisible(bool(series.simple_reason))
        self.simple.setText(f"Simple forecast ({series.method}): {series.simple_reason}" if series.simple_reason else "")

    def _show_plan(self, plan) -> None:
        table = self.plan_table
        table.setRowCount(0)
        if plan is None:
            self.warnings.setText("")
            self.plan_note.setText("No van plan yet: it is made with the forecast.")
            return
        rows = sorted([(day.day, day) for day in plan.days] + [(day, why) for day, why in plan.closed],
                      key=lambda row: row[0])
        for when, item in rows:
            if isinstance(item, str):
                self._add_row(table, (f"{when:%a %d %b}", "", "", "", "", "", f"Closed: {item}"), warn=False)
                continue
            p50, p80 = item.p50, item.p80
            cost = plan.courier_cost(item)
            share = f" ({p80.courier_stops / p80.orders:.0%})" if p80.orders else ""
            self._add_row(table, (
                f"{when:%a %d %b}", f"{p50.orders} · {p80.orders}",
                f"{p50.vans_needed} · {p80.vans_needed}{'' if p80.enough else '+'} of {item.own_vans}",
                f"{item.drivers_needed_p80} of {item.drivers}", f"{p80.courier_stops}{share}",
                Money(cost, plan.currency).format() if cost else "—", item.warning()), warn=bool(item.warning()))
        warnings = plan.warnings()
        if len(warnings) > 2:  # one line: the days, the table says how short each is
            days = ", ".join(w.split(":")[0] for w in warnings)
            self.warnings.setText(f"⚠ {len(warnings)} days short of vans: {days} (see the rows below)")
        else:
            self.warnings.setText("⚠ " + "; ".join(warnings) if warnings else "The vans suffice on every day planned.")
        if plan.note:
            self.warnings.setText(plan.note)
        self.plan_note.setText(
            f"Vans take {plan.van_share:.0%} of the shop's orders (the last 4 weeks). Each day is planned with the route "
            "planner on stops drawn from recent van deliveries, at the median and at the 80th percentile of the "
            f"forecast. Made {plan.made_at.astimezone(self.zone):%a %d %b %H:%M}.")

    @staticmethod
    def _add_row(table: QTableWidget, cells, warn: bool) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(str(text))
            item.setToolTip(plain_tooltip(str(text)))
            if warn:
                item.setBackground(QBrush(WARNING_BACKGROUND))
            table.setItem(row, column, item)

    def _show_caps(self, caps) -> None:
        """caps: [(day, ((slot label, cap), ...))] as the capacity service gives them."""
        table = self.caps_table
        labels = []
        for _day, slots in caps:
            labels += [label for label, _ in slots if label not in labels]
        table.setColumnCount(1 + len(labels))
        table.setHorizontalHeaderLabels(["Slot caps"] + labels)
        table.clearSpans()
        table.setRowCount(0)
        for day, slots in caps:
            by_label = dict(slots)
            cells = [str(by_label.get(label, "")) for label in labels] if slots else ["no delivery slots that day"]
            self._add_row(table, [f"{day:%a %d %b}"] + cells, warn=False)
            if not slots and len(labels) > 1:
                table.setSpan(table.rowCount() - 1, 1, 1, len(labels))

    def _show_job(self) -> None:
        status = self.job_status()
        running = status is not None and status.state == "running"
        self.refresh_button.setEnabled(not running)
        if running:
            self.status.setText("Refreshing the forecast and the van plan in the background…")
        elif status is not None and status.state == "failed" and status.last_error:
            self.status.setText(f"The last refresh failed: {status.last_error}")
        elif self.report is not None:
            self.status.setText(f"Made {self.report.made_at.astimezone(self.zone):%a %d %b %H:%M} from "
                                f"{self.report.history_days} days of history.")
        else:
            self.status.setText("No forecast yet.")

    def _refresh_clicked(self) -> None:
        self.refresh_now()
        self.refresh_button.setEnabled(False)
        self.status.setText("Refreshing the forecast and the van plan in the background…")
