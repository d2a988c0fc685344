"""Customers' ratings as the app uses them: consent to be asked, and reading the replies (the app's ratings job)."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..control.notify.channels import TwilioConfig
from ..control.notify.outbox import recipient_for
from ..control.ratings import store
from ..control.ratings.inbox import ImapConfig, ImapInbox, TwilioInbox
from ..control.ratings.reader import RatingReader, ReadSummary
from ..domain.timeutil import utcnow
from ..kernel.errors import NotFound
from ..kernel.events import EventHub
from ..store import Database, audit

__all__ = ["RatingsService", "ReadSummary"]


class RatingsService:
    def __init__(self, db: Database, hub: EventHub | None = None, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.hub, self.clock = db, hub, clock

    def set_consent(self, order_id: int, consented: bool, *, source: str = "shop", actor: str = "user") -> list[str]:
        """The customer of `order_id` agreed (or no longer agrees) to be asked for a rating, on the email address and
        phone number the order has; returns the channels recorded."""
        channels = []
        with self.db.transaction() as tx:
            if tx.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is None:
                raise NotFound(f"Order {order_id} is not in the store.")
            for channel in ("email", "sms"):
                recipient, problem = recipient_for(tx, order_id, channel)
                if recipient and not problem:
                    store.set_consent(tx, channel, recipient, consented, self.clock(), source)
                    channels.append(channel)
            audit.record(tx, "rating.consent", "order", order_id, after={"consented": consented, "channels": channels},
                         actor=actor)
        return channels

    def has_consent(self, channel: str, recipient: str) -> bool:
        return store.has_consent(self.db.reader(), channel, recipient)

    def inboxes(self) -> list:
        """Where replies can be read, as the shop set it up (Settings > Email and SMS); read anew at every run."""
        conn = self.db.reader()
        found = []
        twilio = TwilioConfig.from_settings(conn)
        if twilio:
            found.append(TwilioInbox(twilio))
        imap = ImapConfig.from_settings(conn)
        if imap:
            found.append(ImapInbox(imap))
        return found

    def read_replies(self) -> str:
        """One look at every inbox (blocking: the ratings job runs it in a worker thread)."""
        inboxes = self.inboxes()
        if not inboxes:
            return "nothing to read: no SMS account or mailbox is set up"
        try:
            return RatingReader(self.db, inboxes, hub=self.hub, clock=self.clock).run_once().summary()
        finally:
            for inbox in inboxes:
                close = getattr(inbox, "close", None)
                if close:
                    close()
