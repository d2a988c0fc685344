"""History and forecast of one series on one chart: the 80 % and 95 % bands, and last year's same days, faint."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

HISTORY_SHOWN = 56  # days of history before the forecast: eight weeks show the weekly pattern and the trend
LAST_YEAR = timedelta(days=364)  # the same weekday a year before


def _x(day: date) -> float:
    return datetime.combine(day, time(12)).timestamp() * 1000  # noon: a day's point sits in the middle of its day


class ForecastChart(QChartView):
    """`show_series(series)` with a SeriesForecast (history, days with p50 and both intervals, last_year)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(260)
        self.chart_ = QChart()
        self.chart_.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_.setMargins(self.chart_.margins() * 0)
        self.setChart(self.chart_)
        self.shown: dict[str, int] = {}  # series name -> points drawn (what a test or a reader can check)
        self._lines: list[QLineSeries] = []

    def show_series(self, series) -> None:
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.shown, self._lines = {}, []
        history = list(series.history)[-HISTORY_SHOWN:]
        counts = dict(series.history)
        days = list(series.days)
        band95 = self._band("95 % of days fall in here", [(d.day, d.lo95, d.hi95) for d in days], QColor(46, 134, 193, 45))
        band80 = self._band("80 % of days fall in here", [(d.day, d.lo80, d.hi80) for d in days], QColor(46, 134, 193, 95))
        past = self._line("Orders per day", [(day, n) for day, n in history], QColor("#34495e"), 2)
        expected = self._line("Expected (median)", ([history[-1]] if history else []) + [(d.day, d.p50) for d in days],
                              QColor("#1f6fa8"), 2.5)
        year_ago = [(day, counts.get(day - LAST_YEAR)) for day, _ in history]
        year_ago += [(d.day, d.last_year if d.last_year is not None else counts.get(d.day - LAST_YEAR)) for d in days]
        last_year = self._line("Same days last year", [(day, n) for day, n in year_ago if n is not None],
                               QColor(120, 120, 120, 120), 1.2, Qt.PenStyle.DashLine)
        x_axis, y_axis = QDateTimeAxis(), QValueAxis()
        x_axis.setFormat("d MMM")
        x_axis.setTickCount(9)
        y_axis.setLabelFormat("%d")
        y_axis.setTitleText("orders")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        top = max([n for _, n in history] + [d.hi95 for d in days] + [1])
        for item in (band95, band80, last_year, past, expected):
            if item is None:
                continue
            chart.addSeries(item)
            item.attachAxis(x_axis)
            item.attachAxis(y_axis)
        y_axis.setRange(0, top * 1.08)
        y_axis.applyNiceNumbers()
        first = history[0][0] if history else (days[0].day if days else date.today())
        last = days[-1].day if days else first
        x_axis.setRange(datetime.combine(first, time(0)), datetime.combine(last + timedelta(days=1), time(0)))
        chart.setTitle(f"{series.key.label}: the last {len(history)} days and the next {len(days)}")

    def _line(self, name: str, points, colour: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QLineSeries | None:
        if not points:
            return None
        line = QLineSeries()
        line.setName(name)
        pen = QPen(colour, width)
        pen.setStyle(style)
        line.setPen(pen)
        line.append([QPointF(_x(day), float(n)) for day, n in points])
        self.shown[name] = len(points)
        return line

    def _band(self, name: str, rows, colour: QColor) -> QAreaSeries | None:
        if not rows:
            return None
        lower, upper = QLineSeries(), QLineSeries()
        lower.append([QPointF(_x(day), float(lo)) for day, lo, _ in rows])
        upper.append([QPointF(_x(day), float(hi)) for day, _, hi in rows])
        band = QAreaSeries(upper, lower)
        band.setName(name)
        band.setColor(colour)
        band.setBorderColor(QColor(0, 0, 0, 0))
        self._lines += [lower, upper]  # QAreaSeries does not own its lines: kept alive while it is shown
        self.shown[name] = len(rows)
        return band
