"""The demo's post: messages to customers are written as files in a folder instead of going to a mail or SMS provider.

Demo mode has no mail server or Twilio account, but its messages should still be sent, so the shop owner can see
what customers would get: one `.eml` (email) or `.txt` (SMS) file per message, named after the message's
de-duplication key, so a message sent again after a crash overwrites its own file instead of making a second one.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .channels import Outgoing, SendError, html_to_text


class MailboxChannel:
    """A channel that 'sends' by writing into `folder`; `find_sent` knows what it already wrote."""

    name = "mailbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, item: Outgoing) -> Path:
        digest = hashlib.sha256(item.dedup_key.encode()).hexdigest()[:20]
        return self.folder / f"{item.channel}-{item.id}-{digest}.{'eml' if item.channel == 'email' else 'txt'}"

    def send(self, item: Outgoing) -> str:
        path = self._path(item)
        text = f"To: {item.recipient}\nSubject: {item.subject}\n\n{html_to_text(item.body)}\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".partial")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise SendError(f"could not write the demo message to {self.folder}: {exc}", permanent=False) from exc
        return f"mailbox:{path.name}"

    def find_sent(self, item: Outgoing) -> str | None:
        path = self._path(item)
        return f"mailbox:{path.name}" if path.exists() else None
