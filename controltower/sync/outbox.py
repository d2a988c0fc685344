"""The durable outbox: every carrier write is stored here first, then sent, retried and reconciled from here.

States: pending (to send, nothing has reached the carrier or it said no-effect), in_flight (being sent
now), unknown (sent but the answer was lost: resolve by idempotent replay or lookup before anything
else), done, failed (the carrier refused; visible to the user), cancelled (by the user before sending),
refund_pending (a cancel the carrier took as a label refund request: its decision is asked again later).
Functions take a connection; writers call them inside `Database.transaction()`.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain.timeutil import from_iso, to_iso, utcnow
from ..kernel.redact import redact, redact_value

OPEN_STATES = ("pending", "in_flight", "unknown")
OPERATIONS = ("book", "cancel", "return")
UNKNOWN_MARK = '{"outcome": "unknown"}'  # result_json of an entry whose earlier send may have taken effect


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    idempotency_key: str
    carrier: str
    operation: str
    shipment_id: int | None
    payload: dict
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    result: dict
    created_at: datetime
    updated_at: datetime

    @property
    def outcome_unknown(self) -> bool:
        """An earlier send may have reached the carrier: look it up or replay the same key, never a fresh write."""
        return self.state == "unknown" or self.result.get("outcome") == "unknown"

    @property
    def refund_pending(self) -> bool:
        """A cancel the carrier accepted as a refund request only: its status is asked again, never re-sent."""
        return self.state == "refund_pending" or bool(self.result.get("refund_pending"))

    @property
    def cancellable(self) -> bool:
        """Only a write that has not reached the carrier may be withdrawn."""
        return self.state == "pending" and not self.refund_pending


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"], idempotency_key=row["idempotency_key"], carrier=row["carrier"], operation=row["operation"],
        shipment_id=row["shipment_id"], payload=json.loads(row["payload_json"] or "{}"), state=row["state"],
        attempts=row["attempts"], next_attempt_at=from_iso(row["next_attempt_at"]), last_error=row["last_error"],
        result=json.loads(row["result_json"] or "{}"), created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
    )


def new_idempotency_key(operation: str, shipment_id: int | None) -> str:
    return f"ct-{operation}-{shipment_id or 0}-{uuid.uuid4().hex}"


def add(conn: sqlite3.Connection, *, carrier: str, operation: str, shipment_id: int | None, payload: dict,
        idempotency_key: str | None = None) -> OutboxEntry:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown outbox operation {operation!r}")
    now = to_iso(utcnow())
    key = idempotency_key or new_idempotency_key(operation, shipment_id)
    entry_id = conn.execute(
        "INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, payload_json, state, attempts, "
        "next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?, 'pending', 0, ?, ?, ?)",
        (key, carrier, operation, shipment_id, json.dumps(payload, sort_keys=True), now, now, now),
    ).lastrowid
    return get(conn, entry_id)


def get(conn: sqlite3.Connection, entry_id: int) -> OutboxEntry | None:
    row = conn.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    return None if row is None else _entry(row)


def due(conn: sqlite3.Connection, now: datetime, limit: int = 200) -> list[OutboxEntry]:
    """Entries to send now, oldest first; an entry waits while an earlier one for its shipment is open."""
    rows = conn.execute(
        "SELECT * FROM outbox o WHERE o.state IN ('pending', 'unknown', 'refund_pending') AND o.next_attempt_at <= ? "
        "AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.shipment_id = o.shipment_id AND e.id < o.id "
        "AND e.state IN ('pending', 'in_flight', 'unknown')) ORDER BY o.id LIMIT ?",
        (to_iso(now), limit),
    ).fetchall()
    return [_entry(r) for r in rows]


def open_for_shipment(conn: sqlite3.Connection, shipment_id: int) -> list[OutboxEntry]:
    """The shipment's writes not yet settled (waiting, being sent, or of unknown outcome)."""
    marks = ",".join("?" * len(OPEN_STATES))
    rows = conn.execute(f"SELECT * FROM outbox WHERE shipment_id = ? AND state IN ({marks}) ORDER BY id",
                        (shipment_id, *OPEN_STATES)).fetchall()
    return [_entry(r) for r in rows]


def oldest_waiting(conn: sqlite3.Connection) -> OutboxEntry | None:
    """The first write in the queue, due or not."""
    row = conn.execute("SELECT * FROM outbox WHERE state IN ('pending', 'unknown') ORDER BY id LIMIT 1").fetchone()
    return None if row is None else _entry(row)


def queued(conn: sqlite3.Connection, *, include_failed: bool = True, limit: int = 500) -> list[OutboxEntry]:
    """What the user sees in the queued-writes panel: open writes, then recent failures."""
    states = OPEN_STATES + (("failed",) if include_failed else ())
    marks = ",".join("?" * len(states))
    rows = conn.execute(f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY id LIMIT ?", (*states, limit)).fetchall()
    return [_entry(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {row[0]: row[1] for row in conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")}


def _set(conn: sqlite3.Connection, entry_id: int, state: str, *, error: str | None = None,
         next_attempt_at: datetime | None = None, result: dict | None = None) -> None:
    # The last net before the file: error text and results never keep a credential, whoever wrote them.
    error = None if error is None else redact(error)
    result = None if result is None else redact_value(result)
    conn.execute(
        "UPDATE outbox SET state = ?, last_error = COALESCE(?, last_error), "
        "next_attempt_at = ?, result_json = COALESCE(?, result_json), updated_at = ? WHERE id = ?",
        (state, error, to_iso(next_attempt_at), None if result is None else json.dumps(result, default=str),
         to_iso(utcnow()), entry_id),
    )


def mark_in_flight(conn: sqlite3.Connection, entry_id: int) -> bool:
    """Claim an entry for sending; False when it was withdrawn (or claimed) meanwhile."""
    return conn.execute(
        "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, updated_at = ? "
        "WHERE id = ? AND state IN ('pending', 'unknown', 'refund_pending')", (to_iso(utcnow()), entry_id)).rowcount == 1


def mark_done(conn: sqlite3.Connection, entry_id: int, result: dict) -> None:
    _set(conn, entry_id, "done", error="", result=result)


def mark_failed(conn: sqlite3.Connection, entry_id: int, error: str) -> None:
    _set(conn, entry_id, "failed", error=error)


def retry_later(conn: sqlite3.Connection, entry_id: int, error: str, at: datetime, *, outcome_unknown: bool) -> None:
    """Back to the queue. 'unknown' is sticky: once a send may have taken effect, the entry stays to be reconciled."""
    marked = conn.execute("SELECT result_json FROM outbox WHERE id = ?", (entry_id,)).fetchone()[0] == UNKNOWN_MARK
    unknown = outcome_unknown or marked
    _set(conn, entry_id, "unknown" if unknown else "pending", error=error, next_attempt_at=at,
         result=json.loads(UNKNOWN_MARK) if unknown else None)


def await_refund(conn: sqlite3.Connection, entry_id: int, raw_status: str, at: datetime) -> None:
    """The carrier took the cancel as a refund request ("submitted", "QUEUED"): ask again at `at`."""
    _set(conn, entry_id, "refund_pending", error=f"refund {raw_status}: waiting for the carrier's decision",
         next_attempt_at=at, result={"refund_pending": raw_status or "submitted"})


def recover_after_crash(conn: sqlite3.Connection) -> int:
    """Entries left in flight by a crash may have reached the carrier: mark them unknown to reconcile."""
    now = to_iso(utcnow())
    # A refund check only reads: it goes back to waiting for the carrier's decision, never to a re-sent cancel.
    conn.execute("UPDATE outbox SET state = 'refund_pending', next_attempt_at = ?, updated_at = ? "
                 "WHERE state = 'in_flight' AND result_json LIKE '%\"refund_pending\"%'", (now, now))
    return conn.execute(
        "UPDATE outbox SET state = 'unknown', result_json = ?, next_attempt_at = ?, "
        "last_error = 'the app stopped while this was being sent', updated_at = ? WHERE state = 'in_flight'",
        (UNKNOWN_MARK, now, now)).rowcount


def all_due_now(conn: sqlite3.Connection) -> None:
    """Everything waiting is due at once instead of at its backoff time (the network is back, or the user asked)."""
    conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE state IN ('pending', 'unknown')", (to_iso(utcnow()),))


def cancel(conn: sqlite3.Connection, entry_id: int) -> OutboxEntry:
    """Withdraw a write that has not reached the carrier; raises ValueError for any other."""
    entry = get(conn, entry_id)
    if entry is None:
        raise KeyError(f"no queued write {entry_id}")
    if not entry.cancellable:
        raise ValueError(_why_not_cancellable(entry))
    _set(conn, entry_id, "cancelled", error="cancelled by the user", next_attempt_at=entry.next_attempt_at)
    return get(conn, entry_id)


def _why_not_cancellable(entry: OutboxEntry) -> str:
    if entry.refund_pending:
        return "the carrier is deciding on the label refund"
    return {
        "in_flight": "it is being sent to the carrier right now",
        "unknown": "the carrier may already have it; Control Tower is checking before anything else",
        "done": "the carrier already has it",
        "failed": "it already failed and was never carried out",
        "cancelled": "it was already cancelled",
    }.get(entry.state, entry.state)
