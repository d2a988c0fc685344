"""'Today' is the shop's day: at 19:10 in Portland the KPI panel, KpiService and `controltower export kpis` all count
Portland's 24 November (UTC is already on the 25th), and the panel and the export give the same numbers."""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.cli import main as controltower  # noqa: E402
from controltower.control.kpis import KpiService  # noqa: E402
from controltower.domain import ShipmentStatus as S  # noqa: E402
from controltower.domain.timeutil import UTC  # noqa: E402
from controltower.exports.kpis import in_units  # noqa: E402
from controltower.store import shop_clock  # noqa: E402
from controltower.ui.kpis import KpiPanel  # noqa: E402

PORTLAND_EVENING = datetime(2026, 11, 25, 3, 10, tzinfo=UTC)  # 19:10 on Tuesday 24 Nov in Portland


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def portland(store):
    """Three deliveries on the shop's 24 Nov: two on time in the morning, one late at 18:00 (02:00 UTC on the 25th)."""
    store.set_setting(shop_clock.SETTING, "America/Los_Angeles")
    f = Facts(store)
    for promised_end, delivered in ((utc(24, 20), utc(24, 18)), (utc(24, 20), utc(24, 17)), (utc(25, 0), utc(25, 2))):
        order = f.order(promised_end=promised_end, created_at=promised_end - timedelta(days=1))
        f.shipment(order, status=S.DELIVERED, status_as_of=delivered, created_at=promised_end - timedelta(days=1),
                   cost=900, quoted=900)
    return store


def test_kpi_service_today_at_1910_in_portland_is_portlands_24th(portland):
    service = KpiService(portland)
    with time_machine.travel(PORTLAND_EVENING, tick=False):
        today = service.last_days(1)
    assert (today.start, today.end, today.label) == (utc(24, 8), utc(25, 8), "Today")
    kpis = {kpi.key: kpi for kpi in service.panels(today)}
    assert kpis["on_time_rate"].display() == "66.7%"  # 2 of 3; the UTC day (the 25th) would say 0.0% (1 late of 1)
    assert kpis["cost_per_delivery"].display() == "$9.00"
    days = service.between(datetime(2026, 11, 24).date(), datetime(2026, 11, 24).date())
    assert (days.start, days.end) == (today.start, today.end)


def test_the_panels_today_equals_what_export_kpis_writes_for_that_day(qtbot, portland, tmp_path):
    panel = KpiPanel(KpiService(portland))
    qtbot.addWidget(panel)
    out = tmp_path / "today.csv"
    with time_machine.travel(PORTLAND_EVENING, tick=False):
        with qtbot.waitSignal(panel.updated, timeout=10000):
            panel.set_period(1)
            panel.refresh()
        assert controltower(["export", "kpis", "--db", str(portland.path), "--out", str(out), "--days", "1"]) == 0
    assert panel.status.text().startswith("Today")
    assert panel.cards["on_time_rate"].value.text() == "66.7%"

    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))  # with the BOM spreadsheets want
    assert {(row["Period start (America/Los_Angeles)"], row["Period end (America/Los_Angeles)"]) for row in rows} == \
        {("2026-11-24 00:00:00", "2026-11-25 00:00:00")}
    exported = {row["KPI"]: row["Current value"] for row in rows}
    on_screen = {card.kpi.label: in_units(card.kpi, card.kpi.value) for card in panel.cards.values()}
    assert exported.keys() == on_screen.keys()
    assert {label: (float(text) if text else None) for label, text in exported.items()} == on_screen
    assert exported["On time"] == "66.67"
