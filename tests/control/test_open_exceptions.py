"""One count of open exceptions: the KPI card, the queue's chips and the checker's "N open" agree, on the demo day and
after an import into a real store; one order never shows both "At risk" and "Failed attempt"."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.control.actions import ControlService
from controltower.control.engine import ExceptionEngine
from controltower.control.kpis import KpiService
from controltower.control.open_exceptions import open_at, open_exceptions
from controltower.domain import ShipmentStatus as S
from controltower.domain.timeutil import UTC, to_iso
from controltower.imports import import_file
from controltower.store import Database

from control_facts import Facts

PORTLAND = ZoneInfo("America/Los_Angeles")
SATURDAY_EVENING = datetime(2026, 11, 21, 19, 10, tzinfo=PORTLAND)  # already Sunday in UTC


def three_counts(db: Database) -> tuple[int, int, int]:
    """(KPI card for today, the queue's "All" chip, the checker's status line) as each part of the app reads them."""
    status_line = ExceptionEngine(db).refresh().still_open
    chips = sum(ControlService(db).counts_by_kind().values())
    kpis = KpiService(db)
    card = {k.key: k for k in kpis.panels(kpis.last_days(1))}["open_exceptions"]
    return int(card.value), chips, status_line


def test_the_demo_day_shows_one_number_everywhere(tmp_path):
    from controltower.demo.generator import generate

    with time_machine.travel(SATURDAY_EVENING, tick=False):
        generate(tmp_path / "demo.db", seed=7, now=SATURDAY_EVENING)
        db = Database(tmp_path / "demo.db")
        card, chips, status_line = three_counts(db)
        assert card == chips == status_line > 0
        # A snoozed case is parked: all three stop counting it at once.
        case_id = db.scalar("SELECT min(id) FROM exceptions WHERE resolved_at IS NULL")
        ControlService(db).snooze([case_id], datetime.now(UTC) + timedelta(hours=2))
        assert three_counts(db) == (card - 1, card - 1, card - 1)
        db.close()


def test_a_real_store_after_an_import_shows_one_number_everywhere(tmp_path, data_dir):
    db = Database(tmp_path / "shop.db")
    with time_machine.travel(SATURDAY_EVENING, tick=False):
        import_file(db, data_dir / "shopify_orders.csv")  # not placed on the map yet: address cases
        card, chips, status_line = three_counts(db)
        assert card == chips == status_line == db.scalar("SELECT count(*) FROM exceptions WHERE resolved_at IS NULL") > 0
    db.close()


def test_a_failed_attempt_outranks_at_risk_on_the_same_order(store):
    """The attempt has failed: the ETA that made it "at risk" was for a delivery that is no longer coming."""
    now = datetime(2026, 11, 21, 20, tzinfo=UTC)
    f = Facts(store)
    order = f.order(created_at=now - timedelta(hours=5), promised_end=now + timedelta(minutes=30))
    shipment = f.shipment(order, status=S.FAILED_ATTEMPT, status_as_of=now - timedelta(minutes=20),
                          created_at=now - timedelta(hours=4), eta=now + timedelta(hours=3))
    engine = ExceptionEngine(store, clock=lambda: now)
    assert engine.rules["at_risk"]  # the ETA alone would call it at risk
    kinds = {f.kind for f in engine.evaluate(now).values() if f.shipment_id == shipment}
    assert kinds == {"failed_attempt"}
    engine.refresh(now)
    assert open_exceptions(store.reader(), now).by_kind == {"failed_attempt": 1}


def test_a_past_moment_counts_cases_opened_before_it_and_not_yet_resolved(store):
    day = datetime(2026, 11, 10, tzinfo=UTC)
    f = Facts(store)
    order = f.order(created_at=day)
    for key, opened, resolved in (("a", 1, 5), ("b", 2, None), ("c", 6, None)):
        f.set("INSERT INTO exceptions(kind, severity, cause_key, order_id, opened_at, resolved_at) VALUES ('late', 'high', ?, ?, ?, ?)",
              (key, order, to_iso(day + timedelta(hours=opened)), to_iso(day + timedelta(hours=resolved)) if resolved else None))
    counts = [open_at(store.reader(), day + timedelta(hours=h), now=day + timedelta(days=1)) for h in (0, 1.5, 4, 5.5, 7)]
    assert counts == [0, 1, 2, 1, 2]
    assert open_at(store.reader(), day + timedelta(days=2), now=day + timedelta(days=1)) == 2  # after now: open now


@pytest.fixture
def data_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "data" / "imports"
