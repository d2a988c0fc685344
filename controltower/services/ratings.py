"""Customers' ratings as the app uses them: consent to be asked, and reading the replies (the app's ratings job)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..control.notify.channels import TwilioConfig
from ..control.notify.outbox import recipient_for
from ..control.ratings import store
from ..control.ratings.inbox import ImapConfig, ImapInbox, TwilioInbox
from ..control.ratings.reader import RatingReader, ReadSummary
from ..domain.timeutil import utcnow
from ..kernel.errors import InputError, NotFound
from ..kernel.events import EventHub
from ..store import Database, audit
from ..store.secrets import SecretStoreError, get_secret, set_secret

__all__ = ["MailboxSettings", "RatingsService", "ReadSummary"]
_MAILBOX_KEYS = {"host": "notify.imap.host", "port": "notify.imap.port", "security": "notify.imap.security",
                 "username": "notify.imap.username", "folder": "notify.imap.mailbox", "ca_file": "notify.imap.ca_file"}


@dataclass(frozen=True)
class MailboxSettings:
    """The shop's mailbox where customers' email replies arrive, read over IMAP (the password in the keychain)."""

    host: str = ""
    port: int = 993
    security: str = "ssl"  # ssl, starttls or none
    username: str = ""
    folder: str = "INBOX"
    ca_file: str = ""
    password_saved: bool = False


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

    def mailbox(self) -> MailboxSettings:
        values = {name: self.db.get_setting(key) for name, key in _MAILBOX_KEYS.items()}
        values = {name: value for name, value in values.items() if value}
        if "port" in values:
            values["port"] = int(values["port"])
        try:
            saved = bool(get_secret("imap", "password"))
        except SecretStoreError:
            saved = False
        return MailboxSettings(**values, password_saved=saved)

    def save_mailbox(self, settings: MailboxSettings, *, password: str = "") -> None:
        """Settings > Customer ratings; a typed password goes to the keychain (empty: keep the saved one)."""
        if settings.host and not settings.username:
            raise InputError("The mailbox needs its user name.", "Type the user name the mail server knows.")
        if settings.security not in ("ssl", "starttls", "none"):
            raise InputError(f"Unknown mailbox security {settings.security!r}.")
        for name, key in _MAILBOX_KEYS.items():
            self.db.set_setting(key, str(getattr(settings, name)))
        if password:
            try:
                set_secret("imap", "password", password)
            except SecretStoreError as exc:
                raise InputError(f"The password was not saved: {exc}.",
                                 "Unlock or install this computer's keychain, then save again.") from exc

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
