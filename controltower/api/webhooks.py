"""Webhooks out: subscriptions per event, fed from the store's changes, sent from a durable outbox, signed in the
Standard Webhooks format (webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256>"), retried
with back-off for 24 hours; an endpoint that still fails after that is turned off and the job says so.

    hooks = core.webhooks
    endpoint_id, secret = hooks.subscribe("https://example.com/hooks", ["shipment.delivered"])
    hooks.send_test(endpoint_id); hooks.run_once()      # the "Webhooks out" job calls run_once()
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets as random_secrets
import time
from datetime import datetime, timedelta
from typing import Callable

import httpx

from ..domain.timeutil import to_iso, utcnow
from ..kernel.errors import InputError, UserFacingError
from ..kernel.events import EventHub
from ..store import Database, secrets
from . import webhook_store as store

log = logging.getLogger(__name__)

EVENTS = ("order.created", "order.updated", "shipment.booked", "shipment.status_changed",
          "shipment.out_for_delivery", "shipment.delivered", "shipment.failed_attempt",
          "exception.opened", "exception.resolved", "rating.received")
TEST_EVENT = "webhook.test"
RETRY_FOR = timedelta(hours=24)
# After each failed attempt, wait this long (seconds) before the next (Svix's published schedule, which the
# Standard Webhooks authors use); the last waits repeat until 24 hours have passed.
BACKOFF = (5, 300, 1800, 7200, 18000, 36000)
LOOK_BACK = timedelta(minutes=2)  # a transaction committing late with an earlier timestamp is still seen
_STATUS_EVENTS = {"booked": "shipment.booked", "out_for_delivery": "shipment.out_for_delivery",
                  "delivered": "shipment.delivered", "failed_attempt": "shipment.failed_attempt"}
_KEYCHAIN = "webhook"


class EndpointsTurnedOff(UserFacingError):
    """Shown as the job's error in Background work while an endpoint stays off."""


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookService:
    def __init__(self, db: Database, hub: EventHub | None = None, *, clock: Callable[[], datetime] = utcnow,
                 timeout_s: float = 10.0, batch: int = 50) -> None:
        self.db, self.hub, self.clock, self.timeout_s, self.batch = db, hub, clock, timeout_s, batch

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, url: str, events: list[str]) -> tuple[int, str]:
        """A new endpoint for `events`; returns its id and its signing secret (whsec_..., kept in the keychain)."""
        unknown = sorted(set(events) - set(EVENTS))
        if unknown or not events:
            raise InputError(f"Unknown webhook event(s): {', '.join(unknown) or 'none given'}.",
                             f"Pick from: {', '.join(EVENTS)}.")
        if not url.startswith(("https://", "http://")):
            raise InputError("A webhook address starts with https:// (or http:// on this computer).")
        secret = "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode()
        now = self.clock()
        with self.db.transaction() as conn:
            if store.cursor(conn, "floor") is None:  # announce changes from now on, never the store's history
                store.set_cursor(conn, "floor", to_iso(now))
                store.set_cursor(conn, "since", to_iso(now))
                _rating_events(conn)  # marks the ratings already there as told
            endpoint_id = store.add_endpoint(conn, url, events, now)
            secrets.set_secret(_KEYCHAIN, str(endpoint_id), secret)  # no keychain: no endpoint (rolled back)
        return endpoint_id, secret

    def unsubscribe(self, endpoint_id: int) -> None:
        with self.db.transaction() as conn:
            store.remove_endpoint(conn, endpoint_id)
        secrets.delete_secret(_KEYCHAIN, str(endpoint_id))

    def turn_on(self, endpoint_id: int) -> None:
        with self.db.transaction() as conn:
            store.set_enabled(conn, endpoint_id, True)

    def endpoints(self) -> list[store.Endpoint]:
        return store.endpoints(self.db.reader())

    def delivery_log(self, limit: int = 200) -> list[dict]:
        return store.delivery_log(self.db.reader(), limit)

    def send_test(self, endpoint_id: int) -> str:
        """Queue a test event for one endpoint (the "Send test event" button); returns its webhook-id."""
        now = self.clock()
        body = json.dumps({"type": TEST_EVENT, "timestamp": to_iso(now), "data": {"endpoint_id": endpoint_id}})
        with self.db.transaction() as conn:
            return store.enqueue(conn, endpoint_id, TEST_EVENT, body, now)

    # ------------------------------------------------------------------ the job
    def run_once(self) -> str:
        queued = self.collect()
        sent, retrying = self.deliver_due()
        off = [e for e in self.endpoints() if not e.enabled]
        if off:
            raise EndpointsTurnedOff(
                f"{len(off)} webhook endpoint(s) turned off: " + "; ".join(f"{e.url} ({e.disabled_reason})" for e in off),
                "Fix the receiving end, then turn the endpoint on again.")
        return f"{queued} event(s) queued, {sent} delivered, {retrying} to retry"

    def collect(self) -> int:
        """Turn what changed in the store since the last look into events, queued for each subscribed endpoint,
        in one transaction with the marks of what was seen: each change is queued once, even across a crash."""
        now = self.clock()
        with self.db.transaction() as conn:
            live = [e for e in store.endpoints(conn) if e.enabled]
            floor = store.cursor(conn, "floor")
            if not live or floor is None:
                return 0
            since = to_iso(max(datetime.fromisoformat(store.cursor(conn, "since")) - LOOK_BACK,
                               datetime.fromisoformat(floor)))
            events = _order_events(conn, since, floor) + _shipment_events(conn, since, floor) \
                + _case_events(conn, since, floor) + _rating_events(conn)
            count = 0
            for event_type, data in events:
                body = json.dumps({"type": event_type, "timestamp": to_iso(now), "data": data}, sort_keys=True)
                for endpoint in live:
                    if event_type in endpoint.events:
                        store.enqueue(conn, endpoint.id, event_type, body, now)
                        count += 1
            store.set_cursor(conn, "since", to_iso(now))
        return count

    def deliver_due(self) -> tuple[int, int]:
        """Send what is due; each answer is written at once, so a crash re-sends at most the one in flight
        (with the same webhook-id, which receivers de-duplicate on)."""
        now = self.clock()
        with self.db.transaction() as conn:
            for endpoint_id in store.give_up_older_than(conn, now - RETRY_FOR):
                store.set_enabled(conn, endpoint_id, False, "no delivery succeeded for 24 hours")
        sent = retrying = 0
        down: set[int] = set()
        urls = {e.id: e.url for e in self.endpoints()}
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            for message in store.due(self.db.reader(), now, self.batch):
                if message.endpoint_id in down:
                    continue  # one failure a round per endpoint: the rest wait, not each its own timeout
                if self._send(client, urls[message.endpoint_id], message):
                    sent += 1
                else:
                    retrying += 1
                    down.add(message.endpoint_id)
        return sent, retrying

    def _send(self, client: httpx.Client, url: str, message: store.Message) -> bool:
        secret = secrets.get_secret(_KEYCHAIN, str(message.endpoint_id)) or ""
        timestamp = int(self.clock().timestamp())
        headers = {"content-type": "application/json", "webhook-id": message.message_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(secret, message.message_id, timestamp, message.body)}
        started = time.monotonic()
        status, error = None, ""
        try:
            answer = client.post(url, content=message.body.encode(), headers=headers)
            status = answer.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        ms = int((time.monotonic() - started) * 1000)
        now = self.clock()
        with self.db.transaction() as conn:
            if not error:
                store.delivered(conn, message, now, status, ms)
                return True
            next_attempt = _next_attempt(message, now)
            store.failed(conn, message, now, status, error, ms, next_attempt)
            if next_attempt is None:  # its last try within the 24 hours failed too: the endpoint is turned off
                store.set_enabled(conn, message.endpoint_id, False, "no delivery succeeded for 24 hours")
        log.info("webhook %s to %s failed: %s", message.message_id, url, error)
        return False


def _next_attempt(message: store.Message, now: datetime) -> datetime | None:
    deadline = message.created_at + RETRY_FOR
    if now >= deadline:
        return None
    wait = timedelta(seconds=BACKOFF[min(message.attempts, len(BACKOFF) - 1)])
    return min(now + wait, deadline)


def _changes(conn, entity: str, rows: list, fingerprint) -> list[tuple[object, str | None, str]]:
    """(row, what was seen before or None, what is there now) for each row that changed; marks them seen."""
    before = store.seen(conn, entity, [r["id"] for r in rows])
    changed = [(r, before.get(r["id"]), fingerprint(r)) for r in rows if before.get(r["id"]) != fingerprint(r)]
    store.mark_seen(conn, entity, {r["id"]: now for r, _old, now in changed})
    return changed


def _order_events(conn, since: str, floor: str) -> list[tuple[str, dict]]:
    rows = conn.execute("SELECT id, order_ref, status, created_at, updated_at, promised_start, promised_end "
                        "FROM orders WHERE updated_at >= ? ORDER BY updated_at, id", (since,)).fetchall()
    events = []
    for row, old, _now in _changes(conn, "order", rows, lambda r: f"{r['status']}|{r['updated_at']}"):
        new = old is None and row["created_at"] >= floor
        events.append(("order.created" if new else "order.updated", dict(row)))
    return events


def _shipment_events(conn, since: str, floor: str) -> list[tuple[str, dict]]:
    rows = conn.execute("SELECT id, order_id, kind, carrier, service, status, tracking_number, eta, created_at, "
                        "updated_at FROM shipments WHERE updated_at >= ? ORDER BY updated_at, id", (since,)).fetchall()
    events = []
    for row, old, status in _changes(conn, "shipment", rows, lambda r: r["status"]):
        data = dict(row) | {"previous_status": old}
        if old is None and row["created_at"] >= floor and status in ("created", "quoted"):
            continue  # not booked yet: nothing to tell
        events.append(("shipment.status_changed", data))
        was_unbooked = old in ("created", "quoted") or (old is None and row["created_at"] >= floor)
        if was_unbooked and status not in ("booked", "created", "quoted", "cancelled"):  # booked and moved on at once
            events.append(("shipment.booked", data))
        if status in _STATUS_EVENTS:
            events.append((_STATUS_EVENTS[status], data))
    return events


def _case_events(conn, since: str, floor: str) -> list[tuple[str, dict]]:
    rows = conn.execute("SELECT id, kind, severity, order_id, shipment_id, summary, opened_at, resolved_at, resolution "
                        "FROM exceptions WHERE opened_at >= ? OR resolved_at >= ? ORDER BY id", (since, since)).fetchall()
    events = []
    for row, old, state in _changes(conn, "exception", rows, lambda r: "resolved" if r["resolved_at"] else "open"):
        if old is None and row["opened_at"] >= floor:
            events.append(("exception.opened", dict(row)))
        if state == "resolved":
            events.append(("exception.resolved", dict(row)))
    return events


def _rating_events(conn) -> list[tuple[str, dict]]:
    """Ratings recorded since the last look, by id (a reply read late carries its own, earlier, time). The first look
    marks the ratings already there as told."""
    mark = store.cursor(conn, "rating_id")
    rows = conn.execute("SELECT id, order_id, shipment_id, score, comment, reason, channel, received_at FROM ratings "
                        "WHERE id > ? ORDER BY id", (int(mark or 0),)).fetchall()
    if rows:
        store.set_cursor(conn, "rating_id", str(rows[-1]["id"]))
    return [] if mark is None else [("rating.received", dict(row)) for row in rows]
