"""Forecasts as made by the refresh, kept in the store (forecast_reports, owned here) as JSON: the area reads the newest."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

from ..domain.timeutil import from_iso, to_iso
from .model import (
    Accuracy, CalendarEvent, DayForecast, ForecastReport, SeriesForecast, SeriesKey, SlotLoad,
)

KEEP = 5  # reports kept (older ones are deleted as a new one is saved)


def save_report(conn: sqlite3.Connection, report: ForecastReport) -> int:
    cursor = conn.execute("INSERT INTO forecast_reports(made_at, body) VALUES (?, ?)",
                          (to_iso(report.made_at), json.dumps(encode(report), separators=(",", ":"))))
    conn.execute("DELETE FROM forecast_reports WHERE id NOT IN (SELECT id FROM forecast_reports ORDER BY id DESC LIMIT ?)",
                 (KEEP,))
    return int(cursor.lastrowid)


def latest_report(conn: sqlite3.Connection) -> ForecastReport | None:
    row = conn.execute("SELECT body FROM forecast_reports ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    try:
        return decode(json.loads(row[0]))
    except (KeyError, TypeError, ValueError):
        return None  # written by another version: the next refresh makes a fresh one


def encode(report: ForecastReport) -> dict:
    return {"made_at": to_iso(report.made_at), "horizon_days": report.horizon_days, "total": _series(report.total),
            "by_series": [_series(s) for s in report.by_series], "fit_seconds": report.fit_seconds,
            "history_days": report.history_days,
            "slots": [[s.day.isoformat(), s.slot_label, to_iso(s.start), to_iso(s.end), s.p50, s.p80, s.known]
                      for s in report.slots],
            "events": [[e.day.isoformat(), e.name, e.kind, e.closed, e.lift,
                        e.last_seen.isoformat() if e.last_seen else None, e.id] for e in report.events]}


def _series(series: SeriesForecast) -> dict:
    a = series.accuracy
    return {"key": [series.key.zone, series.key.option], "method": series.method, "simple_reason": series.simple_reason,
            "history": [[d.isoformat(), v] for d, v in series.history],
            "days": [[d.day.isoformat(), d.p50, d.p80, d.lo80, d.hi80, d.lo95, d.hi95, d.known, d.last_year, d.note,
                      d.closed] for d in series.days],
            "accuracy": None if a is None else [a.wape, a.wape_naive, a.improvement_pct, a.windows, a.days,
                                                 a.coverage80, a.coverage95, a.words]}


def decode(data: dict) -> ForecastReport:
    return ForecastReport(
        from_iso(data["made_at"]), data["horizon_days"], _decode_series(data["total"]),
        tuple(_decode_series(s) for s in data["by_series"]),
        tuple(SlotLoad(date.fromisoformat(d), label, from_iso(start), from_iso(end), p50, p80, known)
              for d, label, start, end, p50, p80, known in data["slots"]),
        data.get("fit_seconds", 0.0), data.get("history_days", 0),
        tuple(CalendarEvent(date.fromisoformat(d), name, kind, closed, lift,
                            date.fromisoformat(seen) if seen else None, event_id)
              for d, name, kind, closed, lift, seen, event_id in data.get("events", ())))


def _decode_series(data: dict) -> SeriesForecast:
    a = data["accuracy"]
    return SeriesForecast(
        SeriesKey(*data["key"]), tuple((date.fromisoformat(d), v) for d, v in data["history"]),
        tuple(DayForecast(date.fromisoformat(d), *values) for d, *values in data["days"]),
        data["method"], data["simple_reason"], None if a is None else Accuracy(*a))


def made_at(conn: sqlite3.Connection) -> datetime | None:
    row = conn.execute("SELECT made_at FROM forecast_reports ORDER BY id DESC LIMIT 1").fetchone()
    return from_iso(row[0]) if row else None
