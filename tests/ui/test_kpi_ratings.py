"""The scorecard's customer ratings through qtbot: CSAT per carrier, van, driver and option, each beside the number
asked, the replies and the response rate; why low scores were low."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from ratings_facts import RatedDeliveries  # noqa: E402

from controltower.control.kpis import KpiService  # noqa: E402
from controltower.domain import DeliveryOption  # noqa: E402
from controltower.ui.kpis import KpiPanel  # noqa: E402

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)


def cells(table):
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_ratings_table_shows_csat_with_its_replies_and_response_rate(qtbot, store):
    with time_machine.travel(NOW, tick=False):
        rated = RatedDeliveries(store, NOW - timedelta(days=1))
        zippy = [rated.asked(carrier="zippy") for _ in range(4)]
        rated.rate(zippy[0], 5)
        rated.rate(zippy[1], 2, reason="damaged")
        van = rated.asked(carrier="own_fleet", option=DeliveryOption.SAME_DAY, van=("Van 1", "Sam"))
        rated.rate(van, 1, reason="damaged")
        panel = KpiPanel(KpiService(store), now=NOW)
        qtbot.addWidget(panel)
        panel.show()
        with qtbot.waitSignal(panel.updated, timeout=10000):
            panel.set_period(7)
    rows = {(row[0], row[1]): row[2:] for row in cells(panel.csat)}
    #                                  asked replies response CSAT average low
    assert rows[("Carrier", "zippy")] == ["4", "2", "50%", "50%", "3.5", "1"]
    assert rows[("Driver", "Sam")] == ["1", "1", "100%", "0%", "1.0", "1"]
    assert rows[("Van", "Van 1")] == ["1", "1", "100%", "0%", "1.0", "1"]
    assert rows[("Option", "same day")] == ["1", "1", "100%", "0%", "1.0", "1"]
    assert cells(panel.reasons) == [["Damaged", "2", "100%"]]
    assert "never counted as satisfied" in panel.csat.horizontalHeaderItem(5).toolTip()


def test_no_replies_show_no_csat(qtbot, store):
    with time_machine.travel(NOW, tick=False):
        RatedDeliveries(store, NOW - timedelta(hours=3)).asked(carrier="zippy")
        panel = KpiPanel(KpiService(store), now=NOW)
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.updated, timeout=10000):
            panel.set_period(7)
    assert cells(panel.csat)[0] == ["Carrier", "zippy", "1", "0", "0%", "–", "–", "0"]
    assert cells(panel.reasons) == []
