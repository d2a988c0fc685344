"""Logging set-up: a rotating file in the platform's log folder, secrets and personal data kept out."""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from .kernel.redact import redact

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# International numbers (+…), (503) 555-0100 and 503-555-0100 shapes; dates and times are left alone.
_PHONE = re.compile(r"(?<![\w+])\+\d[\d\s().-]{6,}\d|\(\d{3}\)\s?\d{3}[-.\s]\d{4}\b|\b\d{3}[-.\s]\d{3}[-.\s]\d{4}\b")


def scrub(text: str) -> str:
    """Mask anything that looks like a credential, an email address or a phone number."""
    text = redact(text)  # credential-shaped values and the accounts' own keys, in any wrapping
    text = _EMAIL.sub("<email>", text)
    return _PHONE.sub("<phone>", text)


class ScrubbingFormatter(logging.Formatter):
    """Scrubs the message and any traceback; the timestamp and logger name are ours and stay readable."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return super().format(record)


def log_folder() -> Path:
    from platformdirs import user_log_path

    return user_log_path("ControlTower", "ControlTower")


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files readable by their owner only (0600), the first one and every one after a rotation."""

    def _open(self):
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.fchmod(descriptor, 0o600)  # a log made by an older version was 0644
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(level: int = logging.INFO, folder: Path | None = None) -> Path:
    folder = folder or log_folder()
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask; logs hold order and shop details
    path = folder / "controltower.log"
    root = logging.getLogger()
    if any(getattr(h, "_controltower", False) for h in root.handlers):
        return path
    handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._controltower = True
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs full URLs at INFO, which can carry keys in query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path
