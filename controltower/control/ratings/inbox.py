"""Where customers' replies are read: Twilio's Messages list (paged) and the shop's mailbox over IMAP. Blocking; the
app's ratings job runs them in a worker thread. Passwords come from the keychain and never reach a log or the store."""
from __future__ import annotations

import email
import email.policy
import imaplib
import sqlite3
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_to_datetime

import httpx

from ...store.secrets import get_secret
from ..notify.channels import TwilioConfig, _setting, html_to_text


FIRST_LOOK = timedelta(days=7)  # the first look ever goes this far back (a question's 48 hours, and more)


class InboxError(Exception):
    """Replies could not be read this time (the job shows it and tries again at its next turn)."""


@dataclass(frozen=True)
class Inbound:
    """One message from a customer."""

    provider_id: str  # Twilio's SID, or imap:<uidvalidity>:<uid>
    channel: str  # sms or email
    sender: str  # E.164 number or email address
    received_at: datetime
    body: str


@dataclass(frozen=True)
class Batch:
    """What one look found, and the mark to start from next time."""

    messages: list[Inbound]
    cursor: str


class TwilioInbox:
    """Inbound SMS from Twilio's Messages list resource: `To` our number, `DateSent>` the last look (with an hour's
    overlap; the SID makes each message count once), following `next_page_uri` to the last page."""

    channel = "sms"
    PAGE_SIZE = 100
    OVERLAP = timedelta(hours=1)

    def __init__(self, config: TwilioConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout, headers={"User-Agent": "ControlTower/0.1"})

    def close(self) -> None:
        self.client.close()

    def fetch(self, cursor: str | None, now: datetime) -> Batch:
        since = datetime.fromisoformat(cursor) - self.OVERLAP if cursor else now - FIRST_LOOK
        params = {"DateSent>": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "PageSize": str(self.PAGE_SIZE)}
        if self.config.sender:
            params["To"] = self.config.sender
        token = get_secret("twilio", "auth_token")
        if not token:
            raise InboxError("no Twilio auth token in the keychain: add it in Settings > Email and SMS")
        base = self.config.base_url.rstrip("/")
        url: str | None = f"{base}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"
        found: list[Inbound] = []
        newest = since
        pages = 0
        while url and pages < 50:
            pages += 1
            try:
                response = self.client.get(url, params=params, auth=(self.config.account_sid, token))
                response.raise_for_status()
                page = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise InboxError(f"could not read the SMS replies from Twilio: {exc}") from exc
            for message in page.get("messages") or []:
                if message.get("direction") != "inbound":
                    continue
                sent = _rfc2822(message.get("date_sent") or message.get("date_created"))
                if sent is None:
                    continue
                newest = max(newest, sent)
                found.append(Inbound(message["sid"], "sms", message.get("from") or "", sent, message.get("body") or ""))
            next_uri = page.get("next_page_uri")
            url, params = (f"{base}{next_uri}", None) if next_uri else (None, None)
        return Batch(found, newest.isoformat())


def _rfc2822(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    username: str
    port: int = 993
    security: str = "ssl"  # ssl, starttls or none
    mailbox: str = "INBOX"
    ca_file: str = ""
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, conn: sqlite3.Connection) -> "ImapConfig | None":
        host = _setting(conn, "notify.imap.host")
        if not host:
            return None
        return cls(host, _setting(conn, "notify.imap.username"), int(_setting(conn, "notify.imap.port", "993")),
                   _setting(conn, "notify.imap.security", "ssl"), _setting(conn, "notify.imap.mailbox", "INBOX"),
                   _setting(conn, "notify.imap.ca_file"))


class ImapInbox:
    """Mail in the shop's mailbox since the last look (UIDs above the last one read; read-only, nothing marked seen)."""

    channel = "email"

    def __init__(self, config: ImapConfig) -> None:
        self.config = config

    def _connect(self) -> imaplib.IMAP4:
        config = self.config
        context = ssl.create_default_context(cafile=config.ca_file or None)
        if config.security == "ssl":
            client = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=context, timeout=config.timeout)
        else:
            client = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                client.starttls(ssl_context=context)
        return client

    def fetch(self, cursor: str | None, now: datetime) -> Batch:
        password = get_secret("imap", "password")
        if not password:
            raise InboxError("no mailbox password in the keychain: add it in Settings > Email and SMS")
        try:
            client = self._connect()
        except (OSError, imaplib.IMAP4.error) as exc:
            raise InboxError(f"could not reach the mailbox {self.config.host}:{self.config.port}: {exc}") from exc
        try:
            try:
                client.login(self.config.username, password)
            except imaplib.IMAP4.error as exc:
                raise InboxError("the mail server refused the mailbox login: check the user name and password") from exc
            return self._read(client, cursor, now)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise InboxError(f"could not read the mailbox {self.config.mailbox}: {exc}") from exc
        finally:
            try:
                client.logout()
            except Exception:
                pass

    def _read(self, client: imaplib.IMAP4, cursor: str | None, now: datetime) -> Batch:
        folder = self.config.mailbox
        if " " in folder and not folder.startswith('"'):  # imaplib sends the name as written: quote "Customer replies"
            folder = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
        status, _ = client.select(folder, readonly=True)
        if status != "OK":
            raise InboxError(f"the mailbox has no folder {self.config.mailbox!r}")
        validity = (client.response("UIDVALIDITY")[1] or [b"0"])[0].decode()
        last_validity, _, last_uid = (cursor or "").partition(":")
        if cursor and last_validity == validity:
            status, data = client.uid("SEARCH", None, "UID", f"{int(last_uid) + 1}:*")
            floor = int(last_uid)
        else:  # first look, or the folder was rebuilt
            since = (now - FIRST_LOOK).strftime("%d-%b-%Y")
            status, data = client.uid("SEARCH", None, "SINCE", since)
            floor = 0
        uids = sorted(int(uid) for uid in (data[0] or b"").split() if int(uid) > floor)  # "n:*" always yields the last
        found = []
        for uid in uids:
            status, parts = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
            if status == "OK" and raw:
                message = _inbound(raw, f"imap:{validity}:{uid}", now)
                if message is not None:
                    found.append(message)
        top = max(uids, default=floor)
        return Batch(found, f"{validity}:{top}")


def _inbound(raw: bytes, provider_id: str, now: datetime) -> Inbound | None:
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    sender = parseaddr(str(mail.get("From", "")))[1]
    if not sender:
        return None
    received = _rfc2822(str(mail.get("Date", ""))) or now
    part = mail.get_body(preferencelist=("plain", "html"))
    text = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        text = html_to_text(text)
    return Inbound(provider_id, "email", sender, received, text)
