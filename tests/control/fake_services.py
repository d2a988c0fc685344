"""Local stand-ins for the shop's mail server (aiosmtpd, STARTTLS + login) and Twilio's Messages API, on 127.0.0.1."""
from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import ssl
import threading
import uuid
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlencode, urlparse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, so STARTTLS is real in tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class MailServer:
    """Accepts mail; `before_accept(n)` runs before the n-th message is accepted (tests kill the sender there)."""

    def __init__(self, tmp: Path, *, login: tuple[str, str] | None = None, tls: bool = True) -> None:
        self.received: list = []
        self.before_accept: Callable[[int], None] | None = None
        self.refuse: set[str] = set()
        self.port = free_port()
        self.cert, key = self_signed_cert(tmp) if tls else (None, None)
        context = None
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, key)
        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, options):
                if address in server.refuse:
                    return "550 no such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                if server.before_accept:
                    server.before_accept(len(server.received) + 1)
                server.received.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = login is not None and (auth_data.login.decode(), auth_data.password.decode()) == login
            return AuthResult(success=ok, handled=False)

        kwargs = dict(hostname="127.0.0.1", port=self.port)
        if tls:
            kwargs.update(tls_context=context, require_starttls=True)
        if login:
            kwargs.update(authenticator=authenticate, auth_require_tls=tls, auth_required=True)
        self.controller = Controller(Handler(), **kwargs)

    def __enter__(self) -> "MailServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class FakeTwilio:
    """Twilio's Messages API shape: POST creates (form, Basic auth), GET lists by To; hooks for failures and kills."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, token: str = "tok") -> None:
        self.account_sid, self.token = account_sid, token
        self.messages: list[dict] = []
        self.fail_next: list[int] = []  # HTTP statuses to answer with, one per request
        self.unsubscribed: set[str] = set()
        self.after_accept: Callable[[int], None] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{fake.account_sid}:{fake.token}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
                if urlparse(self.path).path != path or not self._authorised():
                    return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                if fake.fail_next:
                    status = fake.fail_next.pop(0)
                    return self._reply(status, {"code": 20500, "message": "Internal error", "status": status})
                if len(form["Body"].encode("utf-16-le")) // 2 > 1600:  # Twilio counts UTF-16 code units
                    return self._reply(400, {"code": 21617, "status": 400,
                                             "message": "The concatenated message body exceeds the 1600 character limit"})
                if form["To"] in fake.unsubscribed:
                    return self._reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})
                message = {"sid": "SM" + uuid.uuid4().hex, "to": form["To"], "from": form.get("From"), "body": form["Body"],
                           "status": "queued", "direction": "outbound-api", "date_created": dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")}
                fake.messages.append(message)
                if fake.after_accept:
                    fake.after_accept(len(fake.messages))
                self._reply(201, message)

            def do_GET(self):
                url = urlparse(self.path)
                if not self._authorised():
                    return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                fake.list_requests.append(self.path)
                self._reply(200, fake.page(url.path, parse_qs(url.query)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.list_requests: list[str] = []

    def inbound(self, sender: str, body: str, at: dt.datetime, to: str = "+15005550006") -> dict:
        """A customer's text to the shop's number, as Twilio lists it (direction inbound, status received)."""
        message = {"sid": "SM" + uuid.uuid4().hex, "account_sid": self.account_sid, "to": to, "from": sender,
                   "body": body, "status": "received", "direction": "inbound", "num_segments": "1",
                   "date_created": _rfc2822(at), "date_updated": _rfc2822(at), "date_sent": _rfc2822(at)}
        self.messages.append(message)
        return message

    def page(self, path: str, query: dict[str, list[str]]) -> dict:
        """The Messages list resource as Twilio publishes it: newest first, filtered by To, From and DateSent</>,
        `PageSize` per page, `next_page_uri` to the next one (null on the last) with Page and PageToken."""
        one = {key: values[0] for key, values in query.items()}
        after = _iso(one.get("DateSent>")) if "DateSent>" in one else None
        before = _iso(one.get("DateSent<")) if "DateSent<" in one else None

        def keep(message: dict) -> bool:
            sent = _parse_rfc2822(message.get("date_sent") or message["date_created"])
            return ((not one.get("To") or message["to"] == one["To"]) and (not one.get("From") or message["from"] == one["From"])
                    and (after is None or sent >= after) and (before is None or sent <= before))

        found = sorted((m for m in self.messages if keep(m)),
                       key=lambda m: _parse_rfc2822(m.get("date_sent") or m["date_created"]), reverse=True)
        size = int(one.get("PageSize", 50))
        number = int(one.get("Page", 0))
        chunk = found[number * size:(number + 1) * size]
        filters = {k: v for k, v in one.items() if k not in ("Page", "PageToken")}

        def uri(page_number: int) -> str:
            return f"{path}?{urlencode(filters | {'Page': page_number, 'PageToken': f'PASM{page_number}'})}"

        more = (number + 1) * size < len(found)
        return {"messages": chunk, "page": number, "page_size": size, "start": number * size,
                "end": number * size + max(len(chunk) - 1, 0), "uri": uri(number), "first_page_uri": uri(0),
                "next_page_uri": uri(number + 1) if more else None,
                "previous_page_uri": uri(number - 1) if number else None}

    def __enter__(self) -> "FakeTwilio":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _rfc2822(moment: dt.datetime) -> str:
    return format_datetime(moment.astimezone(dt.timezone.utc), usegmt=False).replace("-0000", "+0000")


def _parse_rfc2822(text: str) -> dt.datetime:
    return parsedate_to_datetime(text)


def _iso(text: str) -> dt.datetime:
    """Twilio's DateSent filters: a date (YYYY-MM-DD, that day from midnight GMT) or an ISO 8601 moment."""
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
