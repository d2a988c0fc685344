"""Queue the customer's message when a shipment reaches a status they hear about (booked, out for delivery, delivered, failed)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.timeutil import from_iso, to_iso, utcnow
from ...store import Database, settings
from ..ratings.asking import queue_delivered
from .outbox import enqueue
from .templates import TemplateSet

STATUS_EVENTS = ("booked", "out_for_delivery", "delivered", "failed_attempt")
STALE = timedelta(hours=24)  # a status older than this is history, not news: never message about it
_MARK = "notify.status_mark"


class StatusNotifier:
    """Incremental: looks only at shipments written since the last run (shipments.updated_at, indexed)."""

    def __init__(self, db: Database, *, templates: TemplateSet | None = None) -> None:
        self.db = db
        self.templates = templates or TemplateSet()

    def events(self) -> tuple[str, ...]:
        chosen = self.db.get_setting("notify.auto_events")
        return STATUS_EVENTS if chosen is None else tuple(e.strip() for e in chosen.split(",") if e.strip() in STATUS_EVENTS)

    def run(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        events = self.events()
        mark = self.db.get_setting(_MARK) or to_iso(now - timedelta(hours=1))
        if not events:
            return 0
        conn = self.db.reader()
        rows = conn.execute(
            f"SELECT s.id, s.order_id, s.status, s.status_as_of, s.updated_at FROM shipments s JOIN orders o ON o.id = s.order_id "
            f"WHERE s.updated_at >= ? AND s.kind = 'delivery' AND s.carrier != 'pickup' "
            f"AND s.status IN ({', '.join('?' * len(events))})", (mark, *events)).fetchall()
        queued = 0
        newest = mark
        with self.db.transaction() as tx:
            for row in rows:
                newest = max(newest, row["updated_at"])
                as_of = from_iso(row["status_as_of"])
                if as_of is not None and now - as_of > STALE:
                    continue
                # One message per shipment and status; each failed attempt is its own news.
                key = f"{row['status']}:{row['id']}" + (f":{row['status_as_of']}" if row["status"] == "failed_attempt" else "")
                if row["status"] == "delivered":  # asks for a rating where the customer agreed to it
                    queued += len(queue_delivered(tx, row["order_id"], row["id"], dedup_key=key, now=now,
                                                  templates=self.templates))
                    continue
                queued += len(enqueue(tx, row["order_id"], row["status"], dedup_key=key, templates=self.templates))
            settings.put(tx, {_MARK: newest})
        return queued
