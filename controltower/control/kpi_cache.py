"""Per-day KPI aggregates (the shop's calendar days) kept in memory and in the store, so a 30-day panel adds up 60 small rows instead of scanning
100,000 deliveries, and a restart reuses the days already worked out.

A day's rows are used only while nothing they were computed from has changed. Triggers (migration 0008) keep a change
log: for each topic (what a family's SQL reads) and UTC day, the sequence number of the last write that could change
it, or the day '*' when a write touches every day (a van's driver). Before computing, a family reads the log's highest
number; the rows it then computes stay good until their topic changes on their day (or on '*') with a higher number.
Stored rows also carry their family's version, and rows of any other version are never read.

Today and yesterday, where news lands, are never stored; families that are not shipments recompute their last
`fresh_days` days on every call. A store without the change log (an older file opened read-only) is read directly.
A store that can't be written keeps the days in memory: read-only for good, or, while another writer holds it, until
a later call stores them (DayStore).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterator

Compute = Callable[[sqlite3.Connection, str, str], dict[str, list[dict]]]  # (conn, first day, day after last) -> day -> rows

STORED_AFTER_DAYS = 2  # days at least this old are written to the store; today and yesterday still change
WRITE_WAIT_MS = 100  # how long a cache write waits for another writer before giving up
RETRY_AFTER_S = 30.0  # after giving up, the families leave the store alone this long (their days wait in memory)
EVERY_DAY = "*"

log = logging.getLogger(__name__)


class DayStore:
    """Writes to kpi_days for the families of one KPI service: one short transaction on the caller's own connection
    (never the UI's writer, whose open transaction another thread's statements would join). When another writer holds
    the store, it gives up after WRITE_WAIT_MS and leaves the store alone for RETRY_AFTER_S; a read-only store is not
    asked again."""

    def __init__(self) -> None:
        self.read_only = False
        self._retry_at = 0.0

    def write(self, conn: sqlite3.Connection, family: str, version: str, days: dict[str, tuple[int, list[dict]]]) -> bool:
        """Store (change log number, rows) per day; False when the store can't take them now."""
        if self.read_only or time.monotonic() < self._retry_at or conn.in_transaction:  # never commit another's work
            return False
        computed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        payload = [(family, day, version, as_of, json.dumps(rows, separators=(",", ":")), computed_at)
                   for day, (as_of, rows) in days.items()]
        try:
            with _short_wait(conn):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO kpi_days(family, day, version, as_of_change, rows_json, computed_at) VALUES (?,?,?,?,?,?) "
                    "ON CONFLICT(family, day) DO UPDATE SET version = excluded.version, "
                    "as_of_change = excluded.as_of_change, rows_json = excluded.rows_json, computed_at = excluded.computed_at",
                    payload)
                conn.execute("COMMIT")
            return True
        except sqlite3.OperationalError as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
                self.read_only = True
            else:  # busy or locked: another writer's turn
                self._retry_at = time.monotonic() + RETRY_AFTER_S
            log.info("KPI days kept in memory only for now (%s): %s", family, error)
            return False


class DailyCache:
    """One family of per-day rows: `family` names it in the store, `version` its row shape, `topic` what it reads."""

    def __init__(self, family: str, version: str, topic: str, compute: Compute, *, fresh_days: int = 0,
                 store: DayStore | None = None, today: Callable[[], date] | None = None,
                 utc_days_of: Callable[[str], tuple[str, ...]] = lambda day: (day,)) -> None:
        self.family = family
        self.version = version
        self.topic = topic
        self.compute = compute
        self.fresh_days = fresh_days
        self.store = store or DayStore()
        self.today = today or (lambda: datetime.now(timezone.utc).date())  # the days' calendar: KpiService gives the shop's
        # The change log counts UTC days; a shop's day overlaps its UTC namesake and one neighbour (which one
        # depends on the zone), and a change on any of them makes the day stale.
        self.utc_days_of = utc_days_of
        self.computed_days: list[str] = []  # every day this cache computed from the store, oldest call first
        self._days: dict[str, tuple[int, list[dict]]] = {}  # day -> (change log number it was computed at, rows)
        self._unstored: set[str] = set()  # computed days old enough to store that the store could not take yet
        self._lock = threading.Lock()

    def rows(self, conn: sqlite3.Connection, days: list[str]) -> dict[str, list[dict]]:
        with self._lock:
            changes = _changes(conn, self.topic, _neighbours(min(days))[0], _neighbours(max(days))[2])
            if changes is None:
                computed = self._compute(conn, days)
                return {day: computed.get(day, []) for day in days}
            fresh_from = self._fresh_from()  # once per call: it reads the shop's day
            self._forget(lambda day, as_of: _stale(changes, self.utc_days_of(day), as_of) or day >= fresh_from)
            missing = [day for day in days if day not in self._days]
            if missing:
                for day, (as_of, rows) in _load(conn, self.family, self.version, missing).items():
                    if not _stale(changes, self.utc_days_of(day), as_of) and day < fresh_from:
                        self._days[day] = (as_of, rows)
                missing = [day for day in missing if day not in self._days]
            if missing:
                as_of = _last_change(conn)  # read before computing: a write after it makes these rows stale
                computed = self._compute(conn, missing)
                for day in missing:
                    self._days[day] = (as_of, computed.get(day, []))
                stored_before = (self.today() - timedelta(days=STORED_AFTER_DAYS - 1)).isoformat()
                self._unstored.update(day for day in missing if day < stored_before)
            self._store_days(conn)
            return {day: self._days[day][1] for day in days}

    def _store_days(self, conn: sqlite3.Connection) -> None:
        self._unstored &= self._days.keys()  # a day found stale meanwhile is stored when computed again
        if self._unstored and self.store.write(conn, self.family, self.version,
                                               {day: self._days[day] for day in self._unstored}):
            self._unstored.clear()

    def _fresh_from(self) -> str:
        """The first day recomputed on every call ('~' sorts after every date: none)."""
        if not self.fresh_days:
            return "~"
        return (self.today() - timedelta(days=self.fresh_days - 1)).isoformat()

    def _forget(self, drop: Callable[[str, int], bool]) -> None:
        for day in [day for day, (as_of, _) in self._days.items() if drop(day, as_of)]:
            del self._days[day]

    def _compute(self, conn: sqlite3.Connection, days: list[str]) -> dict[str, list[dict]]:
        """One query per run of consecutive days, so one stale day in the middle does not recompute the month."""
        computed: dict[str, list[dict]] = {}
        for first, last in _runs(sorted(days)):
            end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
            computed.update(self.compute(conn, first, end))
        self.computed_days.extend(sorted(days))
        return computed


def _runs(days: list[str]) -> Iterator[tuple[str, str]]:
    """(first, last) of each run of consecutive days in a sorted list."""
    first = previous = days[0]
    for day in days[1:]:
        if date.fromisoformat(day) - date.fromisoformat(previous) != timedelta(days=1):
            yield first, previous
            first = day
        previous = day
    yield first, previous


def _stale(changes: dict[str, int], utc_days: tuple[str, ...], as_of: int) -> bool:
    return max(changes.get(near, 0) for near in (*utc_days, EVERY_DAY)) > as_of


def _neighbours(day: str) -> tuple[str, str, str]:
    moment = date.fromisoformat(day)
    return ((moment - timedelta(days=1)).isoformat(), day, (moment + timedelta(days=1)).isoformat())


def _changes(conn: sqlite3.Connection, topic: str, first: str, last: str) -> dict[str, int] | None:
    """Day -> number of the last change to `topic` on it, for the days asked and '*'; None without a change log."""
    try:
        rows = conn.execute("SELECT day, seq FROM kpi_changes WHERE topic = ? AND (day BETWEEN ? AND ? OR day = ?)",
                            (topic, first, last, EVERY_DAY)).fetchall()
    except sqlite3.OperationalError:  # no such table: a file of an older schema, opened without migrating
        return None
    return {day: seq for day, seq in rows}


def _last_change(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(max(seq), 0) FROM kpi_changes").fetchone()[0]


def _load(conn: sqlite3.Connection, family: str, version: str, days: list[str]) -> dict[str, tuple[int, list[dict]]]:
    rows = conn.execute("SELECT day, as_of_change, rows_json FROM kpi_days WHERE family = ? AND version = ? "
                        "AND day BETWEEN ? AND ?", (family, version, min(days), max(days))).fetchall()
    wanted = set(days)
    return {day: (as_of, json.loads(text)) for day, as_of, text in rows if day in wanted}


@contextmanager
def _short_wait(conn: sqlite3.Connection) -> Iterator[None]:
    """Wait at most WRITE_WAIT_MS for the write lock, then restore the connection's own busy timeout."""
    before = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute(f"PRAGMA busy_timeout = {WRITE_WAIT_MS}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {before}")
