"""The demo keeps its shop's hours: opened late in the evening, it promises no delivery after closing (19:00) and plans
no van stop after it. It used to promise until 01:00 and plan a van until 23:20."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.demo.generator import generate
from controltower.store import Database

PORTLAND = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize("opened", [datetime(2026, 11, 20, 23, 0, tzinfo=PORTLAND), datetime(2026, 11, 21, 17, 30, tzinfo=PORTLAND)])
def test_the_demo_never_promises_or_plans_past_closing(tmp_path, opened):
    with time_machine.travel(opened, tick=False):
        generate(tmp_path / "demo.db", seed=7, now=opened)
    db = Database(tmp_path / "demo.db")
    late = [(ref, end) for ref, end in db.conn.execute(
        "SELECT order_ref, promised_end FROM orders WHERE delivery_option != 'pickup' AND promised_end IS NOT NULL")
        if datetime.fromisoformat(end).astimezone(PORTLAND).time() > datetime(2026, 1, 1, 19, 0).time()]
    assert late == []
    arrivals = [datetime.fromisoformat(a).astimezone(PORTLAND) for (a,) in db.conn.execute(
        "SELECT planned_arrival FROM stops WHERE planned_arrival IS NOT NULL")]
    assert arrivals and max(a.time() for a in arrivals) <= datetime(2026, 1, 1, 19, 0).time()
    db.close()
