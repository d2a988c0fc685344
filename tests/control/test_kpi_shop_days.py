"""Multi-day KPI periods count the shop's calendar days, not UTC days, across a daylight-saving change: Portland falls
back on Sunday 2026-11-01, a 25-hour day. Returns logged late in the evening belong to that evening's day."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.control.kpis import KpiService
from controltower.domain import ShipmentStatus as S

from control_facts import Facts

PORTLAND = ZoneInfo("America/Los_Angeles")
TUESDAY_NOON = datetime(2026, 11, 3, 12, 0, tzinfo=PORTLAND)  # "Last 7 days" is Wednesday 28 Oct to Tuesday 3 Nov


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PORTLAND)


@pytest.fixture
def portland_returns(store):
    f = Facts(store)
    f.set("INSERT INTO settings(key, value) VALUES ('shop.timezone', 'America/Los_Angeles')")
    for moment in (local(27, 23, 30, month=10),  # Tuesday evening before the period: UTC already has it on Wednesday
                   local(31, 23, 30, month=10),  # Saturday evening, PDT (UTC Sunday 06:30)
                   local(1, 0, 30), local(1, 23, 30),  # Sunday just after midnight (PDT) and late (PST, UTC Monday 07:30)
                   local(2, 0, 15)):  # Monday just after midnight, PST (UTC 08:15)
        order = f.order(created_at=moment.replace(hour=8))
        f.shipment(order, status=S.RETURNED, status_as_of=moment, created_at=moment.replace(hour=9))
    return store


def returned(store) -> tuple[float, float, tuple]:
    service = KpiService(store)
    kpi = {k.key: k for k in service.panels(service.last_days(7))}["returned"]
    return kpi.value, kpi.previous, kpi.trend


def test_last_seven_days_count_portlands_days_across_the_change(portland_returns):
    with time_machine.travel(TUESDAY_NOON, tick=False):
        value, previous, trend = returned(portland_returns)
        assert (value, previous) == (4, 1)
        assert trend == (0, 0, 0, 1, 2, 1, 0)  # Wed 28 .. Tue 3: Saturday 1, Sunday 2, Monday 1
        assert returned(portland_returns) == (value, previous, trend)  # again, from the days the first call stored


def test_the_period_starts_at_portlands_midnight_on_both_sides_of_the_change(portland_returns):
    with time_machine.travel(TUESDAY_NOON, tick=False):
        period = KpiService(portland_returns).last_days(7)
        assert period.start == local(28, 0, month=10) and period.end == local(4, 0)
        assert period.buckets(PORTLAND) == ["2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01",
                                             "2026-11-02", "2026-11-03"]
