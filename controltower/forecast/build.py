"""One forecast refresh: history and calendar from the store, the total and each zone modelled, zone x option and
option series split down by recent shares, known orders (placed and recurring) as a floor, slot loads for the next days."""
from __future__ import annotations

import sqlite3
import time as clock
from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np

from ..dispatch.options import day_slots
from ..dispatch.settings import ShopSettings, load_settings
from ..domain.timeutil import from_iso
from ..store import orders as order_store
from ..store.shop_clock import day_in
from . import calendar as shop_calendar
from .engine import BACKTEST_HORIZON, Calendar, Chosen, forecast_series
from .history import Cell, History, known_orders, load_history, zone_name
from .model import Accuracy, CalendarEvent, DayForecast, ForecastReport, SeriesForecast, SeriesKey, SlotLoad
from .recurring import BadRepeatRule, occurrences

HISTORY_YEARS = 3
SHARE_DAYS = 28  # recent shares (zone x option, slots) are read over the last four weeks
MODEL_ZONE_FROM = 8.0  # a zone with at least this many orders a day gets its own model; smaller ones are split down
SLOT_DAYS = 3


def region_setting(conn: sqlite3.Connection) -> str | None:
    """The shop's region for its public holidays (a state, a Land): the shop.region setting, else the region most
    of the last orders went to (calendar.py keeps it only if the holidays package knows it for the country)."""
    row = conn.execute("SELECT value FROM settings WHERE key = 'shop.region'").fetchone()
    if row and row[0]:
        return row[0]
    return order_store.usual_region(conn)


def events_between(conn: sqlite3.Connection, settings: ShopSettings, start: date, end: date) -> list[CalendarEvent]:
    """Holidays, peaks and the shop's own days from start to end, before lifts are measured."""
    events = shop_calendar.calendar_days(settings.shop_country or "US", region_setting(conn), start, end)
    return events + shop_calendar.shop_days(conn, start, end)


def make_report(conn: sqlite3.Connection, now: datetime, horizon_days: int = 28) -> ForecastReport:
    started = clock.perf_counter()
    settings = load_settings(conn)
    today = day_in(settings.tz, now)
    end = today + timedelta(days=horizon_days - 1)
    history = load_history(conn, settings, today, since=today - timedelta(days=365 * HISTORY_YEARS + 1))
    total = history.series(SeriesKey())
    events = shop_calendar.measure_lifts(events_between(conn, settings, history.first, end), history.first, total)
    calendar = Calendar.of(events)
    known = _known(conn, settings, today, end, calendar.closed)
    future = [today + timedelta(days=h) for h in range(horizon_days)]
    notes = {d: shop_calendar.note_for([e for e in events if e.day == d]) for d in future}

    chosen_total = forecast_series(total, history.first, calendar, horizon_days)
    total_forecast = _series(SeriesKey(), history, total, chosen_total, future, known, notes)
    for cells in known.values():  # a zone or option known only from orders to come still gets its series
        for cell in cells:
            history.cells.setdefault(cell, np.zeros(history.days, dtype=np.int64))
    by_series: list[SeriesForecast] = []
    for zone in history.zones():
        zone_key = SeriesKey(zone)
        counts = history.series(zone_key)
        if np.array_equal(counts, total):
            chosen_zone = chosen_total  # the shop's one zone: its forecast is the total's
        elif float(np.mean(counts[-SHARE_DAYS:])) >= MODEL_ZONE_FROM:
            chosen_zone = forecast_series(counts, history.first, calendar, horizon_days)
        else:
            chosen_zone = _split(chosen_total, total, counts, "all orders")
        by_series.append(_series(zone_key, history, counts, chosen_zone, future, known, notes))
        for option in history.options_of(zone):
            key = SeriesKey(zone, option)
            part = history.series(key)
            by_series.append(_series(key, history, part, _split(chosen_zone, counts, part, zone),
                                     future, known, notes))
    for option in sorted({option for _, option in history.cells}):
        key = SeriesKey(None, option)
        part = history.series(key)
        by_series.append(_series(key, history, part, _split(chosen_total, total, part, "all orders"),
                                 future, known, notes))
    slots = slot_loads(conn, settings, today, total_forecast, history)
    return ForecastReport(now, horizon_days, total_forecast, tuple(by_series), tuple(slots),
                          round(clock.perf_counter() - started, 3), history.days,
                          tuple(e for e in events if e.day >= today - timedelta(days=366)))


def _known(conn, settings: ShopSettings, start: date, end: date, closed) -> dict[date, dict[Cell, int]]:
    known = known_orders(conn, settings, start, end)
    zone = settings.tz
    for order in order_store.repeating_orders(conn):
        first = from_iso(order.promised_start or order.created_at)
        try:
            days = occurrences(order.repeat_rule, first, zone, start, end, closed)
        except BadRepeatRule:
            continue  # saved before the check existed: it adds nothing rather than stopping the forecast
        cell = (zone_name(settings, order.lat, order.lon, order.postcode), order.delivery_option)
        for day in days:
            known.setdefault(day, defaultdict(int))[cell] += 1
    return known


def _share(part: np.ndarray, whole: np.ndarray, upto: int) -> float:
    whole_sum = float(whole[max(0, upto - SHARE_DAYS):upto].sum())
    return float(part[max(0, upto - SHARE_DAYS):upto].sum()) / whole_sum if whole_sum > 0 else 0.0


def _split(parent: Chosen, whole: np.ndarray, part: np.ndarray, parent_name: str) -> Chosen:
    """A small series as its recent share of a bigger one; intervals widened for the luck of a small count
    (binomial thinning), and scored on the parent's backtest."""
    share = _share(part, whole, len(whole))
    p50 = parent.p50 * share
    noise = np.sqrt(np.maximum(p50 * (1 - share), 0.0))
    bands = {name: getattr(parent, name) * share for name in ("p80", "lo80", "hi80", "lo95", "hi95")}
    bands["p80"] = bands["p80"] + 0.84 * noise
    bands["lo80"], bands["hi80"] = np.maximum(bands["lo80"] - 1.28 * noise, 0), bands["hi80"] + 1.28 * noise
    bands["lo95"], bands["hi95"] = np.maximum(bands["lo95"] - 1.96 * noise, 0), bands["hi95"] + 1.96 * noise
    wape = wape_naive = None
    test = parent.test
    if test is not None and test.windows:
        error = actual = naive_error = 0.0
        origins = _test_origins(len(whole), test)
        for origin, predicted, open_days in zip(origins, test.predicted, test.open_days):
            truth = part[origin:origin + BACKTEST_HORIZON].astype(float)
            guess = predicted * _share(part, whole, origin)
            naive = np.array([part[origin - 7 + (h % 7)] for h in range(len(truth))], dtype=float)
            error += float(np.abs(truth - guess)[open_days].sum())
            naive_error += float(np.abs(truth - naive)[open_days].sum())
            actual += float(truth[open_days].sum())
        if actual > 0:
            wape, wape_naive = error / actual, naive_error / actual
    return Chosen(f"{round(share * 100)} % of {parent_name}: {parent.method}", p50, wape=wape, wape_naive=wape_naive,
                  windows=parent.windows, backtest_days=parent.backtest_days, simple_reason=parent.simple_reason, **bands)


def _test_origins(n: int, test) -> list[int]:
    from .engine import origins

    return origins(n)[-test.windows:]


def accuracy_of(chosen: Chosen) -> Accuracy:
    if chosen.wape is None:
        return Accuracy(None, None, None, 0, 0, words=chosen.simple_reason or "not enough history to check accuracy yet")
    improvement = None
    if chosen.wape_naive:
        improvement = round((1 - chosen.wape / chosen.wape_naive) * 100, 1)
    weeks = round((chosen.windows + 1) * 7 / 7)
    words = f"Over the last {weeks} weeks we were off by {round(chosen.wape * 100)} % a day"
    if improvement is not None:
        better = f"{abs(round(improvement))} % {'better' if improvement >= 0 else 'worse'}"
        words += f", {better} than 'same weekday last week'"
    return Accuracy(round(chosen.wape, 4), None if chosen.wape_naive is None else round(chosen.wape_naive, 4),
                    improvement, chosen.windows, chosen.backtest_days,
                    None if chosen.coverage80 is None else round(chosen.coverage80, 3),
                    None if chosen.coverage95 is None else round(chosen.coverage95, 3), words + ".")


def _series(key: SeriesKey, history: History, counts: np.ndarray, chosen: Chosen, future: list[date],
            known: dict[date, dict[Cell, int]], notes: dict[date, str]) -> SeriesForecast:
    days = []
    n = len(counts)
    for h, day in enumerate(future):
        floor = sum(v for (zone, option), v in known.get(day, {}).items()
                    if (key.zone is None or key.zone == zone) and (key.option is None or key.option == option))
        back = (day - timedelta(days=364) - history.first).days
        last_year = float(counts[back]) if 0 <= back < n else None
        note = notes.get(day, "")
        closed = bool(chosen.p50[h] == 0) and note.startswith("Closed")
        placed = sum(known.get(day, {}).values())
        if closed and placed:  # orders are taken for it after all: only those are expected
            closed, note = False, f"{note.removeprefix('Closed: ')}: usually closed, {placed} order(s) placed for it"
        days.append(DayForecast(
            day, *(round(max(float(getattr(chosen, name)[h]), floor), 2)
                   for name in ("p50", "p80", "lo80", "hi80", "lo95", "hi95")),
            known=int(floor), last_year=last_year, note=note, closed=closed))
    shown = history.dates()[-400:]
    past = tuple(zip(shown, (int(v) for v in counts[-len(shown):]))) if shown else ()
    return SeriesForecast(key, past, tuple(days), chosen.method, chosen.simple_reason, accuracy_of(chosen))


def slot_loads(conn: sqlite3.Connection, settings: ShopSettings, today: date, total: SeriesForecast,
               history: History) -> list[SlotLoad]:
    """The next open days' delivery slots, each with its recent share of the day's deliveries (pickups left out)."""
    since = today - timedelta(days=SHARE_DAYS)
    counts: dict[int, int] = defaultdict(int)
    delivered = all_orders = 0
    known: dict[tuple[date, int], int] = defaultdict(int)
    for day_text, option, promised_start in order_store.slot_rows(conn, since.isoformat()):
        day = date.fromisoformat(day_text)
        if day < today:
            all_orders += 1
        if option == "pickup" or not promised_start:
            continue
        slots = day_slots(settings, day)
        if not slots:
            continue
        index = _slot_index(slots, from_iso(promised_start))
        if day < today:
            counts[index] += 1
            delivered += 1
        else:
            known[(day, index)] += 1
    loads = []
    delivery_share = delivered / all_orders if all_orders else 1.0
    for forecast in total.days[:SLOT_DAYS]:
        slots = day_slots(settings, forecast.day)
        shares = np.array([counts.get(i, 0) for i in range(len(slots))], dtype=float)
        shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(slots), 1 / max(len(slots), 1))
        for i, slot in enumerate(slots):
            start, end = slot.start.astimezone(settings.tz), slot.end.astimezone(settings.tz)
            taken = known.get((forecast.day, i), 0)
            loads.append(SlotLoad(forecast.day, f"{start:%H:%M}–{end:%H:%M}", slot.start, slot.end,
                                  round(float(max(forecast.p50 * delivery_share * shares[i], taken)), 2),
                                  round(float(max(forecast.p80 * delivery_share * shares[i], taken)), 2), taken))
    return loads


def _slot_index(slots, moment: datetime) -> int:
    for i, slot in enumerate(slots):
        if moment < slot.end:
            return i
    return len(slots) - 1
