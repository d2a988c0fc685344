"""The demand forecast as the shop sees it: holidays and closures move it, too little history is labelled,
recurring orders are known demand on their days (not on closures), and the intervals mean what they say."""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine

from controltower.domain import Address, DeliveryOption, Money, Order, TimeWindow
from controltower.forecast import engine, history
from controltower.forecast.model import SeriesKey
from controltower.services.forecast import BadRepeatRule, ForecastService
from controltower.store import Database
from controltower.store import orders as order_store
from controltower.store import shop_clock

# Saturday 5 December 2026, 12:00 in Portland: the shop's today is the 5th.
NOW = datetime(2026, 12, 5, 20, 0, tzinfo=timezone.utc)
TODAY = date(2026, 12, 5)
WEEKDAY = (1.0, 0.95, 1.0, 1.05, 1.25, 1.2, 0.6)


def make_store(tmp_path, days: int, *, closed_on: set[date] = frozenset(), lifted: dict[date, float] | None = None,
               seed: int = 3) -> Database:
    """A store with `days` days of shop history before TODAY (one zone-less option), weekly pattern and Poisson luck."""
    db = Database(tmp_path / "shop.db")
    db.set_setting(shop_clock.SETTING, "America/Los_Angeles")
    rng = np.random.default_rng(seed)
    rows = []
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        mean = 0.0 if day in closed_on else 80 * WEEKDAY[day.weekday()] * (lifted or {}).get(day, 1.0)
        rows.append((day.isoformat(), SeriesKey.OUTSIDE, "standard", int(rng.poisson(mean))))
    with db.transaction() as conn:
        history.write_days(conn, rows)
    return db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def test_a_closure_empties_its_day_and_a_promotion_lifts_by_its_last_lift(tmp_path, clock):
    last_sale = TODAY - timedelta(days=21)  # a Saturday promotion three weeks ago doubled the day
    db = make_store(tmp_path, 120, lifted={last_sale: 2.0})
    service = ForecastService(db)
    service.add_promotion(last_sale, "Winter sale")
    closed_day, sale_day = TODAY + timedelta(days=3), TODAY + timedelta(days=7)  # a Tuesday, and next Saturday
    service.add_closure(closed_day, "Stock-take")
    service.add_promotion(sale_day, "Winter sale")
    report = service.refresh()
    total = report.total
    assert total.day(closed_day).p50 == 0 and total.day(closed_day).hi95 == 0
    assert total.day(closed_day).note == "Closed: Stock-take"
    plain_saturday = total.day(TODAY + timedelta(days=14))
    assert total.day(sale_day).p50 > 1.5 * plain_saturday.p50
    assert "Winter sale: +" in total.day(sale_day).note
    # The calendar shows the promotion with the lift it had the last time.
    promotion = next(e for e in service.calendar(TODAY, TODAY + timedelta(days=10)) if e.name == "Winter sale")
    assert promotion.last_seen == last_sale and 1.6 < promotion.lift < 2.5


def test_a_holiday_the_shop_closed_on_last_year_is_forecast_closed_this_year(tmp_path):
    now = datetime(2026, 11, 10, 20, 0, tzinfo=timezone.utc)
    last_year = thanksgiving(2025)
    with time_machine.travel(now, tick=False):
        db = make_store(tmp_path, 500, closed_on={last_year})
        report = ForecastService(db).refresh()
    day = report.total.day(thanksgiving(2026))
    assert day.p50 == 0 and day.closed and day.note == "Closed: Thanksgiving Day"
    # the same weekday the week before is an ordinary Thursday
    assert report.total.day(thanksgiving(2026) - timedelta(days=7)).p50 > 50


def test_too_little_history_gives_the_labelled_simple_forecast(tmp_path, clock):
    report = ForecastService(make_store(tmp_path, 10)).refresh()
    assert report.total.method == engine.SIMPLE
    assert "10 days of history" in report.total.simple_reason and "two weekly cycles" in report.total.simple_reason
    assert 55 < report.total.days[1].p50 < 110
    assert report.total.accuracy.wape is None


def test_two_weeks_of_history_is_enough_for_a_model(tmp_path, clock):
    report = ForecastService(make_store(tmp_path, 30)).refresh()
    assert report.total.simple_reason is None and report.total.method in engine.MODELS


def _order(ref: str, start: datetime) -> Order:
    return Order(order_ref=ref, customer_name="Ada Flowers", address=Address("1 Main St", "Portland", "97214", "US"),
                 delivery_option=DeliveryOption.SCHEDULED, created_at=start - timedelta(days=1),
                 promised_window=TimeWindow(start, start + timedelta(hours=2)), value=Money(4500))


def test_a_recurring_order_is_known_demand_on_its_days_and_skips_closures(tmp_path, clock):
    db = make_store(tmp_path, 60)
    first = datetime(2026, 12, 4, 18, 0, tzinfo=timezone.utc)  # Friday 4th, 10:00 in Portland
    with db.transaction() as conn:
        order_id = order_store.upsert_orders(conn, [_order("#weekly-1", first)]).ids["#weekly-1"]
    service = ForecastService(db)
    assert service.set_repeat_rule(order_id, "RRULE:freq=weekly;byday=FR") == "FREQ=WEEKLY;BYDAY=FR"
    christmas_friday = date(2026, 12, 25)
    service.add_closure(christmas_friday, "Christmas")
    report = service.refresh()
    series = report.series(SeriesKey(SeriesKey.OUTSIDE, "scheduled"))
    fridays = [date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 1)]
    assert [series.day(d).known for d in fridays] == [1, 1, 1]
    assert series.day(christmas_friday).known == 0
    assert series.day(date(2026, 12, 12)).known == 0  # a Saturday: not a repeat day
    assert report.total.day(date(2026, 12, 11)).known == 1
    assert service.next_deliveries(order_id, 3) == [date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 1)]


def test_a_repeat_rule_that_cannot_be_read_is_refused_in_plain_words(tmp_path, clock):
    db = make_store(tmp_path, 20)
    with db.transaction() as conn:
        order_id = order_store.upsert_orders(conn, [_order("#o-1", NOW + timedelta(days=1))]).ids["#o-1"]
    with pytest.raises(BadRepeatRule, match="FREQ=WEEKLY;BYDAY=FR"):
        ForecastService(db).set_repeat_rule(order_id, "every friday")
    assert ForecastService(db).next_deliveries(order_id) == []


def test_the_80_percent_interval_covers_about_80_percent_on_synthetic_counts():
    rng = np.random.default_rng(11)
    first = date(2025, 1, 6)
    days = 420
    mean = np.array([60 * WEEKDAY[(first + timedelta(days=i)).weekday()] * (1 + 0.1 * math.sin(i / 58))
                     for i in range(days)])
    y = rng.poisson(mean * rng.lognormal(0, 0.08, days)).astype(float)
    starts = engine.origins(days, windows=12)
    test = engine.backtest(engine.ets, y, first, engine.Calendar(), starts)
    assert 0.72 <= engine.coverage(test, "80") <= 0.9
    assert engine.coverage(test, "95") >= 0.88
    chosen = engine.forecast_series(y, first, engine.Calendar(), 14)
    assert np.all(chosen.lo95 <= chosen.lo80) and np.all(chosen.lo80 <= chosen.p50)
    assert np.all(chosen.p50 <= chosen.p80) and np.all(chosen.p80 <= chosen.hi80) and np.all(chosen.hi80 <= chosen.hi95)
    assert chosen.wape < chosen.wape_naive


def test_the_latest_forecast_is_read_back_as_it_was_made(tmp_path, clock):
    service = ForecastService(make_store(tmp_path, 60))
    assert service.latest() is None
    made = service.refresh()
    assert service.latest() == made
    assert made.total.accuracy.words.startswith("Over the last ")
    assert len(made.total.days) == 28 and made.total.days[0].day == TODAY


def test_demand_days_and_orders_are_counted_once(tmp_path, clock):
    db = make_store(tmp_path, 20)
    yesterday = TODAY - timedelta(days=1)
    start = datetime.combine(yesterday, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=20)
    with db.transaction() as conn:
        order_store.upsert_orders(conn, [_order(f"#y-{i}", start) for i in range(3)])
    from controltower.dispatch.settings import load_settings

    past = history.load_history(db.reader(), load_settings(db.reader()), TODAY)
    assert past.series(SeriesKey())[-1] == 3  # the day's real orders replace its stored count
    assert past.series(SeriesKey())[-2] > 20
    # The calendar's cheap SQL count says the same, day by day.
    first, totals = history.daily_totals(db.reader(), TODAY, since=past.first)
    assert first == past.first and totals.tolist() == past.series(SeriesKey()).astype(int).tolist()


def test_slot_loads_follow_the_recent_slot_shares_and_show_promises_already_made(tmp_path, clock):
    db = make_store(tmp_path, 60)
    portland = ZoneInfo("America/Los_Angeles")
    afternoon = [datetime.combine(TODAY - timedelta(days=d), time(14, 0), tzinfo=portland) for d in (1, 2, 3, 4, 5, 7)]  # not Sunday the 29th
    monday = TODAY + timedelta(days=2)  # the shop's next open day (closed on Sundays)
    monday_morning = datetime.combine(monday, time(10, 0), tzinfo=portland)
    with db.transaction() as conn:
        order_store.upsert_orders(conn, [_order(f"#p-{i}", start) for i, start in enumerate(afternoon)]
                                  + [_order("#t-1", monday_morning)])
    report = ForecastService(db).refresh()
    assert not [slot for slot in report.slots if slot.day == TODAY + timedelta(days=1)]  # Sunday: no slots
    tomorrow = {slot.slot_label: slot for slot in report.slots if slot.day == monday}
    assert list(tomorrow) == ["10:00–12:00", "12:00–14:00", "14:00–16:00", "16:00–18:00", "18:00–20:00"]
    assert tomorrow["14:00–16:00"].p50 == pytest.approx(report.total.day(monday).p50, rel=0.01)
    assert tomorrow["10:00–12:00"].known == 1 and tomorrow["10:00–12:00"].p50 == 1
    assert tomorrow["16:00–18:00"].p50 == 0
    assert all(slot.p80 >= slot.p50 for slot in report.slots)


def test_a_closed_day_with_orders_placed_for_it_expects_just_those(tmp_path, clock):
    db = make_store(tmp_path, 60)
    closure = TODAY + timedelta(days=4)  # Wednesday
    service = ForecastService(db)
    service.add_closure(closure, "Inventory")
    with db.transaction() as conn:
        order_store.upsert_orders(conn, [_order(f"#w-{i}", datetime.combine(closure, time(19, 0), tzinfo=timezone.utc))
                                         for i in range(2)])
    day = service.refresh().total.day(closure)
    assert (day.p50, day.hi95, day.known, day.closed) == (2, 2, 2, False)
    assert day.note == "Inventory: usually closed, 2 order(s) placed for it"


def test_the_calendar_names_days_in_english_with_the_peaks_of_each_country():
    from controltower.forecast.calendar import calendar_days

    def days(country, region=None):
        return {e.name: e.day for e in calendar_days(country, region, date(2026, 1, 1), date(2026, 12, 31))}

    us, finland, britain = days("US", "OR"), days("FI"), days("GB")
    assert us["Mother's Day"] == date(2026, 5, 10) and us["Thanksgiving Day"] == date(2026, 11, 26)
    assert us["Black Friday"] == date(2026, 11, 27) and us["Cyber Monday"] == date(2026, 11, 30)
    assert finland["Christmas Day"] == date(2026, 12, 25) and finland["Midsummer Day"] == date(2026, 6, 20)
    assert finland["Valentine's Day"] == date(2026, 2, 14) and finland["Mother's Day"] == date(2026, 5, 10)
    assert britain["Mother's Day"] == date(2026, 3, 15)  # Mothering Sunday: three weeks before Easter
    assert all(e.kind in ("public_holiday", "peak") for e in calendar_days("FI", None, date(2026, 12, 1), date(2026, 12, 31)))


def test_a_region_the_holidays_package_does_not_know_keeps_the_countrys_holidays():
    from controltower.forecast.calendar import calendar_days

    def names(region):
        return {e.name for e in calendar_days("DE", region, date(2026, 1, 1), date(2026, 12, 31))}

    assert "Women's Day" in names("be")  # Berlin's own holiday, by its code in any case
    assert "Christmas Day" in names("Berlin") and "Women's Day" not in names("Berlin")


def test_without_a_region_setting_the_region_most_orders_go_to_is_used(tmp_path, clock):
    from controltower.forecast.build import region_setting

    db = make_store(tmp_path, 20)
    assert region_setting(db.reader()) is None
    start = NOW + timedelta(days=1)
    with db.transaction() as conn:
        order_store.upsert_orders(conn, [Order(order_ref=f"#r-{i}", customer_name="A", delivery_option=DeliveryOption.STANDARD,
                                               address=Address("1 Main St", "Portland", "97214", "US", region=region),
                                               created_at=NOW, promised_window=TimeWindow(start, start + timedelta(hours=2)))
                                         for i, region in enumerate(["OR", "OR", "WA"])])
    assert region_setting(db.reader()) == "OR"
    db.set_setting("shop.region", "WA")
    assert region_setting(db.reader()) == "WA"


def test_small_series_are_the_recent_share_of_the_total(tmp_path, clock):
    db = Database(tmp_path / "shop.db")
    db.set_setting(shop_clock.SETTING, "America/Los_Angeles")
    rows = []
    for back in range(84, 0, -1):
        day = (TODAY - timedelta(days=back)).isoformat()
        # express used to be half the orders; over the last four weeks it is a quarter
        express = 10 if back <= 28 else 20
        rows += [(day, SeriesKey.OUTSIDE, "standard", 40 - express), (day, SeriesKey.OUTSIDE, "express", express)]
    with db.transaction() as conn:
        history.write_days(conn, rows)
    report = ForecastService(db).refresh()
    monday = TODAY + timedelta(days=2)
    total = report.total.day(monday).p50
    express = report.series(SeriesKey(None, "express"))
    assert express.day(monday).p50 == pytest.approx(total / 4, rel=0.02)
    assert report.series(SeriesKey(None, "standard")).day(monday).p50 == pytest.approx(total * 3 / 4, rel=0.02)
    assert express.method.startswith("25 % of all orders")
    assert express.day(monday).hi80 > express.day(monday).p50 > express.day(monday).lo80
