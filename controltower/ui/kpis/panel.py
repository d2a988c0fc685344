"""KPI cards with a trend line and the change against the previous period, and the carrier/driver scorecard."""
from __future__ import annotations

import threading

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QDate, QMargins, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFrame, QGridLayout, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...services.kpis import CsatRow, KpiFilter, KpiService, KpiValue, Period, ReasonRow, ScorecardRow
from ...domain import Money

PERIODS = (("Today", 1), ("Last 7 days", 7), ("Last 30 days", 30), ("Custom…", None))
GOOD, BAD, NEUTRAL = "#1e8449", "#b00020", "#566573"


class Sparkline(QChartView):
    """A small trend line without axes or legend."""

    def __init__(self, parent=None) -> None:
        chart = QChart()
        chart.legend().hide()
        chart.setMargins(QMargins(0, 0, 0, 0))
        chart.setBackgroundVisible(False)
        chart.layout().setContentsMargins(0, 0, 0, 0)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFixedHeight(30)
        self.setStyleSheet("background: transparent")
        self.series = QLineSeries()
        self.series.setPen(QPen(QColor("#2e86c1"), 2))
        chart.addSeries(self.series)
        self.x_axis, self.y_axis = QValueAxis(), QValueAxis()
        for axis, side in ((self.x_axis, Qt.AlignmentFlag.AlignBottom), (self.y_axis, Qt.AlignmentFlag.AlignLeft)):
            axis.setVisible(False)
            chart.addAxis(axis, side)
            self.series.attachAxis(axis)

    def set_points(self, values: tuple[float | None, ...]) -> None:
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        self.series.clear()
        for x, y in points:
            self.series.append(x, y)
        if points:
            low, high = min(y for _, y in points), max(y for _, y in points)
            pad = (high - low) * 0.1 or abs(high) * 0.1 or 1
            self.x_axis.setRange(0, max(len(values) - 1, 1))
            self.y_axis.setRange(low - pad, high + pad)


class KpiCard(QFrame):
    clicked = Signal(object)  # the KpiValue

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.kpi: KpiValue | None = None
        self.compact = False  # no trend line: a laptop screen keeps its height for the queue
        self.title = QLabel()
        self.title.setStyleSheet(f"color: {NEUTRAL}")
        self.value = QLabel("–")
        self.value.setStyleSheet("font-size: 20px; font-weight: 600")
        self.change = QLabel()
        self.trend = Sparkline()
        for label in (self.title, self.value, self.change):
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.change)
        layout.addWidget(self.trend)

    def show_kpi(self, kpi: KpiValue) -> None:
        self.kpi = kpi
        self.title.setText(kpi.label)
        self.value.setText(kpi.display())
        self.change.setText(kpi.change_text())
        colour = NEUTRAL if kpi.improved is None else (GOOD if kpi.improved else BAD)
        self.change.setStyleSheet(f"color: {colour}")
        self.setToolTip(f"{kpi.definition}\nPrevious period: {kpi.display(kpi.previous)}\nClick to see the "
                        f"{'cases' if kpi.filter.target == 'exceptions' else 'orders'} behind it.")
        self.trend.set_points(kpi.trend)
        self.trend.setVisible(bool(kpi.trend) and not self.compact)

    def set_compact(self, compact: bool) -> None:
        self.compact = compact
        if self.kpi is not None:
            self.show_kpi(self.kpi)

    def mouseReleaseEvent(self, event) -> None:
        if self.kpi is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.kpi)
        super().mouseReleaseEvent(event)


class _Signals(QObject):
    done = Signal(object, object, object)  # period, kpis, scorecard
    failed = Signal(str)


class KpiPanel(QWidget):
    """`KpiPanel(kpi_service)`; emits `kpiClicked(KpiFilter)` so the main window can show the orders or cases behind a number."""

    kpiClicked = Signal(object)
    updated = Signal()

    SCORECARD_COLUMNS = ("Who", "Kind", "Volume", "On time", "First attempt", "Cost / delivery", "Exceptions", "Quote accuracy",
                         "Complaints")
    SCORECARD_TIPS = ("Carrier or own driver", "", "Delivery shipments created in the period",
                      "Delivered by the end of the promised window, of those delivered with a promise",
                      "Delivered without a failed attempt first, of those delivered",
                      "Charged cost divided by deliveries with a known cost",
                      "Shipments that had at least one exception case, of the volume",
                      "Charged within 5 % of the quote, of shipments with both", "Complaint cases logged for these orders")

    CSAT_COLUMNS = ("By", "Who", "Asked", "Replies", "Response rate", "CSAT", "Average", "Low (1-2)")
    CSAT_TIPS = ("Driver, van, carrier or delivery option", "",
                 "Delivered orders whose rating question went out in the period",
                 "Customers who replied with a score", "Replies of those asked",
                 "Replies of 4 or 5, of the replies (a delivery nobody rated is never counted as satisfied)",
                 "Average score of the replies", "Replies of 1 or 2 (each opened a case)")

    def __init__(self, service: KpiService, parent=None, *, now=None, columns: int = 5, tables_apart: bool = False) -> None:
        """`tables_apart`: the scorecard and cost tables go in `self.tables` for the caller to place (e.g. a tab)."""
        super().__init__(parent)
        self.service = service
        self.columns = columns
        self.compact = False
        self._now = now
        self.period_box = QComboBox()
        for label, days in PERIODS:
            self.period_box.addItem(label, days)
        self.period_box.setCurrentIndex(0)
        self.custom_from, self.custom_to = QDateEdit(), QDateEdit()
        for edit in (self.custom_from, self.custom_to):
            edit.setCalendarPopup(True)
            edit.setVisible(False)
            edit.setDate(QDate.currentDate())
        self.custom_from.setDate(QDate.currentDate().addDays(-13))
        self.status = QLabel()
        header = QHBoxLayout()
        header.addWidget(QLabel("Period"))
        header.addWidget(self.period_box)
        header.addWidget(self.custom_from)
        header.addWidget(self.custom_to)
        header.addStretch(1)
        header.addWidget(self.status)

        self.cards: dict[str, KpiCard] = {}
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        self.scorecard = _table(self.SCORECARD_COLUMNS, self.SCORECARD_TIPS)

        self.costs = QTableWidget(0, 4)
        self.costs.setHorizontalHeaderLabels(("By", "Deliveries", "Cost / delivery", "Cost / parcel"))
        self.costs.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.costs.verticalHeader().hide()
        self.costs.setToolTip("What was charged for deliveries in the period, by carrier and by delivery option")
        self.csat = _table(self.CSAT_COLUMNS, self.CSAT_TIPS)
        self.reasons = _table(("Why", "Low scores", "Share"))
        self.reasons.setToolTip("What customers who rated 1 or 2 answered to the one follow-up question")
        tables = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(QLabel("Scorecard: carriers and own drivers"))
        left.addWidget(self.scorecard)
        left.addWidget(QLabel("Customer ratings: satisfied (4-5) of the replies, beside how many replied"))
        left.addWidget(self.csat)
        right.addWidget(QLabel("Costs by carrier and option"))
        right.addWidget(self.costs)
        right.addWidget(QLabel("Why low scores were low"))
        right.addWidget(self.reasons)
        tables.addLayout(left, 3)
        tables.addLayout(right, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(self.grid)
        if tables_apart:
            self.tables = QWidget()
            self.tables.setLayout(tables)
            layout.addStretch(1)
        else:
            self.tables = self
            layout.addLayout(tables, 1)

        self._signals = _Signals()
        self._signals.done.connect(self._show)
        self._signals.failed.connect(lambda text: self.status.setText(text))
        self._generation = 0
        self.period_box.currentIndexChanged.connect(self._period_changed)
        self.custom_from.dateChanged.connect(self.refresh)
        self.custom_to.dateChanged.connect(self.refresh)

    def period(self) -> Period:
        days = self.period_box.currentData()
        if days:
            return self.service.last_days(days, self._now)  # the shop's days, never UTC's
        return self.service.between(self.custom_from.date().toPython(), self.custom_to.date().toPython())

    def set_period(self, days: int | None) -> None:
        self.period_box.setCurrentIndex(next(i for i, (_, d) in enumerate(PERIODS) if d == days))

    def _period_changed(self) -> None:
        custom = self.period_box.currentData() is None
        self.custom_from.setVisible(custom)
        self.custom_to.setVisible(custom)
        self.refresh()

    def refresh(self) -> None:
        """Compute in a worker thread (its own read connection); the newest request wins."""
        self._generation += 1
        generation, period = self._generation, self.period()
        self.status.setText("Updating…")

        def work() -> None:
            try:
                kpis = self.service.panels(period)
                scorecard = self.service.scorecard(period)
                costs = self.service.cost_breakdown(period)
                ratings = (self.service.csat(period), self.service.low_score_reasons(period))
            except Exception as exc:  # shown, not swallowed
                self._signals.failed.emit(f"Could not compute the KPIs: {exc}")
                return
            self._signals.done.emit((generation, period, costs, ratings), kpis, scorecard)

        threading.Thread(target=work, name="kpis", daemon=True).start()

    def _show(self, tagged, kpis: list[KpiValue], scorecard: list[ScorecardRow]) -> None:
        generation, period, costs, (csat, reasons) = tagged
        if generation != self._generation:
            return  # an older period's numbers arrived late
        for position, kpi in enumerate(kpis):
            card = self.cards.get(kpi.key)
            if card is None:
                card = self.cards[kpi.key] = KpiCard()
                card.set_compact(self.compact)
                card.clicked.connect(lambda value: self.kpiClicked.emit(value.filter))
                self.grid.addWidget(card, position // self.columns, position % self.columns)
            card.show_kpi(kpi)
        self._fill_scorecard(scorecard)
        self._fill_costs(costs)
        self._fill_ratings(csat, reasons)
        self.status.setText(f"{period.label}, compared with the period before")
        self.updated.emit()

    def set_compact(self, compact: bool) -> None:
        """Cards without their trend lines, for a short screen."""
        self.compact = compact
        for card in self.cards.values():
            card.set_compact(compact)

    def _fill_costs(self, rows) -> None:
        self.costs.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = (row.name.replace("_", " ").capitalize(), f"{row.deliveries:,}",
                     _money(row.cost_per_delivery, self.service.currency), _money(row.cost_per_parcel, self.service.currency))
            for c, text in enumerate(cells):
                self.costs.setItem(r, c, QTableWidgetItem(text))
        self.costs.resizeColumnsToContents()

    def _fill_scorecard(self, rows: list[ScorecardRow]) -> None:
        _fill(self.scorecard, [(row.name.replace("_", " "), row.kind.capitalize(), f"{row.volume:,}", _pct(row.on_time_rate),
                                _pct(row.first_attempt_rate), _money(row.cost_per_delivery, row.currency),
                                _pct(row.exception_rate), _pct(row.quote_accuracy), str(row.complaints)) for row in rows], 2)

    def _fill_ratings(self, rows: list[CsatRow], reasons: list[ReasonRow]) -> None:
        _fill(self.csat, [(row.group.capitalize(), row.name.replace("_", " "), f"{row.asked:,}", f"{row.replies:,}",
                           _pct(row.response_rate), _pct(row.csat),
                           "–" if row.average is None else f"{row.average:.1f}", f"{row.low:,}") for row in rows], 2)
        _fill(self.reasons, [(row.label, f"{row.count:,}", _pct(row.share)) for row in reasons], 1)


def _table(columns, tips=()) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    for column, tip in enumerate(tips):
        table.horizontalHeaderItem(column).setToolTip(tip)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]], numbers_from: int) -> None:
    """Text cells; the numbers (columns from `numbers_from` on) right-aligned."""
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c >= numbers_from:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _money(value: float | None, currency: str) -> str:
    return "–" if value is None else Money(int(round(value)), currency).format()


def describe_filter(kpi_filter: KpiFilter) -> str:
    """The filter a click asks for, in words (for the status bar)."""
    parts = [kpi_filter.target]
    if kpi_filter.statuses:
        parts.append("status " + "/".join(kpi_filter.statuses))
    if kpi_filter.carriers:
        parts.append("carrier " + "/".join(kpi_filter.carriers))
    return ", ".join(parts)
