"""Asking for a rating: the "delivered" message carries "How did we do? Reply 1-5" to customers who agreed to be asked."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from ..notify.outbox import DEFAULT_CHANNELS, enqueue, is_opted_out, recipient_for
from ..notify.templates import TemplateSet
from . import store

QUESTION = {
    "sms": " How did we do? Reply 1-5 (5 = great).",
    "email": "How did we do? Reply to this email with a number from 1 (poor) to 5 (great).",
}


def may_ask(conn: sqlite3.Connection, channel: str, recipient: str) -> bool:
    """Only a customer who said yes to being asked, and has not replied STOP since."""
    return store.has_consent(conn, channel, recipient) and not is_opted_out(conn, channel, recipient)


def queue_delivered(conn: sqlite3.Connection, order_id: int, shipment_id: int, *, dedup_key: str, now: datetime,
                    templates: TemplateSet | None = None) -> list[int]:
    """The "delivered" message on each channel, with the rating question where the customer agreed to it; each
    question is remembered so a reply can be matched to it. Inside the caller's transaction."""
    queued = []
    for channel in DEFAULT_CHANNELS:
        recipient, problem = recipient_for(conn, order_id, channel)
        ask = bool(recipient) and not problem and may_ask(conn, channel, recipient)
        ids = enqueue(conn, order_id, "delivered", dedup_key=dedup_key, channels=(channel,), templates=templates,
                      values={"rating_question": QUESTION[channel] if ask else ""})
        if ask:
            for notification_id in ids:
                store.add_request(conn, order_id, shipment_id, "rating", notification_id, now)
        queued += ids
    return queued
