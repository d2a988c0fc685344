"""Notification templates per event and channel, filled from an order; values are HTML-escaped in email bodies."""
from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template

EVENTS = ("booked", "out_for_delivery", "delayed", "delivered", "failed_attempt", "return_started", "custom",
          "rating_followup")
CHANNELS = ("email", "sms")
SMS_MAX = 1600  # Twilio's limit for one message body, in UTF-16 code units (an emoji counts two)
SUBJECT_MAX = 200
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def header_text(text: str, limit: int = SUBJECT_MAX) -> str:
    """Text fit for one header line: every line break, tab and other whitespace (CR, LF, U+2028...) one space,
    control characters gone, at most `limit` characters. A subject with a CR/LF in it is refused by the mail library."""
    return _CONTROL.sub("", " ".join(text.split()))[:limit].strip()


def sms_text(body: str, limit: int = SMS_MAX) -> str:
    """An SMS body Twilio accepts: at most `limit` UTF-16 code units (what Twilio counts), cut with an ellipsis."""
    if len(body) <= limit // 2 or _utf16_units(body) <= limit:
        return body
    kept, used = [], 1  # room for the ellipsis
    for char in body:
        used += _utf16_units(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def default_dir() -> Path:
    """resources/templates next to the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources" / "templates"
    return Path(__file__).resolve().parents[3] / "resources" / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class TemplateSet:
    """The template files of one folder; `render` fills one for a channel."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or default_dir())

    def _read(self, name: str) -> str:
        path = self.folder / name
        if not path.is_file():
            raise KeyError(f"no notification template {name} in {self.folder}")
        return path.read_text(encoding="utf-8").strip()

    def render(self, event: str, channel: str, values: dict[str, str]) -> Rendered:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        plain = {key: str(value) for key, value in values.items()}
        subject = Template(self._read(f"{event}.subject.txt")).safe_substitute(plain)
        if channel == "email":
            escaped = {key: html.escape(value) for key, value in plain.items()}
            if "message" in escaped:
                escaped["message"] = escaped["message"].replace("\n", "<br>")
            body = Template(self._read(f"{event}.email.html")).safe_substitute(escaped)
        else:
            body = sms_text(Template(self._read(f"{event}.sms.txt")).safe_substitute(plain))
        return Rendered(header_text(subject), body)
