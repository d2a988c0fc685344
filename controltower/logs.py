"""Logging set-up: a rotating file in the platform's log folder, secrets and personal data kept out."""
from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_SECRETS = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+)?"
    r"|(?:api[_-]?key|access[_-]?token|token|secret|password|client_secret)[\"']?\s*[:=]\s*[\"']?"
    r"|bearer\s+|basic\s+)([^\s\"',;&]+)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")


def scrub(text: str) -> str:
    """Mask anything that looks like a credential, an email address or a phone number."""
    text = _SECRETS.sub(lambda m: m.group(1) + "***", text)
    text = _EMAIL.sub("<email>", text)
    return _PHONE.sub("<phone>", text)


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def log_folder() -> Path:
    from platformdirs import user_log_path

    return user_log_path("ControlTower", "ControlTower")


def setup_logging(level: int = logging.INFO, folder: Path | None = None) -> Path:
    folder = folder or log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "controltower.log"
    root = logging.getLogger()
    if any(getattr(h, "_controltower", False) for h in root.handlers):
        return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._controltower = True
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs full URLs at INFO, which can carry keys in query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path
