"""The background sender: takes due notifications one at a time, sends, records; retries with backoff; safe across a crash.

Each message is claimed ('sending') in its own committed transaction before the network call and marked
'sent' right after it. A crash in between leaves it 'sending'; on restart `recover()` asks the provider
whether it went out (Twilio can say; SMTP cannot, so the mail is sent again with the same Message-ID).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable, Protocol

from ...domain.timeutil import from_iso, to_iso, utcnow
from ...kernel.events import EventHub
from ...store import Database
from .channels import Outgoing, SendError, SmtpChannel, SmtpConfig, TwilioChannel, TwilioConfig
from . import outbox
from ...store.shop_clock import shop_zone
from .outbox import is_opted_out, opt_out

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


class Channel(Protocol):
    name: str

    def send(self, item: Outgoing) -> str: ...

    def find_sent(self, item: Outgoing) -> str | None: ...


@dataclass(frozen=True)
class QuietHours:
    """Local times between which customers are not messaged (may wrap past midnight)."""

    start: time
    end: time
    channels: tuple[str, ...] = ("sms", "email")

    @classmethod
    def from_settings(cls, conn: sqlite3.Connection) -> "QuietHours | None":
        rows = dict(conn.execute("SELECT key, value FROM settings WHERE key IN "
                                 "('notify.quiet_start', 'notify.quiet_end', 'notify.quiet_channels')").fetchall())
        if not rows.get("notify.quiet_start") or not rows.get("notify.quiet_end"):
            return None
        channels = tuple(c.strip() for c in rows.get("notify.quiet_channels", "sms,email").split(",") if c.strip())
        return cls(time.fromisoformat(rows["notify.quiet_start"]), time.fromisoformat(rows["notify.quiet_end"]), channels)

    def ends_after(self, moment: datetime, zone) -> datetime | None:
        """When the quiet period containing `moment` ends (UTC), or None if `moment` is not in one."""
        local = moment.astimezone(zone)
        now_t = local.time()
        inside = (self.start <= now_t < self.end) if self.start <= self.end else (now_t >= self.start or now_t < self.end)
        if not inside:
            return None
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0


def backoff(attempts: int) -> timedelta:
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


class NotificationSender:
    """Sends queued notifications through the configured channels; `start()`/`stop()` run it on an asyncio loop."""

    def __init__(self, db: Database, channels: dict[str, Channel], *, clock: Callable[[], datetime] = utcnow,
                 batch_size: int = 50, hub: EventHub | None = None, status_notifier=None) -> None:
        self.db = db
        self.status_notifier = status_notifier  # a StatusNotifier: queue status news before each round
        self.channels = channels
        self.clock = clock
        self.batch_size = batch_size
        self.hub = hub
        self._task: asyncio.Task | None = None
        self._stopping: asyncio.Event | None = None
        self._recovered = False

    # --- the synchronous core (runs in a worker thread) ---

    def recover(self) -> int:
        """Settle messages a crash left half-sent; returns how many there were."""
        conn = self.db.reader()
        rows = conn.execute("SELECT * FROM notifications WHERE status = 'sending'").fetchall()
        for row in rows:
            item = _outgoing(row)
            channel = self.channels.get(row["channel"])
            found = None
            if channel is not None:
                try:
                    found = channel.find_sent(item)
                except Exception as exc:  # SendError or a broken answer: this row only, the others are settled
                    log.warning("could not check notification %s after restart: %s", row["id"], exc)
                    continue  # stays 'sending'; checked again next round
            with self.db.transaction() as tx:
                if found:
                    outbox.mark_sent(tx, row["id"], to_iso(self.clock()), found, "confirmed with the provider after a restart")
                else:
                    why = ("interrupted by a restart; sent again with the same Message-ID" if row["channel"] == "email"
                           else "interrupted by a restart; the provider had not got it")
                    outbox.requeue(tx, row["id"], to_iso(self.clock()), note=why)
        self._recovered = True
        return len(rows)

    def run_once(self) -> SendSummary:
        """Send what is due now, one message at a time."""
        if not self._recovered:
            self.recover()
        now = self.clock()
        if self.status_notifier is not None:
            self.status_notifier.run(now)
        conn = self.db.reader()
        due = conn.execute(
            "SELECT * FROM notifications WHERE status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "ORDER BY next_attempt_at, id LIMIT ?", (to_iso(now), self.batch_size)).fetchall()
        quiet = QuietHours.from_settings(conn)
        zone = shop_zone(conn)
        counts = dict(sent=0, retrying=0, failed=0, suppressed=0, deferred=0)
        for row in due:
            counts[self._send_one(row, now, quiet, zone)] += 1
        summary = SendSummary(**counts)
        if self.hub and due:
            self.hub.publish("notifications.changed", **counts)
        return summary

    def _send_one(self, row: sqlite3.Row, now: datetime, quiet: QuietHours | None, zone) -> str:
        item = _outgoing(row)
        if quiet and row["channel"] in quiet.channels:
            resume = quiet.ends_after(now, zone)
            if resume:
                self._write(outbox.hold_until, row["id"], to_iso(resume), note="held for quiet hours")
                return "deferred"
        if is_opted_out(self.db.reader(), row["channel"], row["recipient"]):
            self._write(outbox.suppress, row["id"], "the customer opted out of this channel")
            return "suppressed"
        channel = self.channels.get(row["channel"])
        if channel is None:
            self._write(outbox.hold_until, row["id"], to_iso(now + MAX_DELAY), last_error=f"no {row['channel']} account set up")
            return "deferred"
        with self.db.transaction() as tx:  # the claim commits before the network call
            claimed = outbox.claim(tx, row["id"], to_iso(now))
        if not claimed:
            return "deferred"  # another sender took it
        try:
            provider_id = channel.send(item)
        except SendError as exc:
            return self._failed(row, exc, now)
        except Exception as exc:  # a message no channel can carry fails alone, visibly; it never stays 'sending'
            log.exception("notification %s could not be sent", row["id"])
            return self._failed(row, SendError(f"could not be sent: {exc}", permanent=True), now)
        self._write(outbox.mark_sent, row["id"], to_iso(self.clock()), provider_id)
        return "sent"

    def _failed(self, row: sqlite3.Row, exc: SendError, now: datetime) -> str:
        attempts = row["attempts"] + 1
        with self.db.transaction() as tx:
            if exc.opt_out:
                opt_out(tx, row["channel"], row["recipient"], "the provider reports the customer unsubscribed")
            if exc.permanent or attempts >= MAX_ATTEMPTS:
                outbox.mark_failed(tx, row["id"], str(exc))
                return "failed"
            outbox.requeue(tx, row["id"], to_iso(now + backoff(attempts)), last_error=str(exc))
            return "retrying"

    def _write(self, step: Callable, *args, **kwargs) -> None:
        """One of the outbox's steps in a transaction of its own."""
        with self.db.transaction() as tx:
            step(tx, *args, **kwargs)

    # --- on the asyncio loop ---

    def start(self, interval: float = 5.0) -> asyncio.Task:
        """Start sending in the background on the running loop; the network work runs in a thread."""
        self._stopping = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(interval))
        return self._task

    async def _run(self, interval: float) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a broken row or store hiccup must not end sending for good
                log.exception("notification round failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), interval)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None


def _outgoing(row: sqlite3.Row) -> Outgoing:
    return Outgoing(row["id"], row["channel"], row["recipient"], row["subject"], row["body"], row["dedup_key"],
                    from_iso(row["created_at"]))


def channels_from_settings(db: Database) -> dict[str, Channel]:
    """The channels the shop has set up (server names in settings, passwords in the keychain)."""
    channels: dict[str, Channel] = {}
    smtp = SmtpConfig.from_settings(db.conn)
    if smtp:
        channels["email"] = SmtpChannel(smtp)
    twilio = TwilioConfig.from_settings(db.conn)
    if twilio:
        channels["sms"] = TwilioChannel(twilio)
    return channels


def main(argv: list[str] | None = None) -> int:
    """`python -m controltower.control.notify.sender --db FILE [--once]`: send due notifications."""
    parser = argparse.ArgumentParser(prog="controltower send-notifications")
    parser.add_argument("--db", required=True)
    parser.add_argument("--once", action="store_true", help="send until nothing is due, then exit")
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    db = Database(args.db)
    from .triggers import StatusNotifier

    sender = NotificationSender(db, channels_from_settings(db), status_notifier=StatusNotifier(db))
    if args.once:
        while True:
            summary = sender.run_once()
            if not (summary.sent or summary.failed or summary.suppressed):
                return 0

    async def forever() -> None:
        sender.start(args.interval)
        await asyncio.Event().wait()

    asyncio.run(forever())
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
