"""How a message leaves the shop: email over SMTP and SMS through Twilio's Messages API. Blocking; the sender runs them in a thread."""
from __future__ import annotations

import hashlib
import smtplib
import sqlite3
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser

import httpx

from ...store.secrets import get_secret
from .templates import SMS_MAX, header_text, sms_text


class SendError(Exception):
    """A message did not go out; `permanent` says whether trying again could help."""

    def __init__(self, message: str, *, permanent: bool, opt_out: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.opt_out = opt_out  # the recipient told the provider to stop (Twilio 21610)


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs to send one notification row."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    dedup_key: str
    created_at: datetime


def _setting(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = ""
    username: str = ""  # empty: the server accepts mail without login
    security: str = "starttls"  # starttls, ssl or none
    ca_file: str = ""  # a private CA (tests, company servers); empty uses the system's
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, conn: sqlite3.Connection) -> "SmtpConfig | None":
        host = _setting(conn, "notify.smtp.host")
        if not host:
            return None
        return cls(host, int(_setting(conn, "notify.smtp.port", "587")), _setting(conn, "notify.smtp.from"),
                   _setting(conn, "notify.smtp.username"), _setting(conn, "notify.smtp.security", "starttls"),
                   _setting(conn, "notify.smtp.ca_file"))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("p", "br"):
            self.parts.append("\n")


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return "".join(parser.parts).strip()


def message_id(dedup_key: str, sender: str) -> str:
    """The same notification always gets the same Message-ID, so a resend after a crash is recognisably the same mail."""
    domain = sender.rpartition("@")[2] or "controltower.local"
    return f"<ct-{hashlib.sha256(dedup_key.encode()).hexdigest()[:24]}@{domain}>"


class SmtpChannel:
    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def build(self, item: Outgoing) -> EmailMessage:
        """The mail for one row; a recipient no mail can carry fails this one message (SendError), never the sender."""
        if item.recipient != header_text(item.recipient, 320) or "," in item.recipient or "@" not in item.recipient:
            raise SendError(f"{header_text(item.recipient, 80)!r} is not one email address", permanent=True)
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = item.recipient
        mail["Subject"] = header_text(item.subject)  # rows queued before subjects were cleaned, too
        mail["Message-ID"] = message_id(item.dedup_key, self.config.sender)
        mail["Date"] = format_datetime(item.created_at)
        mail.set_content(html_to_text(item.body))
        mail.add_alternative(f"<!doctype html><html><body>{item.body}</body></html>", subtype="html")
        return mail

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file or None)

    def send(self, item: Outgoing) -> str:
        config = self.config
        mail = self.build(item)
        try:
            if config.security == "ssl":
                client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self._context())
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with client:
                if config.security == "starttls":
                    client.starttls(context=self._context())
                if config.username:
                    password = get_secret("smtp", "password")
                    if not password:
                        raise SendError("no SMTP password in the keychain: add it in Settings > Notifications", permanent=True)
                    client.login(config.username, password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"the mail server refused {item.recipient}: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError("the mail server refused the login: check the user name and password", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"mail server said {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"could not reach the mail server {config.host}:{config.port}: {exc}", permanent=False) from exc
        return mail["Message-ID"]

    def find_sent(self, item: Outgoing) -> str | None:
        """SMTP cannot be asked what it accepted; the resend keeps the same Message-ID instead."""
        return None


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    sender: str = ""  # From: a number, short code or alphanumeric id
    messaging_service_sid: str = ""
    base_url: str = "https://api.twilio.com"
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, conn: sqlite3.Connection) -> "TwilioConfig | None":
        sid = _setting(conn, "notify.twilio.account_sid")
        if not sid:
            return None
        return cls(sid, _setting(conn, "notify.twilio.from"), _setting(conn, "notify.twilio.messaging_service_sid"),
                   _setting(conn, "notify.twilio.base_url", "https://api.twilio.com"))


class TwilioChannel:
    name = "sms"

    def __init__(self, config: TwilioConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout, headers={"User-Agent": "ControlTower/0.1"})

    @property
    def _messages_url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"

    def _auth(self) -> tuple[str, str]:
        token = get_secret("twilio", "auth_token")
        if not token:
            raise SendError("no Twilio auth token in the keychain: add it in Settings > Notifications", permanent=True)
        return (self.config.account_sid, token)

    def send(self, item: Outgoing) -> str:
        form = {"To": item.recipient, "Body": sms_text(item.body, SMS_MAX)}  # what Twilio carries (21617 above it)
        if self.config.messaging_service_sid:
            form["MessagingServiceSid"] = self.config.messaging_service_sid
        else:
            form["From"] = self.config.sender
        try:
            response = self.client.post(self._messages_url, data=form, auth=self._auth())
        except httpx.HTTPError as exc:
            raise SendError(f"could not reach Twilio: {exc}", permanent=False) from exc
        if response.is_success:
            return response.json()["sid"]
        try:
            error = response.json()
        except ValueError:
            error = {}
        code, text = error.get("code"), error.get("message") or response.text[:200]
        transient = response.status_code == 429 or response.status_code >= 500
        raise SendError(f"Twilio {response.status_code} {code or ''}: {text}".strip(), permanent=not transient,
                        opt_out=code == 21610)

    def find_sent(self, item: Outgoing) -> str | None:
        """After a crash: did Twilio already take this message? Look for the same body to the same number since it was queued."""
        params = {"To": item.recipient, "DateSent>": item.created_at.date().isoformat(), "PageSize": "100"}
        try:
            response = self.client.get(self._messages_url, params=params, auth=self._auth())
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SendError(f"could not ask Twilio what was sent: {exc}", permanent=False) from exc
        for message in response.json().get("messages", []):
            if message.get("to") == item.recipient and message.get("body") == sms_text(item.body, SMS_MAX):
                return message["sid"]
        return None
