"""Each KPI equals the value worked out by hand on a small store: three deliveries this week, one the week before."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from controltower.control.actions import ControlService
from controltower.control.kpis import KpiService, Period
from controltower.domain import ShipmentStatus as S
from controltower.domain.timeutil import UTC, to_iso

from control_facts import Facts


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


PERIOD = Period.custom(at(20), at(27))  # previous period: 13th to 20th


@pytest.fixture
def shop(store):
    f = Facts(store)
    # A: zippy, on time, 24 h order-to-door, $10.00 as quoted, first attempt.
    a = f.order(created_at=at(23, 10), promised_end=at(24, 12))
    sa = f.shipment(a, status=S.DELIVERED, status_as_of=at(24, 10), created_at=at(23, 11), cost=1000, quoted=1000)
    # B: zippy, late, 48 h, $20.00 against a $15.00 quote, two parcels, one failed attempt first.
    b = f.order(created_at=at(23, 15), promised_end=at(25, 12), parcels=2)
    sb = f.shipment(b, status=S.IN_TRANSIT, status_as_of=at(24, 8), created_at=at(23, 16), cost=2000, quoted=1500)
    f.event(sb, "failed_attempt", at(24, 18), text="No one home")
    f.event(sb, "delivered", at(25, 15))
    # C: own van (no carrier cost), on time, 3 h.
    c = f.order(created_at=at(26, 6), promised_end=at(26, 12))
    f.shipment(c, carrier="own_fleet", status=S.DELIVERED, status_as_of=at(26, 9), created_at=at(26, 6))
    # D: the previous period, on time, 24 h, $15.00.
    d = f.order(created_at=at(14, 11), promised_end=at(15, 12))
    f.shipment(d, status=S.DELIVERED, status_as_of=at(15, 11), created_at=at(14, 12), cost=1500, quoted=1500)
    # E: returned to the shop on the 22nd.
    e = f.order(created_at=at(20, 9))
    f.shipment(e, status=S.RETURNED, status_as_of=at(22, 9), created_at=at(20, 10))
    # One case on B opened on the 21st and resolved six hours later; a complaint about A.
    f.set("INSERT INTO exceptions(kind, severity, cause_key, order_id, shipment_id, opened_at, resolved_at, resolution) "
          "VALUES ('late', 'high', 'late:x', ?, ?, ?, ?, 'sorted')", (b, sb, to_iso(at(21, 8)), to_iso(at(21, 14))))
    ControlService(store).log_complaint(a, "box was wet")
    f.set("UPDATE exceptions SET opened_at = ? WHERE kind = 'complaint'", (to_iso(at(30)),))  # outside the period
    # Messages: two accepted, one failed.
    for n, status in enumerate(("sent", "sent", "failed")):
        f.set("INSERT INTO notifications(order_id, channel, template, recipient, status, dedup_key, created_at) "
              "VALUES (?, 'sms', 'booked', '+14155552671', ?, ?, ?)", (a, status, f"k{n}", to_iso(at(24, n))))
    # Own fleet: an 8-hour shift, a 4-hour route of 30 km with C and two more stops delivered.
    f.set("INSERT INTO drivers(id, name) VALUES (1, 'Dana')")
    f.set("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, driver_id) "
          "VALUES (1, 'Van 1', 50, 500000, '08:00', '16:00', 1)")
    f.set("INSERT INTO routes(id, plan_date, vehicle_id, distance_m, duration_s, created_at) VALUES (1, '2026-11-26', 1, 30000, 14400, ?)",
          (to_iso(at(26)),))
    for seq, order in enumerate((c, f.order(promised_end=None), f.order(promised_end=None)), start=1):
        f.set("INSERT INTO stops(order_id, route_id, sequence, status) VALUES (?, 1, ?, 'delivered')", (order, seq))
    return store


def kpis(store) -> dict:
    return {k.key: k for k in KpiService(store, clock=lambda: at(30, 12)).panels(PERIOD)}


def test_delivery_kpis_match_hand_computed_values(shop):
    k = kpis(shop)
    assert k["on_time_rate"].value == pytest.approx(2 / 3) and k["on_time_rate"].previous == 1.0
    assert k["first_attempt_rate"].value == pytest.approx(2 / 3)
    assert k["order_to_door_avg"].value == pytest.approx((24 + 48 + 3) / 3) and k["order_to_door_avg"].previous == pytest.approx(24)
    assert k["order_to_door_p90"].value == pytest.approx(48)
    assert k["cost_per_delivery"].value == 1500 and k["cost_per_delivery"].display() == "$15.00"
    assert k["cost_per_parcel"].value == 1000  # $30.00 over A's one parcel and B's two
    assert k["failed_attempts"].value == 1 and k["returned"].value == 1


def test_case_message_and_fleet_kpis(shop):
    k = kpis(shop)
    assert k["open_exceptions"].value == 0 and k["open_exceptions"].previous == 0 and k["mean_time_to_resolve"].value == pytest.approx(6)
    assert k["notification_delivery_rate"].value == pytest.approx(2 / 3)
    assert k["fleet_utilisation"].value == pytest.approx(0.5)
    assert k["stops_per_hour"].value == pytest.approx(0.75)
    assert k["distance_per_stop"].value == pytest.approx(10)


def test_every_kpi_has_a_definition_trend_and_click_filter(shop):
    for kpi in KpiService(shop).panels(PERIOD):
        assert len(kpi.definition) > 30, kpi.key
        assert kpi.filter.target in ("orders", "exceptions")
        assert kpi.key == "order_to_door_p90" or len(kpi.trend) == 7
    k = kpis(shop)
    assert k["on_time_rate"].change_text() == "-33.3 pts vs previous period"
    assert k["on_time_rate"].improved is False


def test_on_time_trend_is_per_day(shop):
    trend = kpis(shop)["on_time_rate"].trend  # 20th..26th
    assert trend == (None, None, None, None, 1.0, 0.0, 1.0)


def test_scorecard_per_carrier_and_driver(shop):
    ControlService(shop).log_complaint(shop.scalar("SELECT id FROM orders ORDER BY id LIMIT 1"), "late again")
    rows = {r.name: r for r in KpiService(shop).scorecard(PERIOD)}
    zippy = rows["zippy"]
    assert (zippy.kind, zippy.volume, zippy.delivered) == ("carrier", 3, 2)  # A, B and the returned E
    assert zippy.on_time_rate == 0.5 and zippy.first_attempt_rate == 0.5
    assert zippy.cost_per_delivery == 1500 and zippy.quote_accuracy == 0.5
    assert zippy.exception_rate == pytest.approx(1 / 3)  # B's late case
    assert zippy.complaints == 2
    dana = rows["Dana"]
    assert (dana.kind, dana.volume, dana.on_time_rate, dana.first_attempt_rate) == ("driver", 1, 1.0, 1.0)


def test_cost_breakdown_by_carrier_and_option(shop):
    rows = {(r.group, r.name): r for r in KpiService(shop).cost_breakdown(PERIOD)}
    assert rows[("carrier", "zippy")].cost_per_delivery == 1500 and rows[("carrier", "zippy")].cost_per_parcel == 1000
    assert rows[("carrier", "Own van")].cost_per_delivery is None  # the own vans by name, not "own_fleet"
    assert rows[("option", "standard")].deliveries == 3


def test_today_period_uses_hourly_buckets():
    period = Period.last_days(1, at(25, 15), zone=UTC)
    assert period.label == "Today" and len(period.buckets()) == 24
    assert Period.last_days(30, at(25, 15), zone=UTC).previous().end == Period.last_days(30, at(25, 15), zone=UTC).start


def test_cached_days_are_recomputed_when_a_delivery_lands_on_them(shop):
    service = KpiService(shop)
    before = {k.key: k for k in service.panels(PERIOD)}
    assert before["on_time_rate"].value == pytest.approx(2 / 3)
    f = Facts(shop)
    late_order = f.order(created_at=at(21, 8), promised_end=at(22, 12), ref="LATE-9")
    late = f.shipment(late_order, status=S.OUT_FOR_DELIVERY, status_as_of=at(22, 9), created_at=at(21, 9), cost=1000)
    f.event(late, "delivered", at(22, 18))  # a carrier scan from days ago, arriving now
    after = {k.key: k for k in service.panels(PERIOD)}
    assert after["on_time_rate"].value == pytest.approx(2 / 4)
    rows = {r.name: r for r in service.scorecard(PERIOD)}
    assert rows["zippy"].volume == 4


def test_a_kpi_filter_becomes_an_orders_query(shop):
    from controltower.store.orders import count

    on_time = kpis(shop)["on_time_rate"]
    query = on_time.filter.order_query()
    assert (query.statuses, query.date_from, query.date_to) == (("delivered",), "2026-11-20", "2026-11-26")
    assert count(shop.conn, query) == 3


def test_todays_cases_show_up_on_the_next_refresh_of_the_same_service(shop):
    service = KpiService(shop)
    week = Period.last_days(7, zone=UTC)
    before = {k.key: k for k in service.panels(week)}["open_exceptions"].value
    ControlService(shop).log_complaint(shop.scalar("SELECT min(id) FROM orders"), "rang twice")
    assert {k.key: k for k in service.panels(week)}["open_exceptions"].value == before + 1


def test_a_change_too_small_to_show_is_neither_good_nor_bad():
    from controltower.control.kpis import KpiValue

    tiny = KpiValue("on_time_rate", "On time", 0.9390, 0.93904, "percent", "d")
    assert tiny.change_text() == "+0.0 pts vs previous period" and tiny.improved is None
