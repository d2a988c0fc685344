"""The KPI panel through qtbot: cards show the numbers, tooltips define them, a click hands over the filter behind them."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.control.kpis import KpiService  # noqa: E402
from controltower.domain import ShipmentStatus as S  # noqa: E402
from controltower.domain.timeutil import UTC, to_iso  # noqa: E402
from controltower.ui.kpis import KpiPanel  # noqa: E402

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def panel(qtbot, store):
    f = Facts(store)
    for hours_late, carrier in ((-1, "zippy"), (-2, "zippy"), (3, "zippy"), (-1, "parcelco")):
        promised = NOW - timedelta(days=2)
        order = f.order(promised_end=promised, created_at=promised - timedelta(days=1))
        f.shipment(order, carrier=carrier, status=S.DELIVERED, status_as_of=promised + timedelta(hours=hours_late),
                   created_at=promised - timedelta(days=1), cost=900, quoted=900)
    widget = KpiPanel(KpiService(store), now=NOW)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    with qtbot.waitSignal(widget.updated, timeout=10000):
        widget.set_period(7)
    return widget


def test_cards_show_values_with_definitions(panel):
    on_time = panel.cards["on_time_rate"]
    assert on_time.value.text() == "75.0%"
    assert "promised window" in on_time.toolTip()
    assert panel.cards["cost_per_delivery"].value.text() == "$9.00"
    assert on_time.change.text() == "no earlier data"
    assert on_time.trend.series.count() == 1  # one day with deliveries


def test_clicking_a_kpi_emits_its_filter(qtbot, panel):
    with qtbot.waitSignal(panel.kpiClicked) as signal:
        qtbot.mouseClick(panel.cards["open_exceptions"], Qt.MouseButton.LeftButton)
    assert signal.args[0].target == "exceptions"
    with qtbot.waitSignal(panel.kpiClicked) as signal:
        qtbot.mouseClick(panel.cards["on_time_rate"], Qt.MouseButton.LeftButton)
    assert signal.args[0].target == "orders" and signal.args[0].statuses == ("delivered",)


def test_scorecard_rows_per_carrier(panel):
    table = panel.scorecard
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())}
    assert rows["zippy"][2:6] == ["3", "67%", "100%", "$9.00"]
    assert rows["parcelco"][3] == "100%"


def test_switching_period_recomputes(qtbot, panel):
    with qtbot.waitSignal(panel.updated, timeout=10000):
        panel.set_period(1)
    assert panel.cards["on_time_rate"].value.text() == "–"
    assert panel.status.text().startswith("Today")


def test_cost_table_by_carrier_and_option(panel):
    table = panel.costs
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 4)] for r in range(table.rowCount())}
    assert rows["Zippy"] == ["3", "$9.00", "$9.00"] and rows["Standard"] == ["4", "$9.00", "$9.00"]
