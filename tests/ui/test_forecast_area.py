"""The forecast area through qtbot: the chart with both bands, the accuracy in plain words, the van plan with its
warning row, the slot caps, and 'Refresh now' handing the work to the app's background job."""
from __future__ import annotations

from dataclasses import replace

import pytest
import time_machine
from PySide6.QtCore import Qt

from capacity_shop import NOW, TOMORROW, WORDS, make_one_van_shop, report_with
from controltower.forecast import reports
from controltower.forecast.model import SeriesKey
from controltower.services.capacity import compute_plan
from controltower.services.core import ControlTower, Options
from controltower.services.jobs import JobStatus
from controltower.ui.forecast import ForecastView
from controltower.ui.forecast.view import WARNING_BACKGROUND


@pytest.fixture
def area(qtbot, store):
    """The area over a stored forecast (15 orders tomorrow at p80: one van of 10 parcels is short) and its van plan."""
    shop = make_one_van_shop(store)
    report = report_with(TOMORROW, 8, 15)
    near = replace(report.total, key=SeriesKey("Near"), simple_reason="only 28 days of history: under two weekly "
                                                                       "cycles of backtest", method="Simple: mean of recent days")
    report = replace(report, by_series=(near,))
    with time_machine.travel(NOW, tick=False):
        with shop.transaction() as conn:
            reports.save_report(conn, report)
        core = ControlTower(shop, options=Options(sync=False))
        core.capacity.save(compute_plan(core.capacity.inputs(report, NOW)))  # the real route planner, in the test
    asked = []
    view = ForecastView(core.forecast, core.capacity, lambda: asked.append(True),
                        lambda: JobStatus("forecast", "Forecast and van plan", state="running") if asked else None)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.reload()
    view.asked = asked
    return view


def test_the_chart_shows_history_forecast_both_bands_and_the_accuracy_in_words(area):
    assert area.selector.currentText() == "All orders"
    assert area.chart.shown["Orders per day"] == 28
    assert area.chart.shown["Expected (median)"] == 2  # joined to the last day of history
    assert area.chart.shown["80 % of days fall in here"] == 1 and area.chart.shown["95 % of days fall in here"] == 1
    assert "All orders: the last 28 days and the next 1" in area.chart.chart_.title()
    assert area.accuracy.text() == f"{WORDS} Method: ETS."
    assert area.simple.isHidden()


def test_a_short_series_says_it_is_a_simple_forecast(area, qtbot):
    area.selector.setCurrentIndex(area.selector.findText("Near"))
    assert area.chart.chart_.title().startswith("Near:")
    assert area.simple.isVisible()
    assert area.simple.text() == ("Simple forecast (Simple: mean of recent days): only 28 days of history: under two "
                                  "weekly cycles of backtest")


def test_the_van_plan_has_a_warning_row_and_the_slot_caps(area):
    table = area.plan_table
    assert table.rowCount() == 1
    cells = [table.item(0, column).text() for column in range(table.columnCount())]
    assert cells[:5] == ["Wed 25 Nov", "8 · 15", "1 · 2 of 1", "2 of 1", "5 (33%)"]
    assert cells[6] == "Wed 25th: 1 van short at the 80 % level"
    assert table.item(0, 6).background().color() == WARNING_BACKGROUND
    assert area.warnings.text() == "⚠ Wed 25th: 1 van short at the 80 % level"
    caps = area.caps_table
    headers = [caps.horizontalHeaderItem(c).text() for c in range(caps.columnCount())]
    assert headers[:3] == ["Slot caps", "10:00–12:00", "12:00–14:00"]
    assert caps.item(0, 0).text() == "Wed 25 Nov" and 0 < int(caps.item(0, 1).text()) <= 10


def test_refresh_now_asks_the_app_and_says_it_is_working(area, qtbot):
    qtbot.mouseClick(area.refresh_button, Qt.MouseButton.LeftButton)
    assert area.asked == [True]
    assert not area.refresh_button.isEnabled()
    assert area.status.text() == "Refreshing the forecast and the van plan in the background…"
