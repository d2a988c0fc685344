"""The notification outbox: queue a message per channel once (dedup key), honour opt-outs, and show an order's history."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from ...domain.carriers import carrier_label
from ...domain.timeutil import from_iso, to_iso, utcnow
from ...store import carrier_accounts
from ...store.shop_clock import shop_zone
from .templates import TemplateSet

DEFAULT_CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class SentRecord:
    """One line of an order's message history: what was sent to whom, and how it went."""

    id: int
    channel: str
    template: str
    recipient: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str
    note: str


def local_text(conn: sqlite3.Connection, moment: datetime | None) -> str:
    """A time as the customer reads it, in the shop's timezone."""
    if moment is None:
        return "soon"
    return moment.astimezone(shop_zone(conn)).strftime("%a %d %b, %H:%M")


def order_values(conn: sqlite3.Connection, order_id: int) -> dict[str, str]:
    """Placeholders every template may use, from the order and its latest delivery shipment."""
    order = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    if order is None:
        raise KeyError(f"no order {order_id}")
    shipment = conn.execute("SELECT * FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
                            (order_id,)).fetchone()
    shop = conn.execute("SELECT value FROM settings WHERE key = 'shop.name'").fetchone()
    tracking_base = conn.execute("SELECT value FROM settings WHERE key = 'shop.tracking_url'").fetchone()
    eta = from_iso(shipment["eta"]) if shipment and shipment["eta"] else from_iso(order["promised_end"])
    start, end = from_iso(order["promised_start"]), from_iso(order["promised_end"])
    window = f"{local_text(conn, start)} to {local_text(conn, end)[-5:]}" if start and end else local_text(conn, eta)
    tracking = shipment["tracking_number"] if shipment else ""
    return {
        "shop_name": shop[0] if shop else "our shop",
        "customer_name": order["customer_name"],
        "order_ref": order["order_ref"],
        "carrier": carrier_label(shipment["carrier"], carrier_accounts.names(conn)) if shipment else "",
        "eta": local_text(conn, eta),
        "eta_window": window,
        "new_eta": local_text(conn, eta),
        "tracking_url": (tracking_base[0].rstrip("/") + "/" + tracking) if tracking_base and tracking else "",
        "next_steps": "Reply to this message to choose a new time.",
        "rating_question": "",  # filled only for customers who agreed to be asked (ratings.asking)
    }


def recipient_for(conn: sqlite3.Connection, order_id: int, channel: str) -> tuple[str, str]:
    """(recipient, problem): an email address, or a phone number in E.164 for SMS."""
    order = conn.execute("SELECT email, phone, country FROM orders WHERE id = ?", (order_id,)).fetchone()
    if channel == "email":
        email = (order["email"] or "").strip()
        return (email, "") if "@" in email else ("", "no email address")
    raw = (order["phone"] or "").strip()
    if not raw:
        return "", "no phone number"
    try:
        number = phonenumbers.parse(raw, order["country"] or "US")
    except phonenumbers.NumberParseException:
        return raw, "not a phone number"
    if not phonenumbers.is_valid_number(number):
        return raw, "not a valid phone number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def opt_out(conn: sqlite3.Connection, channel: str, recipient: str, reason: str = "") -> None:
    conn.execute("INSERT INTO customer_optouts(channel, recipient, at, reason) VALUES (?,?,?,?) "
                 "ON CONFLICT(channel, recipient) DO NOTHING", (channel, recipient.strip().lower(), to_iso(utcnow()), reason))


def opt_in(conn: sqlite3.Connection, channel: str, recipient: str) -> None:
    conn.execute("DELETE FROM customer_optouts WHERE channel = ? AND recipient = ?", (channel, recipient.strip().lower()))


def is_opted_out(conn: sqlite3.Connection, channel: str, recipient: str) -> bool:
    return conn.execute("SELECT 1 FROM customer_optouts WHERE channel = ? AND recipient = ?",
                        (channel, recipient.strip().lower())).fetchone() is not None


def enqueue(conn: sqlite3.Connection, order_id: int, event: str, *, dedup_key: str,
            channels: tuple[str, ...] = DEFAULT_CHANNELS, values: dict[str, str] | None = None,
            templates: TemplateSet | None = None) -> list[int]:
    """Queue one message per channel; a dedup key already used is a no-op. Call inside the transaction of the change."""
    templates = templates or TemplateSet()
    filled = order_values(conn, order_id) | (values or {})
    now = to_iso(utcnow())
    ids = []
    for channel in channels:
        recipient, problem = recipient_for(conn, order_id, channel)
        if not recipient and problem.startswith("no "):
            continue  # nothing to send on this channel
        status, note = "queued", ""
        if problem:
            status, note = "failed", problem
        elif is_opted_out(conn, channel, recipient):
            status, note = "suppressed", "the customer opted out of this channel"
        rendered = templates.render(event, channel, filled)
        cursor = conn.execute(
            "INSERT INTO notifications(order_id, channel, template, recipient, subject, body, status, dedup_key, created_at, "
            "next_attempt_at, last_error, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dedup_key) DO NOTHING",
            (order_id, channel, event, recipient, rendered.subject, rendered.body, status, f"{dedup_key}:{channel}", now, now,
             problem, note),
        )
        if cursor.rowcount:
            ids.append(cursor.lastrowid)
    return ids


# --- the sender's bookkeeping: each step a queued message takes ---

def claim(conn: sqlite3.Connection, notification_id: int, at: str) -> bool:
    """Mark a queued message as being sent (one more attempt); False if another sender took it first."""
    return bool(conn.execute("UPDATE notifications SET status = 'sending', claimed_at = ?, attempts = attempts + 1 "
                             "WHERE id = ? AND status = 'queued'", (at, notification_id)).rowcount)


def mark_sent(conn: sqlite3.Connection, notification_id: int, at: str, provider_id: str, note: str | None = None) -> None:
    conn.execute("UPDATE notifications SET status = 'sent', sent_at = ?, provider_id = ?, last_error = '', "
                 "note = COALESCE(?, note) WHERE id = ?", (at, provider_id, note, notification_id))


def hold_until(conn: sqlite3.Connection, notification_id: int, until: str, *, note: str | None = None,
               last_error: str | None = None) -> None:
    """Try a queued message again no earlier than `until` (quiet hours, no account set up yet)."""
    conn.execute("UPDATE notifications SET next_attempt_at = ?, note = COALESCE(?, note), last_error = COALESCE(?, last_error) "
                 "WHERE id = ?", (until, note, last_error, notification_id))


def requeue(conn: sqlite3.Connection, notification_id: int, until: str, *, note: str | None = None,
            last_error: str | None = None) -> None:
    """Put a message that was being sent back in the queue, to be tried again from `until`."""
    conn.execute("UPDATE notifications SET status = 'queued', next_attempt_at = ?, note = COALESCE(?, note), "
                 "last_error = COALESCE(?, last_error) WHERE id = ?", (until, note, last_error, notification_id))


def suppress(conn: sqlite3.Connection, notification_id: int, note: str) -> None:
    conn.execute("UPDATE notifications SET status = 'suppressed', note = ? WHERE id = ?", (note, notification_id))


def mark_failed(conn: sqlite3.Connection, notification_id: int, error: str) -> None:
    conn.execute("UPDATE notifications SET status = 'failed', last_error = ? WHERE id = ?", (error, notification_id))


def history(conn: sqlite3.Connection, order_id: int) -> list[SentRecord]:
    """Every message for an order, newest first, for the order's history panel."""
    return [
        SentRecord(r["id"], r["channel"], r["template"], r["recipient"], r["subject"], r["status"], from_iso(r["created_at"]),
                   from_iso(r["sent_at"]), r["attempts"], r["last_error"], r["note"])
        for r in conn.execute("SELECT * FROM notifications WHERE order_id = ? ORDER BY created_at DESC, id DESC", (order_id,))
    ]
