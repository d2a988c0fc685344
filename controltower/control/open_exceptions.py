"""What an open exception is, counted in this one place for the KPI card, the queue's chips and the checker's status line.

An open exception is a case that is not resolved and not snoozed at the moment asked: it needs someone now. A snoozed
case is parked until its time comes, so it counts again from then. The store keeps only a case's current snooze, so for
a past moment (a KPI's previous period, its trend) only "opened by then and not yet resolved" can be known.

The rules engine keeps one case per order per cause (engine.one_per_order_and_cause), so counting cases counts rows.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..domain.timeutil import to_iso, utcnow

# Unresolved and awake at :now. The partial index exceptions_open_kind covers exactly these rows.
_OPEN_NOW = ("FROM exceptions e INDEXED BY exceptions_open_kind "
             "WHERE e.resolved_at IS NULL AND (e.snoozed_until IS NULL OR e.snoozed_until <= ?)")


@dataclass(frozen=True)
class OpenExceptions:
    """The open cases at one moment, per kind."""

    by_kind: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def open_exceptions(conn: sqlite3.Connection, now: datetime | None = None) -> OpenExceptions:
    """The open, awake cases right now, per kind."""
    rows = conn.execute(f"SELECT e.kind, count(*) {_OPEN_NOW} GROUP BY e.kind", (to_iso(now or utcnow()),))
    return OpenExceptions({kind: n for kind, n in rows})


def open_at(conn: sqlite3.Connection, moment: datetime, now: datetime | None = None) -> int:
    """How many cases were open at `moment`: the same count as open_exceptions when `moment` is now or later; before
    now, cases opened before it and not resolved before it (snoozes of the past are not kept)."""
    now = now or utcnow()
    if moment >= now:
        return open_exceptions(conn, now).total
    return conn.execute("SELECT count(*) FROM exceptions WHERE (resolved_at IS NULL OR resolved_at >= ?) AND opened_at < ?",
                        (to_iso(moment), to_iso(moment))).fetchone()[0]
