"""The exception cases and their history: the only module that writes `exceptions` and `exception_actions`.

The rules engine, the queue's actions and the demo all open, change and close cases through these functions, inside
the caller's transaction; the caller records the audit entry and announces the change.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable

from .rules.base import Finding


def open_case(conn: sqlite3.Connection, finding: Finding, opened_at: str) -> int | None:
    """A new open case for the finding's cause, with its "opened" entry; None if one was opened a moment ago."""
    cursor = conn.execute(
        "INSERT INTO exceptions(kind, severity, cause_key, order_id, shipment_id, summary, suggested_action, opened_at) "
        "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
        (finding.kind, finding.severity.value, finding.cause_key, finding.order_id, finding.shipment_id,
         finding.summary, finding.suggested_action, opened_at))
    if cursor.rowcount == 0:
        return None
    log_action(conn, cursor.lastrowid, "opened", finding.summary, opened_at)
    return cursor.lastrowid


def restate(conn: sqlite3.Connection, cases: Iterable[tuple[int, Finding]]) -> None:
    """Open cases whose cause is still there but now reads differently (severity or summary)."""
    conn.executemany("UPDATE exceptions SET severity = ?, summary = ? WHERE id = ? AND resolved_at IS NULL",
                     [(finding.severity.value, finding.summary, case_id) for case_id, finding in cases])


def resolve(conn: sqlite3.Connection, case_ids: Iterable[int], at: str, resolution: str,
            action: str | None = None) -> list[int]:
    """Close the cases still open, and log `action` (when given) for each; returns the ids it closed."""
    closed = [case_id for case_id in case_ids if conn.execute(
        "UPDATE exceptions SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL",
        (at, resolution, case_id)).rowcount]
    if action:
        log_actions(conn, [(case_id, action, resolution) for case_id in closed], at)
    return closed


def snooze(conn: sqlite3.Connection, case_id: int, until: str) -> None:
    conn.execute("UPDATE exceptions SET snoozed_until = ? WHERE id = ?", (until, case_id))


def set_history(conn: sqlite3.Connection, case_id: int, opened_at: str, resolved_at: str, resolution: str) -> None:
    """When a past case was opened and how it was closed (the demo's settled history)."""
    conn.execute("UPDATE exceptions SET opened_at = ?, resolved_at = ?, resolution = ? WHERE id = ?",
                 (opened_at, resolved_at, resolution, case_id))


def log_action(conn: sqlite3.Connection, case_id: int, action: str, note: str, at: str) -> None:
    log_actions(conn, [(case_id, action, note)], at)


def log_actions(conn: sqlite3.Connection, entries: Iterable[tuple[int, str, str]], at: str) -> None:
    """(case id, action, note) entries in the cases' history, all at one moment."""
    conn.executemany("INSERT INTO exception_actions(exception_id, at, action, note) VALUES (?,?,?,?)",
                     [(case_id, at, action, note) for case_id, action, note in entries])
