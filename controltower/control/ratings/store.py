"""The ratings' tables: the only module that writes rating_consents, rating_requests, ratings and rating_replies."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...domain.timeutil import from_iso, to_iso

MATCH_WINDOW = timedelta(hours=48)  # a reply answers the newest question sent to its address this long before it


@dataclass(frozen=True)
class Request:
    """A question put to a customer, as a reply is matched to it."""

    id: int
    order_id: int
    shipment_id: int | None
    kind: str  # rating or followup
    channel: str
    recipient: str
    sent_at: datetime


def normalise(recipient: str) -> str:
    return recipient.strip().lower()


# --- consent ---

def set_consent(conn: sqlite3.Connection, channel: str, recipient: str, consented: bool, at: datetime,
                source: str = "") -> None:
    conn.execute("INSERT INTO rating_consents(channel, recipient, consented, at, source) VALUES (?,?,?,?,?) "
                 "ON CONFLICT(channel, recipient) DO UPDATE SET consented = excluded.consented, at = excluded.at, "
                 "source = excluded.source", (channel, normalise(recipient), int(consented), to_iso(at), source))


def has_consent(conn: sqlite3.Connection, channel: str, recipient: str) -> bool:
    row = conn.execute("SELECT consented FROM rating_consents WHERE channel = ? AND recipient = ?",
                       (channel, normalise(recipient))).fetchone()
    return bool(row and row[0])


# --- questions ---

def add_request(conn: sqlite3.Connection, order_id: int, shipment_id: int | None, kind: str, notification_id: int,
                at: datetime) -> int | None:
    """The question carried by notification `notification_id` (its channel and address are the notification's)."""
    cursor = conn.execute(
        "INSERT INTO rating_requests(order_id, shipment_id, kind, channel, recipient, notification_id, asked_at) "
        "SELECT ?, ?, ?, channel, lower(recipient), id, ? FROM notifications WHERE id = ? "
        "ON CONFLICT(notification_id) DO NOTHING", (order_id, shipment_id, kind, to_iso(at), notification_id))
    return cursor.lastrowid if cursor.rowcount else None


def last_request(conn: sqlite3.Connection, channel: str, sender: str, received_at: datetime) -> Request | None:
    """The newest question that reached `sender` on `channel` in the 48 hours before the reply; sent means the
    notification went out (a question still queued, or suppressed, was never asked)."""
    row = conn.execute(
        "SELECT r.id, r.order_id, r.shipment_id, r.kind, r.channel, r.recipient, n.sent_at FROM rating_requests r "
        "JOIN notifications n ON n.id = r.notification_id "
        "WHERE r.channel = ? AND r.recipient = ? AND n.status = 'sent' AND n.sent_at <= ? AND n.sent_at >= ? "
        "ORDER BY n.sent_at DESC, r.id DESC LIMIT 1",
        (channel, normalise(sender), to_iso(received_at), to_iso(received_at - MATCH_WINDOW))).fetchone()
    if row is None:
        return None
    return Request(row["id"], row["order_id"], row["shipment_id"], row["kind"], row["channel"], row["recipient"],
                   from_iso(row["sent_at"]))


# --- replies and ratings ---

def reply_seen(conn: sqlite3.Connection, provider_id: str) -> bool:
    return conn.execute("SELECT 1 FROM rating_replies WHERE provider_id = ?", (provider_id,)).fetchone() is not None


def record_reply(conn: sqlite3.Connection, provider_id: str, channel: str, sender: str, received_at: datetime,
                 body: str, outcome: str, rating_id: int | None = None) -> bool:
    """Remember an inbound message as read; False when it was read before (then nothing else may happen)."""
    cursor = conn.execute(
        "INSERT INTO rating_replies(provider_id, channel, sender, received_at, body, outcome, rating_id) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT(provider_id) DO NOTHING",
        (provider_id, channel, normalise(sender), to_iso(received_at), body[:2000], outcome, rating_id))
    return bool(cursor.rowcount)


def rating_for_shipment(conn: sqlite3.Connection, shipment_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM ratings WHERE shipment_id = ?", (shipment_id,)).fetchone()


def add_rating(conn: sqlite3.Connection, request: Request, score: int, comment: str, received_at: datetime) -> int | None:
    """The delivery's rating; None when it was rated already (the first reply counts)."""
    cursor = conn.execute(
        "INSERT INTO ratings(order_id, shipment_id, request_id, score, comment, channel, received_at) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT(shipment_id) DO NOTHING",
        (request.order_id, request.shipment_id, request.id, score, comment, request.channel, to_iso(received_at)))
    return cursor.lastrowid if cursor.rowcount else None


def set_case(conn: sqlite3.Connection, rating_id: int, case_id: int | None) -> None:
    conn.execute("UPDATE ratings SET case_id = ? WHERE id = ?", (case_id, rating_id))


def set_reason(conn: sqlite3.Connection, shipment_id: int, reason: str, text: str) -> sqlite3.Row | None:
    """What went wrong, from the follow-up's reply (the first answer counts); the rating row, or None when it was
    answered before."""
    changed = conn.execute("UPDATE ratings SET reason = ?, reason_text = ? WHERE shipment_id = ? AND reason = ''",
                           (reason, text[:500], shipment_id)).rowcount
    return rating_for_shipment(conn, shipment_id) if changed else None
