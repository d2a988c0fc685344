"""The KPI panel's days outlive the app: a restart reuses them, and any write that feeds a day makes exactly that day stale."""
from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import pytest
import time_machine

from controltower.control import kpi_cache, kpis as kpis_module
from controltower.control.actions import ControlService
from controltower.control.kpis import KpiService, Period
from controltower.domain import ShipmentStatus as S
from controltower.domain.timeutil import UTC, to_iso
from controltower.store import Database
from controltower.store.db import connect

from control_facts import Facts

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # the clock these tests set: never the day they happen to run
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def ago(days: int, hour: int = 0) -> datetime:
    """A moment `days` UTC days before today: far enough back (more than a day) for its day to be stored."""
    return datetime.combine(TODAY - timedelta(days=days), time(hour), UTC)


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


PERIOD = Period.custom(ago(12), ago(5))  # a past week; the previous period is the week before


@pytest.fixture
def shop(store):
    f = Facts(store)
    a = f.order(created_at=ago(11, 10), promised_end=ago(10, 12), ref="A")
    f.shipment(a, status=S.DELIVERED, status_as_of=ago(10, 10), created_at=ago(11, 11), cost=1000, quoted=1000)
    b = f.order(created_at=ago(10, 9), promised_end=ago(9, 12), parcels=2, ref="B")
    f.shipment(b, status=S.OUT_FOR_DELIVERY, status_as_of=ago(9, 8), created_at=ago(10, 10), cost=1500, quoted=1500)
    c = f.order(created_at=ago(9, 6), promised_end=ago(8, 12), ref="C")
    f.shipment(c, carrier="own_fleet", status=S.DELIVERED, status_as_of=ago(8, 9), created_at=ago(9, 6))
    old = f.order(created_at=ago(16, 9), promised_end=ago(15, 12), ref="OLD")  # the previous period
    f.shipment(old, status=S.DELIVERED, status_as_of=ago(15, 11), created_at=ago(16, 10), cost=1200, quoted=1000)
    f.set("INSERT INTO exceptions(kind, severity, cause_key, order_id, opened_at, resolved_at, resolution) "
          "VALUES ('late', 'high', 'late:b', ?, ?, ?, 'sorted')", (b, to_iso(ago(10, 13)), to_iso(ago(10, 17))))
    f.set("INSERT INTO notifications(order_id, channel, template, recipient, status, dedup_key, created_at) "
          "VALUES (?, 'sms', 'booked', '+14155552671', 'sent', 'k1', ?)", (a, to_iso(ago(11, 12))))
    f.set("INSERT INTO drivers(id, name) VALUES (1, 'Dana')")
    f.set("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, driver_id) "
          "VALUES (1, 'Van 1', 50, 500000, '08:00', '16:00', 1)")
    f.set("INSERT INTO routes(id, plan_date, vehicle_id, distance_m, duration_s, created_at) VALUES (1, ?, 1, 30000, 14400, ?)",
          (day(8), to_iso(ago(9))))
    f.set("INSERT INTO stops(order_id, route_id, sequence, status) VALUES (?, 1, 1, 'delivered')", (c,))
    return store


def everything(service: KpiService, period: Period = PERIOD) -> tuple:
    """All the KPI panel shows: each card's value, previous value and trend, the scorecard and the cost table."""
    cards = tuple((k.key, k.value, k.previous, k.trend) for k in service.panels(period))
    return cards, tuple(service.scorecard(period)), tuple(service.cost_breakdown(period))


def computed(service: KpiService) -> dict[str, list[str]]:
    """Per family, the days it computed from the store (an empty dict: everything came from stored days)."""
    return {name: list(family.computed_days) for name, family in service.families.items() if family.computed_days}


def from_scratch(db: Database) -> tuple:
    with db.transaction() as conn:
        conn.execute("DELETE FROM kpi_days")
    return everything(KpiService(db))


@pytest.fixture
def restarted(shop):
    """The store after a first session worked out the panel: a new Database and KpiService, as after a restart."""
    first = KpiService(shop)
    everything(first)
    assert computed(first)["delivered"]  # the first session computed its days
    db = Database(shop.path)
    yield db
    db.close()


def test_a_restart_reuses_every_stored_day(shop, restarted):
    expected = everything(KpiService(shop))
    service = KpiService(restarted)
    assert everything(service) == expected
    assert computed(service) == {}
    assert everything(service) == expected and computed(service) == {}  # and from memory after that


def test_a_delivery_scanned_on_a_past_day_recomputes_that_day_alone_after_restart(shop, restarted):
    b = restarted.scalar("SELECT s.id FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.order_ref = 'B'")
    Facts(restarted).event(b, "delivered", ago(9, 17))  # the carrier's scan from nine days ago arrives now
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service) == {"delivered": [day(9)], "door_histogram": [day(9)], "returned": [day(9)],
                                 "costs": [day(9)], "scorecard": [day(10)]}  # B was booked the day before
    cards = {key: value for key, value, _, _ in shown[0]}
    assert cards["on_time_rate"] == pytest.approx(2 / 3)  # A and C on time, B delivered after its promise
    assert shown == from_scratch(restarted)


def test_a_delivery_moved_to_another_day_leaves_its_old_day_too(shop, restarted):
    a = restarted.scalar("SELECT s.id FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.order_ref = 'A'")
    Facts(restarted).event(a, "delivered", ago(9, 12))  # a later delivered scan: A now counts on the 9th, not the 10th
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service)["delivered"] == [day(10), day(9)]
    assert shown == from_scratch(restarted)


def test_a_new_exception_recomputes_the_scorecard_day_of_its_shipment(shop, restarted):
    a = restarted.scalar("SELECT id FROM orders WHERE order_ref = 'A'")
    ControlService(restarted).log_complaint(a, "box was wet")
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service) == {"scorecard": [day(11)]}  # opened today: no past exception count changes
    zippy = next(row for row in shown[1] if row.name == "zippy")
    assert zippy.complaints == 1
    assert shown == from_scratch(restarted)


def test_writes_that_leave_updated_at_alone_still_make_their_day_stale(shop, restarted):
    c = restarted.scalar("SELECT id FROM orders WHERE order_ref = 'C'")
    with restarted.transaction() as conn:
        conn.execute("UPDATE routes SET duration_s = 28800 WHERE id = 1")  # the van's day took twice as long
        conn.execute("UPDATE orders SET parcels = 3 WHERE id = ?", (c,))
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service) == {"fleet": [day(8)], "delivered": [day(8)], "door_histogram": [day(8)],
                                 "returned": [day(8)], "costs": [day(8)], "scorecard": [day(9)]}
    assert shown == from_scratch(restarted)


def test_a_late_failed_attempt_scan_and_a_message_status_make_their_days_stale(shop, restarted):
    a = restarted.scalar("SELECT s.id FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.order_ref = 'A'")
    Facts(restarted).event(a, "failed_attempt", ago(11, 18), text="No one home")  # history only: A is delivered
    with restarted.transaction() as conn:
        conn.execute("UPDATE notifications SET status = 'failed'")  # the provider's report on the 11th's message
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service) == {"failed_attempts": [day(11)], "messages": [day(11)], "delivered": [day(10)],
                                 "door_histogram": [day(10)], "returned": [day(10)], "costs": [day(10)],
                                 "scorecard": [day(11)]}
    cards = {key: value for key, value, _, _ in shown[0]}
    assert (cards["failed_attempts"], cards["first_attempt_rate"], cards["notification_delivery_rate"]) == (1, 0.5, 0.0)
    assert shown == from_scratch(restarted)


def test_a_new_driver_for_a_van_makes_every_scorecard_day_stale(shop, restarted):
    with restarted.transaction() as conn:
        conn.execute("INSERT INTO drivers(id, name) VALUES (2, 'Sam')")
        conn.execute("UPDATE vehicles SET driver_id = 2 WHERE id = 1")
    service = KpiService(restarted)
    shown = everything(service)
    assert computed(service)["scorecard"] == [d for d, in restarted.query(
        "SELECT day FROM kpi_days WHERE family = 'scorecard' ORDER BY day")]
    assert [row.name for row in shown[1] if row.kind == "driver"] == ["Sam"]


def test_rows_of_another_version_are_never_read(shop, restarted, monkeypatch):
    expected = everything(KpiService(restarted))
    monkeypatch.setattr(kpis_module, "ROWS_VERSION", kpis_module.ROWS_VERSION + 1)
    service = KpiService(restarted)
    assert everything(service) == expected
    assert len(computed(service)["delivered"]) == 14  # both weeks again
    versions = {v for v, in restarted.query("SELECT DISTINCT version FROM kpi_days")}
    assert versions == {family.version for family in service.families.values()}


def test_today_and_yesterday_are_never_stored(shop):
    everything(KpiService(shop), Period.last_days(30, zone=UTC))
    stored = [d for d, in shop.query("SELECT DISTINCT day FROM kpi_days ORDER BY day")]
    assert stored and max(stored) == day(2)


class ReadOnlyStore(Database):
    """The store on a read-only medium: every connection the KPIs use is opened with SQLite's mode=ro."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self._read_only = threading.local()

    def reader(self):
        if getattr(self._read_only, "conn", None) is None:
            self._read_only.conn = connect(self.path, readonly=True)
        return self._read_only.conn


def test_a_read_only_store_still_shows_the_right_kpis(shop):
    expected = from_scratch(shop)
    with shop.transaction() as conn:
        conn.execute("DELETE FROM kpi_days")
    read_only = ReadOnlyStore(shop.path)
    try:
        service = KpiService(read_only)
        assert everything(service) == expected
        assert everything(service) == expected  # the days kept in memory
    finally:
        read_only.close()
    assert shop.scalar("SELECT count(*) FROM kpi_days") == 0


def test_a_store_locked_by_another_writer_shows_the_right_kpis_and_stores_them_later(shop, monkeypatch):
    monkeypatch.setattr(kpi_cache, "RETRY_AFTER_S", 0.0)  # try again on the next refresh, not 30 s later
    expected = from_scratch(shop)
    with shop.transaction() as conn:
        conn.execute("DELETE FROM kpi_days")
    service = KpiService(shop)
    other_writer = connect(shop.path)  # e.g. the sync engine's process in the middle of a long write
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        assert everything(service) == expected
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    assert shop.scalar("SELECT count(*) FROM kpi_days") == 0
    worked_out = computed(service)
    assert everything(service) == expected  # the next refresh stores the days it kept, without computing them again
    assert computed(service) == worked_out
    assert shop.scalar("SELECT count(*) FROM kpi_days WHERE family = 'delivered'") == 14
