"""The days the forecast treats specially: public holidays (the `holidays` package), retail peaks, and the shop's
own closures and promotions (the shop_days table, owned here), each with the lift it had the last time."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
from dateutil.easter import easter

from ..domain.timeutil import to_iso
from .model import CalendarEvent

KINDS = ("closure", "promotion")
# Weeks of the Christmas shopping run-up, by the last day of each (a lift is measured per week, not per day).
_RUN_UP = (("Christmas run-up, 3 weeks before", 4, 10), ("Christmas run-up, 2 weeks before", 11, 17),
           ("Christmas run-up, last week", 18, 23))
_PEAK_NAMES = {"Valentine's Day", "Mother's Day", "Father's Day", "Halloween", "Christmas Eve", "New Year's Eve",
               "Easter Sunday", "Good Friday", "Saint Patrick's Day"}


class BadShopDay(ValueError):
    """A closure or promotion the shop can't save (unknown kind, bad date)."""


# ---------------------------------------------------------------- the shop's own days (shop_days)
def add_shop_day(conn: sqlite3.Connection, day: date, kind: str, name: str, now: datetime) -> int:
    if kind not in KINDS:
        raise BadShopDay(f"'{kind}' is not a kind of shop day: use one of {', '.join(KINDS)}")
    if not isinstance(day, date):
        raise BadShopDay("a shop day needs a date")
    cursor = conn.execute("INSERT INTO shop_days(day, kind, name, created_at) VALUES (?, ?, ?, ?)",
                          (day.isoformat(), kind, name.strip() or kind.capitalize(), to_iso(now)))
    return int(cursor.lastrowid)


def remove_shop_day(conn: sqlite3.Connection, day_id: int) -> bool:
    return conn.execute("DELETE FROM shop_days WHERE id = ?", (day_id,)).rowcount > 0


def shop_days(conn: sqlite3.Connection, start: date | None = None, end: date | None = None) -> list[CalendarEvent]:
    rows = conn.execute("SELECT id, day, kind, name FROM shop_days WHERE day >= ? AND day <= ? ORDER BY day, id",
                        ((start or date.min).isoformat(), (end or date.max).isoformat()))
    return [CalendarEvent(date.fromisoformat(day), name, kind, closed=(kind == "closure"), id=row_id)
            for row_id, day, kind, name in rows]


# ---------------------------------------------------------------- holidays and peaks
@lru_cache(maxsize=32)
def _country_days(country: str, region: str | None, years: tuple[int, ...]) -> tuple[tuple[date, str, str], ...]:
    """(day, name, kind) of public holidays and unofficial peak days (Valentine's, Mother's Day...) in those years,
    named in English where the package has English names (the lifts are kept by name, the area shows them)."""
    import holidays

    try:
        entity = holidays.country_holidays(country, years=years[:1])
    except (NotImplementedError, KeyError):
        return ()  # a country the package doesn't know: only the shop's own days and the computed peaks
    subdivisions = {code.upper(): code for code in getattr(entity, "subdivisions", ())}
    region = subdivisions.get((region or "").strip().upper())  # an unknown region: the country's holidays alone
    languages = getattr(entity, "supported_languages", ()) or ()
    language = next((code for code in ("en_US", "en_GB") if code in languages), None)
    public = holidays.country_holidays(country, subdiv=region, years=years, language=language)
    found = [(day, name, "public_holiday") for day, name in public.items()]
    try:
        unofficial = holidays.country_holidays(country, subdiv=region, years=years,
                                               categories=(holidays.UNOFFICIAL,), language=language)
        found += [(day, name, "peak") for day, name in unofficial.items() if name in _PEAK_NAMES]
    except Exception:  # noqa: BLE001 - most countries have no unofficial days (NotImplementedError, ValueError...)
        pass
    return tuple(found)


def calendar_days(country: str, region: str | None, start: date, end: date) -> list[CalendarEvent]:
    """Public holidays and retail peaks between start and end (inclusive), by day. Valentine's Day and Mother's Day
    are added where the package has no such day for the country (Mothering Sunday, three weeks before Easter, in
    the UK and Ireland; the second Sunday of May elsewhere), as are Black Friday, Cyber Monday and the Christmas run-up."""
    years = tuple(range(start.year, end.year + 1))
    events = [CalendarEvent(day, name, kind) for day, name, kind in _country_days(country, region, years)]
    names = {event.name for event in events}
    for year in years:
        thanksgiving = _fourth_thursday_of_november(year)
        events.append(CalendarEvent(thanksgiving + timedelta(days=1), "Black Friday", "peak"))
        events.append(CalendarEvent(thanksgiving + timedelta(days=4), "Cyber Monday", "peak"))
        if "Valentine's Day" not in names:
            events.append(CalendarEvent(date(year, 2, 14), "Valentine's Day", "peak"))
        if "Mother's Day" not in names:
            events.append(CalendarEvent(_mothers_day(country, year), "Mother's Day", "peak"))
        for name, first, last in _RUN_UP:
            for day_of_month in range(first, last + 1):
                events.append(CalendarEvent(date(year, 12, day_of_month), name, "peak"))
    return sorted((e for e in events if start <= e.day <= end), key=lambda e: (e.day, e.name))


def _mothers_day(country: str, year: int) -> date:
    if country.upper() in ("GB", "UK", "IE"):
        return easter(year) - timedelta(days=21)
    first = date(year, 5, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _fourth_thursday_of_november(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


# ---------------------------------------------------------------- lift measured the last time
def baseline(counts: np.ndarray, index: int, special: np.ndarray) -> float | None:
    """A normal such day around `index`: the mean of the same weekday 1-4 weeks before and after, special days left out."""
    around = [index + 7 * k for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
    values = [counts[i] for i in around if 0 <= i < len(counts) and not special[i]]
    return float(np.mean(values)) if len(values) >= 2 else None


def _runs(days: list[date]) -> list[list[date]]:
    """Days of one event grouped into occurrences: a gap of more than three days starts a new one."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][-1]).days <= 3:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def measure_lifts(events: list[CalendarEvent], first: date, counts: np.ndarray) -> list[CalendarEvent]:
    """Each event with the lift its name had the last time it happened inside the history (counts from `first`).

    A lift is orders that day over a normal such day; an occurrence spanning days (a run-up week) gives the mean
    over its days, and a day takes the lift of the occurrence before its own. An event whose last lift was below 0.1
    means the shop was closed: it is marked closed."""
    special = np.zeros(len(counts), dtype=bool)
    for event in events:
        index = (event.day - first).days
        if 0 <= index < len(counts):
            special[index] = True
    by_name: dict[str, list[date]] = {}
    for event in events:
        by_name.setdefault(event.name, []).append(event.day)
    lift_of: dict[tuple[str, date], tuple[float, date]] = {}  # (name, day) -> (lift, last day seen)
    for name, days in by_name.items():
        previous: tuple[float, date] | None = None
        for run in _runs(days):
            if previous is not None:
                for day in run:
                    lift_of[(name, day)] = previous
            ratios = []
            for day in run:
                index = (day - first).days
                normal = baseline(counts, index, special) if 0 <= index < len(counts) else None
                if normal:
                    ratios.append(counts[index] / normal)
            if ratios:
                previous = (float(np.mean(ratios)), run[-1])
    measured = []
    for event in events:
        found = lift_of.get((event.name, event.day))
        if found is None:
            measured.append(event)
        else:
            lift, seen = found
            measured.append(replace(event, lift=round(lift, 3), last_seen=seen, closed=event.closed or lift < 0.1))
    return measured


def note_for(events: list[CalendarEvent]) -> str:
    """What the forecast area says about a day's events ('Closed: Christmas Day', "Valentine's Day: +62 % last time")."""
    closed = [event for event in events if event.closed]
    if closed:  # a closed day is only that: what else falls on it doesn't matter
        events = closed
    parts = []
    for event in events:
        if event.closed:
            parts.append(f"Closed: {event.name}")
        elif event.lift is not None:
            parts.append(f"{event.name}: {round((event.lift - 1) * 100):+d} % last time")
        else:
            parts.append(f"{event.name} (not seen in the history yet)")
    return "; ".join(parts)
