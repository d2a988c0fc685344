"""A real IMAP server for tests: pymap's in-memory backend on 127.0.0.1, in a child process; mail is put in the
mailbox with IMAP APPEND, as a customer's reply arrives."""
from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime

from fake_services import free_port

USER, PASSWORD = "demouser", "demopass"  # pymap's demo account


class ImapServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ImapServer":
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())", "--host", "127.0.0.1", "--port", str(self.port), "--no-service", "admin",
             "--no-service", "managesieve", "dict", "--demo-data"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pymap did not start: {self.process.stderr.read().decode()[-500:]}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.process.stderr.close()

    def deliver(self, sender: str, body: str, at, subject: str = "Re: your order", to: str = "shop@rosecity.example",
                folder: str = "INBOX") -> None:
        """A reply lands in the shop's INBOX (or another folder, made if it is not there: a mail filter's)."""
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, to, subject
        mail["Date"] = format_datetime(at)
        mail.set_content(body)
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(USER, PASSWORD)
            quoted = f'"{folder}"'
            if client.select(quoted)[0] != "OK":
                client.create(quoted)
            status, _ = client.append(quoted, None, None, mail.as_bytes())
            assert status == "OK"
        finally:
            client.logout()
