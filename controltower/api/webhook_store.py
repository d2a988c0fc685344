"""The webhook tables' one writer: endpoints, the durable outbox, the delivery log, and what the feed has seen."""
from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain.timeutil import from_iso, to_iso


@dataclass(frozen=True)
class Endpoint:
    id: int
    url: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str
    failures_in_a_row: int


@dataclass(frozen=True)
class Message:
    """One event for one endpoint, waiting in (or gone from) the outbox."""

    id: int
    message_id: str
    endpoint_id: int
    event_type: str
    body: str
    created_at: datetime
    state: str
    attempts: int


def add_endpoint(conn: sqlite3.Connection, url: str, events: list[str], now: datetime) -> int:
    return conn.execute("INSERT INTO webhook_endpoints(url, events_json, created_at) VALUES (?,?,?)",
                        (url, json.dumps(sorted(events)), to_iso(now))).lastrowid


def remove_endpoint(conn: sqlite3.Connection, endpoint_id: int) -> None:
    conn.execute("DELETE FROM webhook_endpoints WHERE id = ?", (endpoint_id,))


def set_enabled(conn: sqlite3.Connection, endpoint_id: int, enabled: bool, reason: str = "") -> None:
    conn.execute("UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, failures_in_a_row = "
                 "CASE WHEN ? THEN 0 ELSE failures_in_a_row END WHERE id = ?",
                 (int(enabled), reason, int(enabled), endpoint_id))


def endpoints(conn: sqlite3.Connection) -> list[Endpoint]:
    return [Endpoint(r["id"], r["url"], tuple(json.loads(r["events_json"])), bool(r["enabled"]), r["disabled_reason"],
                     r["failures_in_a_row"]) for r in conn.execute("SELECT * FROM webhook_endpoints ORDER BY id")]


def enqueue(conn: sqlite3.Connection, endpoint_id: int, event_type: str, body: str, now: datetime) -> str:
    message_id = f"msg_{uuid.uuid4().hex}"
    conn.execute("INSERT INTO webhook_outbox(message_id, endpoint_id, event_type, body, created_at, next_attempt_at) "
                 "VALUES (?,?,?,?,?,?)", (message_id, endpoint_id, event_type, body, to_iso(now), to_iso(now)))
    return message_id


def due(conn: sqlite3.Connection, now: datetime, limit: int) -> list[Message]:
    rows = conn.execute(
        "SELECT m.* FROM webhook_outbox m JOIN webhook_endpoints e ON e.id = m.endpoint_id "
        "WHERE m.state = 'pending' AND m.next_attempt_at <= ? AND e.enabled ORDER BY m.id LIMIT ?",
        (to_iso(now), limit)).fetchall()
    return [_message(r) for r in rows]


def delivered(conn: sqlite3.Connection, message: Message, now: datetime, status_code: int, ms: int) -> None:
    conn.execute("UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, "
                 "last_error = '' WHERE id = ?", (to_iso(now), message.id))
    conn.execute("UPDATE webhook_endpoints SET failures_in_a_row = 0 WHERE id = ?", (message.endpoint_id,))
    _log(conn, message.id, now, status_code, "", ms)


def failed(conn: sqlite3.Connection, message: Message, now: datetime, status_code: int | None, error: str, ms: int,
           next_attempt: datetime | None) -> None:
    """A failed attempt: tried again at `next_attempt`, or (None) given up."""
    conn.execute("UPDATE webhook_outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                 "WHERE id = ?", ("pending" if next_attempt else "failed", to_iso(next_attempt or now), error,
                                  message.id))
    conn.execute("UPDATE webhook_endpoints SET failures_in_a_row = failures_in_a_row + 1 WHERE id = ?",
                 (message.endpoint_id,))
    _log(conn, message.id, now, status_code, error, ms)


def give_up_older_than(conn: sqlite3.Connection, cutoff: datetime) -> list[int]:
    """Messages still undelivered after their retry period: failed; returns their endpoints."""
    rows = conn.execute("SELECT DISTINCT endpoint_id FROM webhook_outbox WHERE state = 'pending' AND created_at < ?",
                        (to_iso(cutoff),)).fetchall()
    conn.execute("UPDATE webhook_outbox SET state = 'failed' WHERE state = 'pending' AND created_at < ?",
                 (to_iso(cutoff),))
    return [r[0] for r in rows]


def _log(conn, outbox_id: int, now: datetime, status_code: int | None, error: str, ms: int) -> None:
    conn.execute("INSERT INTO webhook_attempts(outbox_id, at, status_code, error, duration_ms) VALUES (?,?,?,?,?)",
                 (outbox_id, to_iso(now), status_code, error[:500], ms))


def delivery_log(conn: sqlite3.Connection, limit: int = 200) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT a.at, m.message_id, m.event_type, e.url, a.status_code, a.error, a.duration_ms, m.state "
        "FROM webhook_attempts a JOIN webhook_outbox m ON m.id = a.outbox_id "
        "JOIN webhook_endpoints e ON e.id = m.endpoint_id ORDER BY a.id DESC LIMIT ?", (limit,))]


def messages(conn: sqlite3.Connection) -> list[Message]:
    return [_message(r) for r in conn.execute("SELECT * FROM webhook_outbox ORDER BY id")]


# ---- what the feed has seen
def seen(conn: sqlite3.Connection, entity: str, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(f"SELECT entity_id, fingerprint FROM webhook_seen WHERE entity = ? AND entity_id IN "
                                f"({marks})", (entity, *chunk)).fetchall())
    return out


def mark_seen(conn: sqlite3.Connection, entity: str, fingerprints: dict[int, str]) -> None:
    conn.executemany("INSERT INTO webhook_seen(entity, entity_id, fingerprint) VALUES (?,?,?) "
                     "ON CONFLICT(entity, entity_id) DO UPDATE SET fingerprint = excluded.fingerprint",
                     [(entity, k, v) for k, v in fingerprints.items()])


def cursor(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM webhook_cursors WHERE name = ?", (name,)).fetchone()
    return None if row is None else row[0]


def set_cursor(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO webhook_cursors(name, value) VALUES (?,?) ON CONFLICT(name) DO UPDATE SET value = "
                 "excluded.value", (name, value))


def _message(r) -> Message:
    return Message(r["id"], r["message_id"], r["endpoint_id"], r["event_type"], r["body"], from_iso(r["created_at"]),
                   r["state"], r["attempts"])
